/**
 * PluginClient against misbehaving plugins: every start-up failure ends with
 * go-plugin's error text and a stable code, the process is killed and nothing
 * is left behind.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { PluginClient } from '../src/host/client.js';
import type { PluginClientOptions } from '../src/host/options.js';
import { encodeRawStd } from '../src/protocol/base64raw.js';
import { generateCertificate } from '../src/protocol/certificate.js';
import { GoPluginError } from '../src/protocol/errors.js';
import type { ErrorCode } from '../src/protocol/errors.js';
import { UNRECOGNIZED_DIAGNOSIS } from '../src/protocol/handshake.js';
import { expectNoProcesses, isAlive } from '../src/testing/process.js';
import { Scratch } from './support/scratch.js';

const scratch = new Scratch('qp-hosterr-');
const handshake = { protocolVersion: 1, magicCookieKey: 'FIXTURE_COOKIE', magicCookieValue: 'fixture' };
const MINIMAL = fileURLToPath(new URL('./fixtures/minimal-plugin.js', import.meta.url));

/** Starts a client that must fail; checks code, text, and that nothing remains. */
async function startFails(
  options: Partial<PluginClientOptions> & { command: string },
  code: ErrorCode,
  message: string | RegExp,
): Promise<GoPluginError> {
  const socketDir = scratch.sub('sock');
  const client = new PluginClient({
    handshake,
    startTimeoutMs: 10_000,
    unixSocket: { dir: socketDir },
    ...options,
  });
  const err = await client.start().then(
    () => assert.fail('start() should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GoPluginError, `expected GoPluginError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (typeof message === 'string') assert.equal(err.message, message);
  else assert.match(err.message, message);
  assert.ok(err.fix, 'the error says what to do');
  if (client.pid) assert.ok(!isAlive(client.pid), 'the plugin process was killed');
  await expectNoProcesses(options.args?.[1] ?? options.command);
  assert.deepEqual(scratch.list(socketDir), [], 'no socket directory remains');
  assert.equal(client.hasExited, true);
  return err;
}

/** A script that prints `line` as its handshake, then waits to be killed. */
function printer(name: string, line: string): string {
  return scratch.script(name, `printf '%s\\n' '${line}'\nexec sleep 60`);
}

describe('PluginClient start-up failures (go-plugin v1.8.0 texts)', () => {
  it('garbage line, with go-plugin diagnosis notes about the executable', async () => {
    const cmd = printer('garbage', 'hello, I am a banner');
    const err = await startFails(
      { command: cmd },
      'HANDSHAKE_BAD_LINE',
      /^Unrecognized remote plugin message: hello, I am a banner\n/,
    );
    assert.ok(err.message.includes(UNRECOGNIZED_DIAGNOSIS));
    assert.match(
      err.message,
      new RegExp(`Additional notes about plugin:\\n  Path: ${cmd}\\n  Mode: -rwxr-xr-x\\n`),
    );
  });
  it('core version 2', async () => {
    await startFails(
      { command: printer('core2', '2|1|unix|/tmp/x|grpc|') },
      'HANDSHAKE_CORE_VERSION',
      'incompatible core API version with plugin. Plugin version: 2, Core version: 1\n\nTo fix this, the plugin usually only needs to be recompiled.\nPlease report this to the plugin author',
    );
  });
  it('app version not offered', async () => {
    await startFails(
      { command: printer('app11', '1|11|tcp|:1234') },
      'HANDSHAKE_APP_VERSION',
      'incompatible API version with plugin. Plugin version: 11, Client versions: [1]',
    );
  });
  it('netrpc', async () => {
    await startFails(
      { command: printer('netrpc', '1|1|tcp|127.0.0.1:1234|netrpc') },
      'HANDSHAKE_PROTOCOL',
      'unsupported plugin protocol "netrpc". Supported: [grpc]',
    );
  });
  it('bad network', async () => {
    await startFails(
      { command: printer('udp', '1|1|udp|lolinvalid|grpc|') },
      'HANDSHAKE_NETWORK',
      'unknown address type: lolinvalid',
    );
  });
  it('padded base64 certificate', async () => {
    let cert = await generateCertificate();
    while (cert.der.length % 3 === 0) cert = await generateCertificate();
    const padded = Buffer.from(cert.der).toString('base64');
    await startFails(
      { command: printer('padded', `1|1|unix|/tmp/x|grpc|${padded}`) },
      'HANDSHAKE_CERT',
      `error parsing server cert: illegal base64 data at input byte ${padded.indexOf('=')}`,
    );
  });
  it('garbage certificate', async () => {
    await startFails(
      { command: printer('garbagecert', `1|1|unix|/tmp/x|grpc|${'A'.repeat(80)}`) },
      'HANDSHAKE_CERT',
      /^error parsing server cert: /,
    );
  });
  it('no certificate while AutoMTLS is on', async () => {
    await startFails(
      { command: printer('nocert', '1|1|unix|/tmp/x|grpc|') },
      'HANDSHAKE_CERT_MISSING',
      'the plugin announced no server certificate but the host requires AutoMTLS',
    );
  });
  it('a valid unpadded certificate is accepted up to the connection attempt', async () => {
    const cert = await generateCertificate();
    await startFails(
      {
        command: printer('unpadded', `1|1|unix|${scratch.dir}/nobody-listens|grpc|${encodeRawStd(cert.der)}`),
      },
      'CONNECT_FAILED',
      /^error connecting to the plugin: /,
    );
  });
  it('multiplexing requested from a plugin without it', async () => {
    await startFails(
      { command: printer('nomux', '1|1|unix|/tmp/x|grpc|'), multiplex: true, autoMTLS: false },
      'HANDSHAKE_MUX',
      'client requested gRPC broker multiplexing but plugin does not support the feature; for Go plugins, you will need to update the github.com/hashicorp/go-plugin dependency and recompile',
    );
  });
  it('cookie mismatch: the plugin explains and exits 1, the host reports it with the stderr tail', async () => {
    const err = await startFails(
      {
        command: process.execPath,
        args: [MINIMAL, scratch.dir],
        handshake: { ...handshake, magicCookieValue: 'wrong' },
      },
      'PROCESS_EXITED',
      /^plugin exited before we could connect\nexit status 1; last stderr lines:\nThis binary is a plugin\. These are not meant to be executed directly\./,
    );
    assert.equal(err.details.code, 1);
  });
  it('exit before the handshake', async () => {
    const err = await startFails(
      { command: scratch.script('dies', 'echo "cannot open config" >&2\nexit 3') },
      'PROCESS_EXITED',
      'plugin exited before we could connect\nexit status 3; last stderr lines:\ncannot open config',
    );
    assert.equal(err.details.code, 3);
  });
  it('stdout closed while the process keeps running', async () => {
    await startFails(
      { command: scratch.script('closes', 'exec >&-\nexec sleep 60') },
      'HANDSHAKE_BAD_LINE',
      /^Unrecognized remote plugin message: \nFailed to read any lines from plugin's stdout\nThis usually means/,
    );
  });
  it('never handshakes: timeout, and the process is killed', async () => {
    const err = await startFails(
      { command: scratch.script('silent', 'exec sleep 60'), startTimeoutMs: 300 },
      'START_TIMEOUT',
      'timeout while waiting for plugin to start',
    );
    assert.equal(err.details.timeoutMs, 300);
  });
  it('missing executable', async () => {
    await startFails(
      { command: `${scratch.dir}/does-not-exist` },
      'SPAWN_FAILED',
      /^exec: ".*does-not-exist": spawn .* ENOENT$/,
    );
  });
  it('a whole command line as command: the fix says there is no shell and arguments go in args', async () => {
    const err = await startFails(
      { command: `${process.execPath} ${MINIMAL} --flag` },
      'SPAWN_FAILED',
      /^exec: ".* .*minimal-plugin\.js --flag": spawn .* ENOENT$/,
    );
    assert.equal(
      err.fix,
      `${JSON.stringify(`${process.execPath} ${MINIMAL} --flag`)} is taken as the name of one executable: ` +
        'commands run without a shell. Put the program in command and its arguments in args: ' +
        `{ command: ${JSON.stringify(process.execPath)}, args: ${JSON.stringify([MINIMAL, '--flag'])} }.`,
    );
    const plain = await startFails({ command: `${scratch.dir}/missing` }, 'SPAWN_FAILED', /ENOENT$/);
    assert.equal(
      plain.fix,
      'Check the command path, that it is executable by this user, and its interpreter line.',
    );
  });
});

describe('SecureConfig', () => {
  it('refuses a tampered executable before it runs', async () => {
    const marker = `${scratch.dir}/ran`;
    const cmd = scratch.script('tampered', `touch ${marker}\nexec sleep 60`);
    const err = await startFails(
      { command: cmd, secureConfig: { hash: 'sha256', checksum: '00'.repeat(32) } },
      'CHECKSUM_MISMATCH',
      'checksums did not match',
    );
    assert.match(String(err.details.actual), /^[0-9a-f]{64}$/);
    assert.equal(existsSync(marker), false, 'the tampered script never ran');
  });
  it('rejects an unknown hash and a missing checksum', async () => {
    const cmd = scratch.script('any', 'exit 0');
    await startFails(
      { command: cmd, secureConfig: { hash: 'nope', checksum: 'aa' } },
      'CHECKSUM_ERROR',
      'error verifying checksum: no hash implementation provided',
    );
    await startFails(
      { command: cmd, secureConfig: { hash: 'sha256', checksum: '' } },
      'CHECKSUM_ERROR',
      'error verifying checksum: no checksum provided',
    );
  });
});

describe('options', () => {
  it('exactly one of command or reattach', () => {
    assert.throws(() => new PluginClient({ handshake }), /exactly one of command or reattach must be set/);
    assert.throws(
      () =>
        new PluginClient({
          handshake,
          command: 'x',
          reattach: {
            protocol: 'grpc',
            protocolVersion: 1,
            addr: { network: 'unix', address: '/x' },
            pid: 1,
          },
        }),
      /exactly one of command or reattach must be set/,
    );
  });
  it('reattach excludes SecureConfig and multiplexing, with go-plugin texts', () => {
    const reattach = {
      protocol: 'grpc' as const,
      protocolVersion: 1,
      addr: { network: 'unix' as const, address: '/x' },
      pid: 1,
    };
    assert.throws(
      () => new PluginClient({ handshake, reattach, secureConfig: { hash: 'sha256', checksum: 'aa' } }),
      /only one of Reattach or SecureConfig can be set/,
    );
    assert.throws(
      () => new PluginClient({ handshake, reattach, multiplex: true }),
      /gRPC broker multiplexing is not supported with Reattach config/,
    );
  });
  it('only gRPC', () => {
    assert.throws(
      () => new PluginClient({ handshake, command: 'x', allowedProtocols: ['netrpc'] }),
      (e: unknown) => e instanceof GoPluginError && e.code === 'INVALID_OPTIONS',
    );
  });
});
