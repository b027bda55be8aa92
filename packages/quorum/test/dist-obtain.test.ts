/**
 * obtainPlugin end to end: local and online verification, download into
 * baseDir only on success, geth's downloader_test, the 0-byte leftover, the
 * read-once guarantee, and that every failure cleans its workspace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { createLogger } from '@qplugin/go-plugin/protocol';

import {
  generateSigningKey,
  obtainPlugin,
  removeWorkspace,
  sha256Checksum,
  signChecksum,
} from '../src/distribution/index.js';
import type { ObtainOptions, SigningKeyPair } from '../src/distribution/index.js';
import type { CentralConfig } from '../src/settings/types.js';
import { PLATFORM, Scratch, rejectsWith } from './fixtures/distribution/support.js';
import { makeCertificate, startServer } from './fixtures/distribution/servers.js';
import type { TestCertificate, TestServer } from './fixtures/distribution/servers.js';
import { pluginZip } from './fixtures/distribution/zips.js';

const scratch = new Scratch('qp-dist-obtain-');
const DEF = { name: 'quorum-plugin-hello-world', version: '1.0.0' };
const ZIP_NAME = 'quorum-plugin-hello-world-1.0.0-linux-amd64.zip';
const ZIP_PATH = `/maven/bin/quorum-plugin-hello-world/1.0.0/${ZIP_NAME}`;
const SIG_PATH =
  '/maven/bin/quorum-plugin-hello-world/1.0.0/quorum-plugin-hello-world-1.0.0-linux-amd64-sha256.checksum.asc';

let publisher: SigningKeyPair;
let attacker: SigningKeyPair;
let cert: TestCertificate;
let zip: Buffer;
let server: TestServer;
/** What the central server serves; tests swap it. */
let served: { zip: Buffer; sig: string; key: string };

function centralConfig(baseURL: string): CentralConfig {
  return {
    baseURL,
    pluginDistPathTemplate: 'maven/bin/{{.Name}}/{{.Version}}/{{.Name}}-{{.Version}}-{{.OS}}-{{.Arch}}.zip',
    pluginSigPathTemplate:
      'maven/bin/{{.Name}}/{{.Version}}/{{.Name}}-{{.Version}}-{{.OS}}-{{.Arch}}-sha256.checksum.asc',
    publicKeyURI: 'gpg.key',
    certFingerprint: cert.spkiFingerprint,
    insecureSkipTLSVerify: true,
  };
}

/** A fresh baseDir and workspace root, plus options for them. */
function setup(extra: Partial<ObtainOptions> = {}): {
  baseDir: string;
  wsRoot: string;
  options: ObtainOptions;
} {
  const baseDir = scratch.sub('base');
  const wsRoot = scratch.sub('ws');
  return {
    baseDir,
    wsRoot,
    options: {
      baseDir,
      platform: PLATFORM,
      central: centralConfig(server.url),
      verification: 'local',
      workspaceRoot: wsRoot,
      download: { env: {} },
      ...extra,
    },
  };
}

async function signedLocal(baseDir: string, bytes = zip, name = ZIP_NAME): Promise<string> {
  const path = join(baseDir, name);
  writeFileSync(path, bytes);
  writeFileSync(`${path}.sha256sum.asc`, await signChecksum(sha256Checksum(bytes), publisher.privateKey));
  writeFileSync(join(baseDir, 'gpg.key'), publisher.publicKey);
  return path;
}

before(async () => {
  [publisher, attacker] = await Promise.all([
    generateSigningKey({ name: 'Publisher', email: 'pub@example.com', rsaBits: 2048 }),
    generateSigningKey({ name: 'Attacker', email: 'evil@example.com', rsaBits: 2048 }),
  ]);
  cert = makeCertificate(scratch.dir);
  zip = await pluginZip({
    extra: [{ name: 'lib/readme.txt', data: 'docs' }],
    meta: {
      name: DEF.name,
      version: DEF.version,
      entrypoint: 'helloworld',
      parameters: ['--greeting', 'hello world'],
    },
  });
  served = {
    zip,
    sig: await signChecksum(sha256Checksum(zip), publisher.privateKey),
    key: publisher.publicKey,
  };
  server = await startServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === ZIP_PATH) res.end(served.zip);
    else if (req.url === SIG_PATH) res.end(served.sig);
    else if (req.url === '/gpg.key') res.end(served.key);
    else {
      res.writeHead(404);
      res.end('no such file');
    }
  }, cert);
});
after(() => server.close());

describe('obtainPlugin', () => {
  it('local verification: everything the manager needs, and a runnable entrypoint', async () => {
    const { baseDir, wsRoot, options } = setup();
    const zipPath = await signedLocal(baseDir);
    const before = server.requests.length;
    const got = await obtainPlugin(DEF, options);
    assert.equal(got.zipPath, zipPath);
    assert.equal(got.source, 'local');
    assert.equal(got.form, 'platform');
    assert.equal(got.checksum, sha256Checksum(zip));
    assert.deepEqual(got.verification, {
      checksum: got.checksum,
      mode: 'local',
      keyFingerprint: publisher.fingerprint,
      signedOver: 'checksum',
      signatureSource: `${zipPath}.sha256sum.asc`,
      publicKeySource: join(baseDir, 'gpg.key'),
    });
    assert.ok(got.dir.startsWith(wsRoot));
    assert.equal(statSync(got.dir).mode & 0o777, 0o700);
    assert.equal(got.executable, join(got.dir, 'helloworld'));
    assert.deepEqual(got.args, ['--greeting', 'hello world']);
    assert.equal(got.meta.name, DEF.name);
    assert.deepEqual(got.files.map((f) => f.name).sort(), [
      'helloworld',
      'lib/readme.txt',
      'plugin-meta.json',
    ]);
    for (const [k, v] of Object.entries(got.timings)) assert.ok(typeof v === 'number' && v >= 0, k);
    assert.equal(server.requests.length, before, 'local mode with a local zip never touches the network');
    const run = spawnSync(got.executable, got.args, { cwd: got.dir, encoding: 'utf8' });
    assert.equal(run.stdout, 'hello\n');
    await removeWorkspace(got.dir);
    assert.equal(existsSync(got.dir), false);
  });

  // §7 downloader_test: an existing zip is used without any network access.
  it('downloader_test: an existing zip is used as is, without network access', async () => {
    // Central is unreachable and even misconfigured: it must not matter.
    const central = { ...centralConfig('https://127.0.0.1:1/'), certFingerprint: 'not-hex' };
    const { baseDir, options } = setup({ verification: 'skip', central });
    writeFileSync(join(baseDir, ZIP_NAME), zip);
    const got = await obtainPlugin(DEF, options);
    assert.equal(got.zipPath, join(baseDir, ZIP_NAME));
    assert.deepEqual(got.verification, {
      checksum: sha256Checksum(zip),
      mode: 'skip',
      signedOver: 'unverified',
    });
  });

  it('…but a 0-byte zip is not "installed" (on purpose unlike geth): it is downloaded and replaced', async () => {
    const { baseDir, options } = setup({ verification: 'online' });
    writeFileSync(join(baseDir, ZIP_NAME), '');
    const got = await obtainPlugin(DEF, options);
    assert.equal(got.source, 'downloaded');
    assert.deepEqual(readFileSync(join(baseDir, ZIP_NAME)), zip);
    assert.notEqual(got.checksum, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('online verification: zip, signature and key from central over pinned HTTPS; the zip is kept for next time', async () => {
    const { baseDir, options } = setup({
      verification: 'online',
      trustedKeyFingerprints: [publisher.fingerprint],
    });
    const progress: number[] = [];
    options.download = { env: {}, onProgress: (p) => progress.push(p.received) };
    const first = server.requests.length;
    const got = await obtainPlugin(DEF, options);
    assert.deepEqual(server.requests.slice(first), [ZIP_PATH, SIG_PATH, '/gpg.key']);
    assert.equal(got.source, 'downloaded');
    assert.equal(got.verification.keyFingerprint, publisher.fingerprint);
    assert.equal(got.verification.signatureSource, `${server.url.slice(0, -1)}${SIG_PATH}`);
    assert.equal(progress.at(-1), zip.length);
    assert.deepEqual(readdirSync(baseDir), [ZIP_NAME]);
    const second = server.requests.length;
    const again = await obtainPlugin(DEF, options);
    assert.equal(again.source, 'local');
    assert.deepEqual(
      server.requests.slice(second),
      [SIG_PATH, '/gpg.key'],
      'online mode re-fetches signature and key, not the zip',
    );
  });

  it('a compromised central (its own key and signature) is refused by trustedKeyFingerprints, leaving nothing behind', async () => {
    const evilZip = await pluginZip({ extra: [{ name: 'backdoor', data: 'x' }] });
    served = {
      zip: evilZip,
      sig: await signChecksum(sha256Checksum(evilZip), attacker.privateKey),
      key: attacker.publicKey,
    };
    try {
      const { baseDir, wsRoot, options } = setup({
        verification: 'online',
        trustedKeyFingerprints: [publisher.fingerprint],
      });
      await rejectsWith(
        obtainPlugin(DEF, options),
        'VERIFY_KEY_NOT_TRUSTED',
        `signed by key ${attacker.fingerprint}`,
      );
      assert.deepEqual(readdirSync(baseDir), [], 'neither the zip nor its temp file stays in baseDir');
      assert.deepEqual(readdirSync(wsRoot), []);
      // Without pins, online mode trusts central (geth's behaviour), and says so in the log.
      const warnings: string[] = [];
      const logger = createLogger((level, message) => level === 'warn' && warnings.push(message), {
        level: 'trace',
      });
      const loose = setup({ verification: 'online', logger });
      const got = await obtainPlugin(DEF, loose.options);
      assert.equal(got.verification.keyFingerprint, attacker.fingerprint);
      assert.ok(
        warnings.some((w) => w.startsWith('online verification trusts whatever key Plugin Central serves')),
      );
    } finally {
      served = {
        zip,
        sig: await signChecksum(sha256Checksum(zip), publisher.privateKey),
        key: publisher.publicKey,
      };
    }
  });

  it('a tampered local zip fails verification before anything is unpacked', async () => {
    const { baseDir, wsRoot, options } = setup();
    const zipPath = await signedLocal(baseDir);
    const tampered = await pluginZip({ extra: [{ name: 'lib/readme.txt', data: 'DOCS' }] });
    writeFileSync(zipPath, tampered);
    await rejectsWith(
      obtainPlugin(DEF, options),
      'VERIFY_SIGNATURE',
      'unable to verify plugin signature: openpgp: invalid signature',
    );
    assert.deepEqual(readdirSync(wsRoot), []);
  });

  it('the bytes unpacked are the bytes hashed: swapping the file after it was read changes nothing', async () => {
    const { baseDir, options } = setup();
    const zipPath = await signedLocal(baseDir);
    const evil = await pluginZip({ extra: [{ name: 'backdoor', data: 'x' }] });
    let swapped = false;
    options.logger = createLogger(
      (_level, message) => {
        if (message === 'verifying plugin integrity' && !swapped) {
          writeFileSync(zipPath, evil);
          swapped = true;
        }
      },
      { level: 'trace' },
    );
    const got = await obtainPlugin(DEF, options);
    assert.ok(swapped);
    assert.equal(got.checksum, sha256Checksum(zip));
    assert.equal(existsSync(join(got.dir, 'backdoor')), false);
  });

  it('the plain <name>-<version>.zip works, with its signature beside it', async () => {
    const { baseDir, options } = setup();
    await signedLocal(baseDir, zip, 'quorum-plugin-hello-world-1.0.0.zip');
    const got = await obtainPlugin(DEF, options);
    assert.equal(got.form, 'plain');
    assert.equal(
      got.verification.signatureSource,
      join(baseDir, 'quorum-plugin-hello-world-1.0.0.zip.sha256sum.asc'),
    );
  });

  it('meta name/version mismatch: clear error, workspace removed', async () => {
    const { baseDir, wsRoot, options } = setup();
    await signedLocal(baseDir, await pluginZip({ version: '2.0.0' }));
    await rejectsWith(
      obtainPlugin(DEF, options),
      'META_INVALID',
      'plugin-meta.json version "2.0.0" does not match the settings definition ("1.0.0")',
    );
    assert.deepEqual(readdirSync(wsRoot), []);
  });

  it('os/arch mismatch: clear error, workspace removed', async () => {
    const { baseDir, wsRoot, options } = setup();
    await signedLocal(
      baseDir,
      await pluginZip({
        meta: { name: DEF.name, version: DEF.version, entrypoint: 'helloworld', os: 'darwin', arch: 'amd64' },
      }),
    );
    await rejectsWith(
      obtainPlugin(DEF, options),
      'META_INVALID',
      'plugin-meta.json os "darwin" does not match this platform ("linux")',
    );
    assert.deepEqual(readdirSync(wsRoot), []);
  });

  it('missing or non-executable entrypoint: clear error, workspace removed', async () => {
    for (const [spec, text] of [
      [{ noEntrypoint: true }, 'entry point does not exist'],
      [{ entrypointMode: 0o100644 }, 'entry point helloworld is not executable'],
    ] as const) {
      const { baseDir, wsRoot, options } = setup();
      await signedLocal(baseDir, await pluginZip(spec));
      await rejectsWith(obtainPlugin(DEF, options), 'META_ENTRYPOINT', text);
      assert.deepEqual(readdirSync(wsRoot), []);
    }
  });

  it('an unsafe archive that is properly signed is still refused', async () => {
    const { baseDir, wsRoot, options } = setup();
    const bad = await pluginZip({ extra: [{ name: 'link', data: '/etc/passwd', mode: 0o120777 }] });
    await signedLocal(baseDir, bad);
    await rejectsWith(obtainPlugin(DEF, options), 'UNPACK_UNSAFE', 'unsafe entry "link"');
    assert.deepEqual(readdirSync(wsRoot), []);
  });

  it('no zip and downloads disabled: DIST_NOT_FOUND naming both file names', async () => {
    const { baseDir, options } = setup({ allowDownload: false });
    const err = await rejectsWith(
      obtainPlugin(DEF, options),
      'DIST_NOT_FOUND',
      `plugin distribution not found in ${baseDir}`,
    );
    assert.deepEqual(err.details.looked, [
      join(baseDir, ZIP_NAME),
      join(baseDir, 'quorum-plugin-hello-world-1.0.0.zip'),
    ]);
  });

  it("a failed download carries geth's wrapper text and leaves baseDir empty", async () => {
    const { baseDir, options } = setup({ verification: 'skip' });
    options.central = { ...centralConfig(server.url), pluginDistPathTemplate: 'missing/{{.Name}}.zip' };
    await rejectsWith(
      obtainPlugin(DEF, options),
      'DIST_DOWNLOAD',
      `can't download from Plugin Central due to: HTTP GET error: code=404, status=404 Not Found, body=no such file. Please download the plugin manually and copy it to ${baseDir}`,
    );
    assert.deepEqual(readdirSync(baseDir), []);
  });

  it('removeWorkspace is idempotent', async () => {
    const dir = join(scratch.dir, 'gone');
    mkdirSync(dir);
    await removeWorkspace(dir);
    await removeWorkspace(dir);
    assert.equal(existsSync(dir), false);
  });
});
