/**
 * Packed TS plugins under real Go hosts (go-plugin v1.0.1, v1.2.2 — geth's
 * pin — and v1.8.0): the hello world example as `qplugin pack` makes it (a
 * CommonJS bundle + V8 code cache behind a loader, run by node), as an ES
 * module bundle (--no-code-cache), and as a single executable
 * (`--sea`: Node.js inside, the host needs none), which also passes
 * `qplugin check` and builds byte-identically twice. The --snapshot variant
 * is the interop fixture (the hello world's services, plus broker and stdio
 * services): under all three hosts, and under v1.8.0 multiplexed and not
 * (yamux loads after the snapshot). Single executables are built once per
 * file (~130 MB each) in a temp directory removed at the end.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { generateCertificate } from '@qplugin/go-plugin/internal';
import { expectNoProcesses, isAlive } from '@qplugin/go-plugin/testing';
import { packPlugin } from '@qplugin/cli';
import { isQuorumError, QUORUM_MAGIC_COOKIE_KEY, QUORUM_MAGIC_COOKIE_VALUE } from '@qplugin/quorum';

import { GO_PLUGIN_VERSIONS, REPO_ROOT, goPeer, interopSkip } from '../src/support/go.js';
import type { GoPluginVersion } from '../src/support/go.js';
import { runGoHost, step } from '../src/support/gohost.js';
import type { HostOptions, HostRun } from '../src/support/gohost.js';
import { announcedCertificate, firstLine } from '../src/support/handshake-line.js';
import { HELLOWORLD_PLUGIN, INTEROP_PLUGIN } from '../src/support/paths.js';
import { seaNode } from '../src/support/sea.js';

const goSkip = interopSkip();
const sea = await seaNode();
const skip = goSkip || sea.skip;
const QPLUGIN = join(REPO_ROOT, 'packages', 'cli', 'bin', 'qplugin.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'qp-it-packed-'));
/** Extra argv marking this file's plugin processes (test files run in parallel). */
const TOKEN = `--qp-test=${randomUUID()}`;
after(() => rmSync(scratch, { recursive: true, force: true }));

function unzip(zip: string, name: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  execFileSync('unzip', ['-q', zip, '-d', dir]);
  return dir;
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [QPLUGIN, ...args], {
      cwd: scratch,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface CliPacked {
  zip: string;
  sha256: string;
  entrypoint: string;
  meta: Record<string, unknown>;
  sea: { snapshot: boolean; executableBytes: number };
  nodeFlags: string[];
}

/** The hello world single executable as a user makes it: the CLI, with the Node it is built from. */
async function packSeaWithCli(out: string): Promise<CliPacked> {
  const r = await cli([
    'pack',
    '--name',
    'quorum-plugin-hello-world',
    '--version',
    '1.0.0',
    '--entry',
    HELLOWORLD_PLUGIN,
    '--out',
    out,
    '--sea',
    '--node',
    sea.node,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as CliPacked;
}

/** Runs a Go host with the plugin's sockets in a private TMPDIR, then checks nothing is left behind. */
async function run(version: GoPluginVersion, options: Omit<HostOptions, 'env'>): Promise<HostRun> {
  const tmp = mkdtempSync(join(scratch, 'run-'));
  const result = await runGoHost(goPeer(version).host, {
    ...options,
    plugin: [...options.plugin, TOKEN],
    env: { ...process.env, TMPDIR: tmp },
  });
  assert.equal(step(result, 'start').ok, true, result.log);
  const kill = step(result, 'kill');
  assert.equal(kill.ok, true, result.log);
  assert.equal(kill.exited, true, 'the host saw the plugin exit');
  assert.ok(!isAlive(kill.pid as number), `plugin pid ${String(kill.pid)} is still alive`);
  assert.doesNotMatch(result.log, /plugin failed to exit gracefully/, 'Kill must be graceful');
  assert.deepEqual(readdirSync(tmp), [], 'the plugin removed its socket and directory');
  await expectNoProcesses(TOKEN);
  return result;
}

const HELLO_STEPS = ['init:{"language":"es"}', 'greet:Quorum', 'init:{"language":"fr"}', 'greet:again'];

function assertHello(r: HostRun): void {
  assert.equal(step(r, 'init', 0).ok, true, r.log);
  assert.equal(step(r, 'greet', 0).value, 'Hola Quorum!');
  const bad = step(r, 'init', 1);
  assert.equal(bad.code, 'InvalidArgument');
  assert.equal(bad.message, 'unsupported language: [fr]');
  assert.equal(step(r, 'greet', 1).value, 'Hola again!');
}

/** Plugin argv per variant, and the code-cache SEA's zip: built once for the whole file. */
const variants: Record<string, string[]> = {};
let seaZip = '';
let seaSha = '';

before(async () => {
  if (skip) return;
  const bundled = await packPlugin({
    name: 'hello',
    version: '1.0.0',
    entry: HELLOWORLD_PLUGIN,
    outDir: join(scratch, 'out-bundled'),
    codeCache: false,
  });
  assert.equal(bundled.format, 'bundle');
  // Exec'd as geth does: the entrypoint's first lines start node, with the default flags.
  variants.bundled = [join(unzip(bundled.zipPath, 'bundled'), bundled.entrypoint)];
  const cached = await packPlugin({
    name: 'hello',
    version: '1.0.0',
    entry: HELLOWORLD_PLUGIN,
    outDir: join(scratch, 'out-code-cache'),
  });
  assert.equal(cached.format, 'code-cache', "qplugin pack's default for an entry without top-level await");
  variants['code cache'] = [join(unzip(cached.zipPath, 'code-cache'), cached.entrypoint)];
  const packed = await packSeaWithCli(join(scratch, 'out-sea'));
  seaZip = packed.zip;
  seaSha = packed.sha256;
  assert.match(packed.zip, /quorum-plugin-hello-world-1\.0\.0-linux-(amd64|arm64)\.zip$/);
  assert.equal(packed.entrypoint, 'quorum-plugin-hello-world');
  assert.equal(packed.meta.os, 'linux');
  assert.equal(packed.sea.snapshot, false, 'a code cache by default');
  assert.deepEqual(
    packed.nodeFlags,
    ['--max-semi-space-size=4', '--min-semi-space-size=4'],
    'the default flags, in the SEA config',
  );
  const dir = unzip(packed.zip, 'sea');
  assert.deepEqual(readdirSync(dir).sort(), ['plugin-meta.json', 'quorum-plugin-hello-world']);
  assert.ok(statSync(join(dir, packed.entrypoint)).mode & 0o100, 'the executable is executable');
  variants.sea = [join(dir, packed.entrypoint)];
  // The snapshot variant is the interop fixture (the hello world's services and Greeter, plus
  // broker/stdio services for the v1.8.0 tests below): one ~130 MB build less per run.
  const snap = await packPlugin({
    name: 'interop',
    version: '1.0.0',
    entry: INTEROP_PLUGIN,
    outDir: join(scratch, 'out-interop'),
    sea: { node: sea.node, snapshot: true },
  });
  variants['sea snapshot'] = [join(unzip(snap.zipPath, 'interop'), snap.entrypoint)];
});

describe('packed TS hello world under go-plugin Go hosts', { skip }, () => {
  for (const version of GO_PLUGIN_VERSIONS) {
    for (const variant of ['bundled', 'code cache', 'sea', 'sea snapshot']) {
      it(`${variant}: Init, Greeting and InvalidArgument under ${version}, AutoMTLS on`, async () => {
        assertHello(await run(version, { automtls: true, plugin: variants[variant]!, steps: HELLO_STEPS }));
      });
    }
    for (const variant of ['sea', 'sea snapshot']) {
      it(`${variant}: the same under ${version} with AutoMTLS off`, async () => {
        assertHello(await run(version, { automtls: false, plugin: variants[variant]!, steps: HELLO_STEPS }));
      });
    }
  }

  it('sea: started by hand, it explains itself and exits 1, without a Node.js on PATH', () => {
    const r = spawnSync(variants.sea![0]!, [], { env: { PATH: '' }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^This binary is a plugin\./);
  });

  for (const variant of ['bundled', 'code cache', 'sea', 'sea snapshot']) {
    it(`${variant}: runs with the default Node.js flags (execArgv seen by a preload)`, () => {
      const probe = join(scratch, 'execargv-probe.cjs');
      writeFileSync(probe, 'process.stderr.write("EXECARGV " + JSON.stringify(process.execArgv) + "\\n");\n');
      const r = spawnSync(variants[variant]![0]!, [], {
        env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: `--require ${probe}` },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(
        /EXECARGV (.*)/.exec(r.stderr)?.[1],
        '["--max-semi-space-size=4","--min-semi-space-size=4"]',
        r.stderr,
      );
    });
  }

  for (const variant of ['bundled', 'code cache', 'sea', 'sea snapshot']) {
    it(`${variant}: every start makes its own AutoMTLS key and certificate (none is built in)`, async () => {
      const host = await generateCertificate();
      const certs: X509Certificate[] = [];
      for (let i = 0; i < 2; i++) {
        const line = await firstLine([...variants[variant]!, TOKEN], {
          PATH: process.env.PATH ?? '',
          [QUORUM_MAGIC_COOKIE_KEY]: QUORUM_MAGIC_COOKIE_VALUE,
          PLUGIN_PROTOCOL_VERSIONS: '1',
          PLUGIN_MIN_PORT: '10000',
          PLUGIN_MAX_PORT: '25000',
          PLUGIN_CLIENT_CERT: host.pem,
          TMPDIR: mkdtempSync(join(scratch, 'handshake-')), // its socket, left behind by the SIGKILL
        });
        certs.push(announcedCertificate(line));
      }
      for (const c of certs) assert.equal(c.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.notEqual(certs[0]!.fingerprint256, certs[1]!.fingerprint256);
      assert.notDeepEqual(
        certs[0]!.publicKey.export({ type: 'spki', format: 'der' }),
        certs[1]!.publicKey.export({ type: 'spki', format: 'der' }),
      );
    });
  }

  it('sea: byte-reproducible: a second build from the same inputs and Node gives the same zip', async () => {
    const again = await packSeaWithCli(join(scratch, 'out-sea-again'));
    assert.equal(again.sha256, seaSha);
  });

  it('sea: qplugin check passes the zip', async () => {
    const r = await cli(['check', '--json', seaZip]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { points: { id: string; status: string }[] };
    const notPassed = report.points.filter((p) => p.status !== 'pass');
    assert.deepEqual(notPassed, []);
    assert.ok(report.points.length >= 10);
  });
});

describe(
  'the interop fixture as a snapshot single executable under a go-plugin v1.8.0 host',
  { skip },
  () => {
    for (const mux of [false, true]) {
      it(`health ping, stdout via GRPCStdio, broker round trips (${mux ? 'multiplexed' : 'one socket per brokered server'})`, async () => {
        const r = await run('v1.8.0', {
          mux,
          sync: true,
          plugin: variants['sea snapshot']!,
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
        assert.equal(
          step(r, 'dialplugin').value,
          'plugin echo: knock',
          JSON.stringify(step(r, 'dialplugin')),
        );
        assert.equal(step(r, 'kill').stdout, 'hello from the plugin\n');
      });
    }
  },
);

describe('qplugin pack --sea: failures that need a real Node.js >= 22', { skip: sea.skip }, () => {
  it("--os/--arch other than the Node binary's platform: PACK_INPUT before anything is built", async () => {
    await assert.rejects(
      packPlugin({
        name: 'hello',
        version: '1.0.0',
        entry: HELLOWORLD_PLUGIN,
        outDir: scratch,
        os: 'windows',
        arch: 'amd64',
        sea: { node: sea.node },
      }),
      (e: unknown) => isQuorumError(e, 'PACK_INPUT') && /not windows\/amd64/.test(e.message),
    );
  });

  it('top-level await: PACK_BUNDLE, saying to call void serve()', async () => {
    const entry = join(scratch, 'tla.mjs');
    writeFileSync(entry, 'await Promise.resolve();\n');
    await assert.rejects(
      packPlugin({ name: 'tla', version: '1.0.0', entry, outDir: scratch, sea: { node: sea.node } }),
      (e: unknown) => isQuorumError(e, 'PACK_BUNDLE') && /void serve/.test(e.fix ?? ''),
    );
  });

  it('import.meta (empty in the CommonJS bundle a single executable runs): PACK_BUNDLE naming file and line', async () => {
    const entry = join(scratch, 'meta.mjs');
    writeFileSync(entry, 'console.log(import.meta.url);\n');
    await assert.rejects(
      packPlugin({ name: 'meta', version: '1.0.0', entry, outDir: scratch, sea: { node: sea.node } }),
      (e: unknown) =>
        isQuorumError(e, 'PACK_BUNDLE') &&
        /import\.meta at .*meta\.mjs:1/.test(e.message) &&
        /__dirname/.test(e.fix ?? ''),
    );
  });

  it('module code that fails while the snapshot is built: PACK_SEA_BUILD with its output', async () => {
    const entry = join(scratch, 'throws.mjs');
    writeFileSync(entry, "throw new Error('boom at load');\n");
    await assert.rejects(
      packPlugin({
        name: 'throws',
        version: '1.0.0',
        entry,
        outDir: scratch,
        sea: { node: sea.node, snapshot: true },
      }),
      (e: unknown) =>
        isQuorumError(e, 'PACK_SEA_BUILD') &&
        /boom at load/.test(e.message) &&
        /without --snapshot/.test(e.fix ?? ''),
    );
  });

  it('an entry that never serves: the built executable fails its smoke test (PACK_SEA_BUILD)', async () => {
    const entry = join(scratch, 'noserve.mjs');
    writeFileSync(entry, 'console.log("not a plugin");\n');
    await assert.rejects(
      packPlugin({
        name: 'noserve',
        version: '1.0.0',
        entry,
        outDir: scratch,
        sea: { node: sea.node },
      }),
      (e: unknown) =>
        isQuorumError(e, 'PACK_SEA_BUILD') &&
        /does not start as a plugin/.test(e.message) &&
        /not a plugin/.test(e.message),
    );
  });
});
