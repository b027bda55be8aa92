/**
 * Issue 3's proof: our TypeScript plugins load and work under real Go hosts
 * built with hashicorp/go-plugin v1.0.1, v1.2.2 (Quorum's pin, Quorum's
 * handshake) and v1.8.0.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { COOKIE_MISMATCH_TEXT, generateCertificate } from '@qplugin/go-plugin/internal';
import { QUORUM_MAGIC_COOKIE_KEY, QUORUM_MAGIC_COOKIE_VALUE } from '@qplugin/quorum';

import { GO_PLUGIN_VERSIONS, goPeer, interopSkip } from '../src/support/go.js';
import type { GoPluginVersion } from '../src/support/go.js';
import { runGoHost, step } from '../src/support/gohost.js';
import type { HostOptions, HostRun } from '../src/support/gohost.js';
import { announcedCertificate, firstLine } from '../src/support/handshake-line.js';
import { HELLOWORLD_PLUGIN, INTEROP_PLUGIN, nodePlugin } from '../src/support/paths.js';
import { expectNoProcesses, isAlive } from '@qplugin/go-plugin/testing';

const skip = interopSkip();
const scratch = mkdtempSync(join(tmpdir(), 'qp-it-'));
/** Extra argv marking this file's plugin processes (test files run in parallel). */
const TOKEN = `--qp-test=${randomUUID()}`;
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a host with the plugin's sockets in a private TMPDIR, then checks nothing is left behind. */
async function run(
  version: GoPluginVersion,
  options: Omit<HostOptions, 'env'>,
  env: NodeJS.ProcessEnv = {},
): Promise<HostRun> {
  const tmp = mkdtempSync(join(scratch, 'run-'));
  const result = await runGoHost(goPeer(version).host, {
    ...options,
    plugin: [...options.plugin, TOKEN],
    env: { ...process.env, ...env, TMPDIR: tmp },
  });
  const kill = step(result, 'kill');
  assert.equal(kill.ok, true, result.log);
  assert.equal(kill.exited, true, 'the host saw the plugin exit');
  assert.ok(!isAlive(kill.pid as number), `plugin pid ${String(kill.pid)} is still alive`);
  assert.doesNotMatch(
    result.log,
    /plugin failed to exit gracefully/,
    'Kill must be graceful (no forced kill)',
  );
  assert.deepEqual(readdirSync(tmp), [], 'the plugin removed its socket and directory');
  await expectNoProcesses(TOKEN);
  return result;
}

for (const version of GO_PLUGIN_VERSIONS) {
  describe(`TS hello world plugin under a go-plugin ${version} Go host`, { skip }, () => {
    for (const automtls of [true, false]) {
      it(`Init, Greeting and InvalidArgument with AutoMTLS ${automtls ? 'on' : 'off'}`, async () => {
        const r = await run(version, {
          automtls,
          plugin: nodePlugin(HELLOWORLD_PLUGIN),
          steps: ['init:{"language":"es"}', 'greet:Quorum', 'init:{"language":"fr"}', 'greet:again'],
        });
        assert.equal(step(r, 'start').ok, true);
        assert.equal(step(r, 'start').protocol, 'grpc');
        assert.deepEqual(step(r, 'init', 0).ok, true);
        assert.equal(step(r, 'greet', 0).value, 'Hola Quorum!');
        const bad = step(r, 'init', 1);
        assert.equal(bad.ok, false);
        assert.equal(bad.code, 'InvalidArgument');
        assert.equal(bad.message, 'unsupported language: [fr]');
        assert.equal(bad.error, 'rpc error: code = InvalidArgument desc = unsupported language: [fr]');
        // A failed Init leaves the previous language in place, as in Quorum's plugin.
        assert.equal(step(r, 'greet', 1).value, 'Hola again!');
      });
    }

    it("AutoMTLS with go-plugin's P-521 certificate instead of our default P-256", async () => {
      const r = await run(
        version,
        {
          automtls: true,
          plugin: nodePlugin(INTEROP_PLUGIN),
          steps: ['init:{"language":"en"}', 'greet:Quorum'],
        },
        { QPLUGIN_TEST_CURVE: 'P-521' },
      );
      assert.equal(step(r, 'greet').value, 'Hello Quorum!', r.log);
    });
  });
}

describe('go-plugin v1.8.0 host features against our SDK', { skip }, () => {
  for (const mux of [false, true]) {
    it(`health ping, stdout via GRPCStdio, broker round trips (${mux ? 'multiplexed' : 'one socket per brokered server'})`, async () => {
      const r = await run('v1.8.0', {
        mux,
        sync: true,
        plugin: nodePlugin(INTEROP_PLUGIN),
        steps: [
          'init:{"language":"en"}',
          'greet:Quorum',
          'ping',
          'print:hello from the plugin\n',
          'callback:ping-pong',
          'dialplugin:knock',
        ],
      });
      assert.equal(step(r, 'greet').value, 'Hello Quorum!');
      assert.equal(step(r, 'ping').ok, true, JSON.stringify(step(r, 'ping')));
      assert.equal(step(r, 'callback').value, 'host echo: ping-pong', JSON.stringify(step(r, 'callback')));
      assert.equal(step(r, 'dialplugin').value, 'plugin echo: knock', JSON.stringify(step(r, 'dialplugin')));
      assert.equal(step(r, 'kill').stdout, 'hello from the plugin\n');
    });
  }
});

describe('the certificate a TS plugin announces', () => {
  it('is P-256 by default and P-521 when asked for', async () => {
    const host = await generateCertificate({ curve: 'P-521' }); // what a go-plugin host sends
    const env = {
      PATH: process.env.PATH ?? '',
      [QUORUM_MAGIC_COOKIE_KEY]: QUORUM_MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: '1',
      PLUGIN_CLIENT_CERT: host.pem,
      TMPDIR: mkdtempSync(join(scratch, 'handshake-')), // its socket, left behind by the SIGKILL
    };
    const curve = async (extra: NodeJS.ProcessEnv): Promise<string | undefined> =>
      announcedCertificate(await firstLine([...nodePlugin(INTEROP_PLUGIN), TOKEN], { ...env, ...extra }))
        .publicKey.asymmetricKeyDetails?.namedCurve;
    assert.equal(await curve({}), 'prime256v1');
    assert.equal(await curve({ QPLUGIN_TEST_CURVE: 'P-521' }), 'secp521r1');
    await expectNoProcesses(TOKEN);
  });
});

describe('started by hand', () => {
  it('prints the explanation on stderr, nothing on stdout, and exits 1', () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => k !== 'QUORUM_PLUGIN_MAGIC_COOKIE'),
    );
    const r = spawnSync(process.execPath, [HELLOWORLD_PLUGIN], { env, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, COOKIE_MISMATCH_TEXT);
  });
  it('rejects a wrong cookie value the same way', () => {
    const r = spawnSync(process.execPath, [HELLOWORLD_PLUGIN], {
      env: { ...process.env, QUORUM_PLUGIN_MAGIC_COOKIE: 'nope' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, COOKIE_MISMATCH_TEXT);
  });
});
