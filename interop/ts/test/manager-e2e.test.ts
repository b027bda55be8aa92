/**
 * Issue 5's proof, end to end through real processes: settings → a
 * distribution built here (our TS hello world, and a Go plugin built with
 * go-plugin v1.2.2) → verified (local key; online from an HTTPS central with
 * pinning) → unpacked → started with Quorum's handshake → Init → Greeting →
 * reload with another language → stop leaves no process and no workspace.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { createLogger } from '@qplugin/go-plugin/protocol';
import { expectNoProcesses } from '@qplugin/go-plugin/testing';
import { packPlugin } from '@qplugin/cli';
import {
  createPluginManager,
  generateSigningKey,
  loadSettings,
  PluginGreeting,
  QuorumError,
  signChecksum,
} from '@qplugin/quorum';
import { goPlatform } from '@qplugin/quorum/internal';
import type { ManagerConfig, PluginManager } from '@qplugin/quorum';

import { goPeer, interopSkip } from '../src/support/go.js';
import { HELLOWORLD_PLUGIN } from '../src/support/paths.js';

const skip = interopSkip();
const scratch = mkdtempSync(join(tmpdir(), 'qp-mgr-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const platform = goPlatform();
/** Marks this file's plugin processes (workspaces live under it, so it is in their argv). */
const workspaceRoot = join(scratch, `ws-${randomUUID()}`);
mkdirSync(workspaceRoot);

let signer: Awaited<ReturnType<typeof generateSigningKey>>;
before(async () => {
  signer = await generateSigningKey({ name: 'qplugin test', email: 'test@example.invalid' });
});

interface Setup {
  baseDir: string;
  configFile: string;
  settingsUri: string;
}

/** A baseDir with a signed distribution, a language config file, and a settings file. */
async function setup(
  name: string,
  pack: { entry?: string; executable?: string; entrypoint?: string },
  settingsExtra: object = {},
): Promise<Setup> {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  const baseDir = join(dir, 'plugins');
  const packed = await packPlugin({
    name,
    version: '1.0.0',
    ...pack,
    outDir: baseDir,
    os: platform.os,
    arch: platform.arch,
    platformSuffix: true,
  });
  writeFileSync(`${packed.zipPath}.sha256sum.asc`, await signChecksum(packed.checksum, signer.privateKey));
  writeFileSync(join(baseDir, 'gpg.key'), signer.publicKey);
  const configFile = join(dir, 'hello-config.json');
  writeFileSync(configFile, '{"language":"en"}');
  const settingsFile = join(dir, 'settings.json');
  writeFileSync(
    settingsFile,
    JSON.stringify({
      baseDir,
      providers: { HelloWorld: { name, version: '1.0.0', config: `file://${configFile}` } },
      ...settingsExtra,
    }),
  );
  return { baseDir, configFile, settingsUri: `file://${settingsFile}` };
}

function logLines(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return {
    lines,
    logger: createLogger(
      (level, message, _m, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`),
      { level: 'debug' },
    ),
  };
}

async function manager(s: Setup, config: Partial<ManagerConfig> = {}): Promise<PluginManager> {
  const settings = await loadSettings(s.settingsUri);
  return createPluginManager({
    settings,
    verification: 'local',
    identity: 'node-1',
    workspaceRoot,
    ...config,
  });
}

/** Start → greet → reload with Spanish → greet → stop, and nothing left behind. */
async function lifecycle(m: PluginManager, s: Setup): Promise<void> {
  await m.start();
  const hello = m.client('helloworld', PluginGreeting);
  assert.equal((await hello.greeting({ msg: 'Quorum' })).msg, 'Hello Quorum!');
  writeFileSync(s.configFile, '{"language":"es"}');
  assert.equal(await m.reload('HelloWorld'), true);
  assert.equal((await hello.greeting({ msg: 'Quorum' })).msg, 'Hola Quorum!');
  const info = m.pluginsInfo();
  assert.equal(info.baseDir, s.baseDir);
  assert.equal(info.helloworld?.version, '1.0.0');
  assert.match(info.helloworld?.executable?.[0] ?? '', new RegExp(`^${workspaceRoot}/`));
  await m.stop();
  await assert.rejects(hello.greeting({ msg: 'x' }), /is not running/);
  assert.deepEqual(readdirSync(workspaceRoot), [], 'every workspace was deleted');
  await expectNoProcesses(workspaceRoot);
}

describe('plugin manager end to end', { skip }, () => {
  it('TS hello world from a locally verified zip: start, Init, Greeting, reload, stop', async () => {
    const s = await setup('quorum-plugin-hello-world-ts', { entry: HELLOWORLD_PLUGIN });
    const { lines, logger } = logLines();
    const m = await manager(s, { logger });
    // Constructing the manager starts nothing.
    await expectNoProcesses(workspaceRoot);
    assert.deepEqual(m.pluginsInfo().helloworld?.executable, null);
    await lifecycle(m, s);
    assert.ok(
      lines.some((l) => l.startsWith('info Plugin started')),
      'lifecycle steps are logged',
    );
    assert.ok(
      lines.some((l) =>
        /provider":"helloworld","plugin":"quorum-plugin-hello-world-ts","version":"1.0.0"/.test(l),
      ),
    );
  });

  it('Go hello world (go-plugin v1.2.2) from a locally verified zip', async () => {
    const s = await setup('quorum-plugin-hello-world-go', {
      executable: goPeer('v1.2.2').plugin,
      entrypoint: 'helloworld',
    });
    await lifecycle(await manager(s), s);
  });

  it('Init errors stop the start and name the provider; nothing is left', async () => {
    const s = await setup('hello-bad-config', { entry: HELLOWORLD_PLUGIN });
    writeFileSync(s.configFile, '{"language":"fr"}');
    const m = await manager(s);
    await assert.rejects(m.start(), (e: unknown) => {
      assert.ok(e instanceof QuorumError);
      assert.equal(e.code, 'PLUGIN_INIT');
      assert.equal(e.message, 'rpc error: code = InvalidArgument desc = unsupported language: [fr]');
      assert.equal(e.details.provider, 'helloworld');
      return true;
    });
    assert.deepEqual(readdirSync(workspaceRoot), []);
    await expectNoProcesses(workspaceRoot);
  });

  it('a tampered zip is refused before anything runs', async () => {
    const s = await setup('hello-tampered', { entry: HELLOWORLD_PLUGIN });
    const zip = readdirSync(s.baseDir).find((f) => f.endsWith('.zip'))!;
    const bytes = readFileSync(join(s.baseDir, zip));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 30) ^ 0xff, bytes.length - 30);
    writeFileSync(join(s.baseDir, zip), bytes);
    const m = await manager(s);
    await assert.rejects(
      m.start(),
      (e: unknown) => e instanceof QuorumError && e.code === 'VERIFY_SIGNATURE',
    );
    assert.deepEqual(readdirSync(workspaceRoot), []);
  });

  it('reload of an unknown provider: geth’s message', async () => {
    const s = await setup('hello-unknown', { entry: HELLOWORLD_PLUGIN });
    const m = await manager(s, { verification: 'skip' });
    await assert.rejects(m.reload('account'), /^QuorumError: no such plugin provider: account$/);
  });
});

describe('plugin manager with an online Plugin Central over pinned HTTPS', { skip }, () => {
  let server: Server;
  let baseURL: string;
  let fingerprint: string;
  let files: Map<string, Buffer>;

  before(async () => {
    const dir = mkdtempSync(join(scratch, 'central-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        '/CN=127.0.0.1',
        '-days',
        '1',
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'));
    fingerprint = createHash('sha256')
      .update(new X509Certificate(cert).raw)
      .digest('hex')
      .replace(/(..)(?!$)/g, '$1:');
    files = new Map();
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      const body = files.get(req.url ?? '');
      if (!body) return void res.writeHead(404).end('not found');
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseURL = `https://127.0.0.1:${(server.address() as AddressInfo).port}/repo/`;
  });
  after(() => server.close());

  /** Publishes a signed hello world on central and returns a setup whose baseDir is empty. */
  async function publish(name: string, pin: string): Promise<Setup> {
    const staging = mkdtempSync(join(scratch, 'staging-'));
    const packed = await packPlugin({ name, version: '1.0.0', entry: HELLOWORLD_PLUGIN, outDir: staging });
    const path = `/repo/maven/bin/${name}/1.0.0/${name}-1.0.0-${platform.os}-${platform.arch}`;
    files.set(`${path}.zip`, readFileSync(packed.zipPath));
    files.set(
      `${path}-sha256.checksum.asc`,
      Buffer.from(await signChecksum(packed.checksum, signer.privateKey, { trailingNewline: true })),
    );
    files.set('/repo/gpg.key', Buffer.from(signer.publicKey));
    return setup(
      name,
      { entry: HELLOWORLD_PLUGIN },
      { central: { baseURL, certFingerprint: pin, insecureSkipTLSVerify: true } },
    ).then((s) => {
      for (const f of readdirSync(s.baseDir)) rmSync(join(s.baseDir, f));
      return s;
    });
  }

  it('downloads, verifies (signature and key from central), starts, reloads and stops', async () => {
    const s = await publish('hello-online', fingerprint);
    const m = await manager(s, { verification: 'online' });
    await lifecycle(m, s);
    assert.ok(
      readdirSync(s.baseDir).some((f) => f.endsWith(`-${platform.os}-${platform.arch}.zip`)),
      'the verified download is kept in baseDir',
    );
  });

  it('refuses a server whose certificate does not match the pin, and leaves no partial file', async () => {
    const s = await publish('hello-wrong-pin', '00'.repeat(32));
    const m = await manager(s, { verification: 'online' });
    await assert.rejects(
      m.start(),
      (e: unknown) =>
        e instanceof QuorumError && e.code === 'DIST_PINNING' && /certificate pinning failed/.test(e.message),
    );
    assert.deepEqual(readdirSync(s.baseDir), [], 'nothing downloaded');
    assert.deepEqual(readdirSync(workspaceRoot), []);
  });

  it('refuses a signature by a key that is not pinned as trusted', async () => {
    const s = await publish('hello-untrusted', fingerprint);
    const m = await manager(s, { verification: 'online', trustedKeyFingerprints: ['AB'.repeat(20)] });
    await assert.rejects(
      m.start(),
      (e: unknown) => e instanceof QuorumError && e.code === 'VERIFY_KEY_NOT_TRUSTED',
    );
    assert.deepEqual(readdirSync(s.baseDir), []);
  });
});
