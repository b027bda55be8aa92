/**
 * pack → sign → verify → inspect → call, through the CLI, for the TS hello
 * world plugin and for a Go plugin binary (go-plugin v1.2.2, Quorum's
 * version); the signatures also checked by Quorum's own Go verifier
 * (x/crypto/openpgp, interop/go/openpgp-check); and verify's rejections.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import { goPlatform } from '@qplugin/quorum/internal';
import { GO_DIR, HELLO_MAIN, goSkip, json, qplugin, scratch, show } from '../support/cli.js';

const work = scratch('qp-cli-dist-');
const keys = join(work, 'keys');
const goSkipReason = goSkip();

let fingerprint = '';
before(async () => {
  const ran = await qplugin([
    'keygen',
    '--name',
    'CLI Publisher',
    '--email',
    'pub@example.com',
    '--out',
    keys,
    '--json',
  ]);
  assert.equal(ran.code, 0, show(ran));
  fingerprint = String(json(ran).fingerprint);
});

/** settings.json with one helloworld provider, config {"language":"en"}. */
function settingsFor(dir: string, name: string, language = 'en'): string {
  const file = join(dir, `settings-${language}.json`);
  const providers = { helloworld: { name, version: '1.0.0', config: { language } } };
  writeFileSync(file, JSON.stringify({ baseDir: join(dir, 'plugins'), providers }));
  return `file://${file}`;
}

interface Case {
  label: string;
  name: string;
  pack: () => string[];
  zipName: string;
  skip: string | false;
}

const HERE = `${goPlatform().os}-${goPlatform().arch}`;

const cases: Case[] = [
  {
    label: 'TS hello world (bundled)',
    name: 'quorum-plugin-hello-world',
    pack: () => ['--entry', HELLO_MAIN],
    zipName: `quorum-plugin-hello-world-1.0.0-${HERE}.zip`,
    skip: false,
  },
  {
    label: 'Go plugin binary (go-plugin v1.2.2)',
    name: 'quorum-plugin-hello-world-go',
    pack: () => {
      execFileSync('bash', [join(GO_DIR, 'build.sh'), 'v1.2.2'], { stdio: ['ignore', 'inherit', 'inherit'] });
      return [
        '--executable',
        join(GO_DIR, 'bin', 'v1.2.2', 'plugin'),
        '--entrypoint',
        'helloworld',
        '--target-platform',
        HERE,
      ];
    },
    zipName: `quorum-plugin-hello-world-go-1.0.0-${HERE}.zip`,
    skip: goSkipReason,
  },
];

for (const c of cases) {
  describe(`pack → sign → verify → inspect → call: ${c.label}`, { skip: c.skip }, () => {
    const dir = join(work, c.name);
    const plugins = join(dir, 'plugins');
    const zip = join(plugins, c.zipName);

    it('pack writes the zip, its .sha256sum and reports them', async () => {
      mkdirSync(dir, { recursive: true });
      const ran = await qplugin([
        'pack',
        '--name',
        c.name,
        '--version',
        '1.0.0',
        ...c.pack(),
        '--out',
        plugins,
        '--json',
      ]);
      assert.equal(ran.code, 0, show(ran));
      const doc = json(ran);
      assert.equal(doc.zip, zip);
      assert.match(String(doc.sha256), /^[0-9a-f]{64}$/);
      assert.equal(readFileSync(`${zip}.sha256sum`, 'utf8'), `${String(doc.sha256)}\n`);
      assert.equal(doc.bytes, readFileSync(zip).length);
    });

    it('sign writes <zip>.sha256sum.asc over the checksum file', async () => {
      const ran = await qplugin(['sign', zip, '--key', join(keys, 'signing-key.asc')]);
      assert.equal(ran.code, 0, show(ran));
      assert.match(ran.stdout, /present, matches/);
      assert.match(ran.stdout, new RegExp(`key +${fingerprint} CLI Publisher <pub@example.com>`));
    });

    it('verify accepts it and says what was signed', async () => {
      const ran = await qplugin(['verify', zip, '--key', join(keys, 'gpg.key'), '--trusted', fingerprint]);
      assert.equal(ran.code, 0, show(ran));
      assert.match(ran.stdout, /^signed over +checksum\+newline$/m);
      assert.match(ran.stdout, new RegExp(`^fingerprint +${fingerprint} `, 'm'));
      assert.match(ran.stdout, /^verdict +OK/m);
      const doc = json(
        await qplugin(['verify', zip, '--key-uri', `file://${join(keys, 'gpg.key')}`, '--json']),
      );
      assert.equal(doc.verdict, 'verified');
      assert.equal(doc.keyFingerprint, fingerprint);
      assert.equal(doc.checksumFileMatches, true);
    });

    it('inspect finds nothing wrong', async () => {
      const ran = await qplugin(['inspect', zip, '--strict', '--json']);
      assert.equal(ran.code, 0, show(ran));
      const doc = json(ran);
      assert.deepEqual(doc.errors, []);
      assert.deepEqual(doc.warnings, []);
      const entry = (doc.entries as Array<{ name: string; executable: boolean; unixMode: string }>).find(
        (e) => e.name !== 'plugin-meta.json',
      );
      assert.equal(entry?.executable, true);
      assert.equal(entry?.unixMode, '0o100755');
    });

    it('call helloworld greeting ["Quorum"] with local verification → Hello Quorum!', async () => {
      copyFileSync(join(keys, 'gpg.key'), join(plugins, 'gpg.key'));
      const ran = await qplugin([
        'call',
        'helloworld',
        'greeting',
        '["Quorum"]',
        '--plugins',
        settingsFor(dir, c.name),
        '--plugins.localverify',
        '--plugins.trustedkeys',
        fingerprint,
      ]);
      assert.equal(ran.code, 0, show(ran));
      assert.equal(ran.stdout, 'Hello Quorum!\n');
      const doc = json(
        await qplugin([
          'call',
          'helloworld',
          'Greeting',
          '["Quorum"]',
          '--plugins',
          settingsFor(dir, c.name, 'es'),
          '--plugins.localverify',
          '--json',
        ]),
      );
      assert.deepEqual(doc, {
        ok: true,
        interface: 'helloworld',
        method: 'greeting',
        result: 'Hola Quorum!',
      });
    });

    it('call reports a gRPC error from Init in Go form, exit 1', async () => {
      const ran = await qplugin([
        'call',
        'helloworld',
        'greeting',
        '["Quorum"]',
        '--plugins',
        settingsFor(dir, c.name, 'fr'),
        '--plugins.skipverify',
      ]);
      assert.equal(ran.code, 1, show(ran));
      assert.match(ran.stderr, /rpc error: code = InvalidArgument desc = unsupported language: \[fr\]/);
    });

    it("Quorum's Go verifier (x/crypto/openpgp) accepts the signature", { skip: goSkipReason }, () => {
      const checker = join(dir, 'openpgp-check');
      execFileSync('go', ['build', '-o', checker, '.'], { cwd: join(GO_DIR, 'openpgp-check') });
      const r = spawnSync(checker, [join(keys, 'gpg.key'), `${zip}.sha256sum.asc`, `${zip}.sha256sum`], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^ok ${fingerprint.slice(-16).toUpperCase()} checksum\\n$`));
    });
  });
}

describe('pack is reproducible', () => {
  it('the same input gives the same zip bytes', async () => {
    const [a, b] = [join(work, 'repro-a'), join(work, 'repro-b')];
    for (const out of [a, b]) {
      const ran = await qplugin([
        'pack',
        '--name',
        'repro',
        '--version',
        '2.0.0',
        '--entry',
        HELLO_MAIN,
        '--out',
        out,
      ]);
      assert.equal(ran.code, 0, show(ran));
    }
    const zipA = readFileSync(join(a, `repro-2.0.0-${HERE}.zip`));
    assert.ok(zipA.equals(readFileSync(join(b, `repro-2.0.0-${HERE}.zip`))));
  });

  it('names the zip as geth looks it up: for this machine, --target-platform, or --plain-name with a warning', async () => {
    const out = join(work, 'names');
    mkdirSync(out, { recursive: true });
    const program = join(out, 'run.sh');
    writeFileSync(program, '#!/bin/sh\n', { mode: 0o755 });
    const pack = async (...flags: string[]): Promise<Record<string, unknown>> =>
      json(
        await qplugin([
          'pack',
          '--name',
          's',
          '--version',
          '1',
          '--executable',
          program,
          '--out',
          out,
          '--json',
          ...flags,
        ]),
      );

    const here = await pack();
    assert.equal(here.zip, join(out, `s-1-${HERE}.zip`));
    assert.deepEqual(
      here.meta,
      { name: 's', version: '1', entrypoint: 'run.sh' },
      'the meta names no platform',
    );
    assert.equal(here.warnings, undefined);
    assert.equal(
      (await pack('--platform-suffix')).zip,
      join(out, `s-1-${HERE}.zip`),
      'the old flag still works',
    );

    const cross = await pack('--target-platform', 'darwin-arm64');
    assert.equal(cross.zip, join(out, 's-1-darwin-arm64.zip'));
    assert.deepEqual(cross.meta, {
      name: 's',
      version: '1',
      entrypoint: 'run.sh',
      os: 'darwin',
      arch: 'arm64',
    });
    assert.equal((await pack('--os', 'windows', '--arch', 'amd64')).zip, join(out, 's-1-windows-amd64.zip'));

    const plain = await pack('--plain-name');
    assert.equal(plain.zip, join(out, 's-1.zip'));
    assert.deepEqual(plain.warnings, [
      'geth will not find this zip: it looks for <name>-<version>-<os>-<arch>.zip (pack without --plain-name)',
    ]);
  });

  it('refuses a target platform geth would never look up', async () => {
    const usage = async (flags: string[], message: string): Promise<void> => {
      const ran = await qplugin([
        'pack',
        '--name',
        's',
        '--version',
        '1',
        '--executable',
        HELLO_MAIN,
        ...flags,
      ]);
      assert.equal(ran.code, 2, show(ran));
      assert.ok(ran.stderr.includes(message), show(ran));
    };
    await usage(['--target-platform', 'linux'], '--target-platform "linux" must be OS-ARCH in Go\'s names');
    await usage(['--target-platform', 'Linux-AMD64'], '--target-platform "Linux-AMD64" must be OS-ARCH');
    await usage(
      ['--target-platform', 'linux-x64'],
      "--target-platform linux-x64 uses Node's name x64: geth looks for Go's names, here linux-amd64",
    );
    await usage(
      ['--target-platform', 'win32-ia32'],
      "uses Node's name win32 and ia32: geth looks for Go's names, here windows-386",
    );
    await usage(
      ['--target-platform', 'linux-amd64', '--os', 'linux', '--arch', 'amd64'],
      'give --target-platform or --os/--arch, not both',
    );
    await usage(['--plain-name', '--platform-suffix'], 'give only one of --plain-name and --platform-suffix');
  });
});

describe('verify rejects (exit 3) with the reason', () => {
  const dir = join(work, 'rejects');
  const zip = join(dir, `quorum-plugin-hello-world-1.0.0-${HERE}.zip`);
  const otherKeys = join(dir, 'other');
  let otherFingerprint = '';

  before(async () => {
    mkdirSync(dir, { recursive: true });
    const packed = await qplugin([
      'pack',
      '--name',
      'quorum-plugin-hello-world',
      '--version',
      '1.0.0',
      '--entry',
      HELLO_MAIN,
      '--out',
      dir,
    ]);
    assert.equal(packed.code, 0, show(packed));
    const signed = await qplugin(['sign', zip, '--key', join(keys, 'signing-key.asc')]);
    assert.equal(signed.code, 0, show(signed));
    const other = await qplugin([
      'keygen',
      '--name',
      'Other',
      '--email',
      'o@example.com',
      '--out',
      otherKeys,
      '--json',
    ]);
    otherFingerprint = String(json(other).fingerprint);
  });

  it('a tampered zip: bad signature, and the stale .sha256sum is pointed out', async () => {
    const tampered = join(dir, 'tampered.zip');
    const bytes = readFileSync(zip);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(tampered, bytes);
    copyFileSync(`${zip}.sha256sum`, `${tampered}.sha256sum`);
    copyFileSync(`${zip}.sha256sum.asc`, `${tampered}.sha256sum.asc`);
    const ran = await qplugin(['verify', tampered, '--key', join(keys, 'gpg.key')]);
    assert.equal(ran.code, 3, show(ran));
    assert.match(ran.stdout, /^verdict +REJECTED \(VERIFY_SIGNATURE\): unable to verify plugin signature/m);
    assert.match(ran.stdout, /the zip changed after it was packed/);
    const doc = json(await qplugin(['verify', tampered, '--key', join(keys, 'gpg.key'), '--json']));
    assert.equal(doc.ok, false);
    assert.equal((doc.reason as { code: string }).code, 'VERIFY_SIGNATURE');
    assert.equal(doc.checksumFileMatches, false);
  });

  it('a missing .asc', async () => {
    const lonely = join(dir, 'lonely.zip');
    copyFileSync(zip, lonely);
    const ran = await qplugin(['verify', lonely, '--key', join(keys, 'gpg.key'), '--json']);
    assert.equal(ran.code, 3, show(ran));
    const reason = json(ran).reason as { code: string; message: string };
    assert.equal(reason.code, 'VERIFY_MATERIAL');
    assert.match(reason.message, /lonely\.zip\.sha256sum\.asc: no such file or directory/);
  });

  it('the wrong key', async () => {
    const ran = await qplugin(['verify', zip, '--key', join(otherKeys, 'gpg.key')]);
    assert.equal(ran.code, 3, show(ran));
    assert.match(ran.stdout, /signature made by unknown entity/);
  });

  it('an untrusted key fingerprint', async () => {
    const ran = await qplugin([
      'verify',
      zip,
      '--key',
      join(keys, 'gpg.key'),
      '--trusted',
      otherFingerprint,
      '--json',
    ]);
    assert.equal(ran.code, 3, show(ran));
    assert.equal((json(ran).reason as { code: string }).code, 'VERIFY_KEY_NOT_TRUSTED');
  });

  it('a missing public key is an operational failure (exit 1), not a verdict', async () => {
    rmSync(join(dir, 'gpg.key'), { force: true });
    const ran = await qplugin(['verify', zip]);
    assert.equal(ran.code, 1, show(ran));
    assert.match(ran.stderr, /public key: stat .*gpg\.key: no such file or directory/);
  });
});
