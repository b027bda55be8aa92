/** Every distribution command: --help, usage errors (exit 2), --json documents, keygen and sign rules. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { json, qplugin, qpluginEach, scratch, show } from './support/cli.js';

const COMMANDS = ['pack', 'keygen', 'sign', 'verify', 'inspect', 'call', 'new'];

describe('qplugin command line', () => {
  it('lists the commands and prints --help for each, exit 0', async () => {
    const top = await qplugin(['--help']);
    assert.equal(top.code, 0);
    for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${c} `, 'm'));
    const runs = await qpluginEach(COMMANDS.map((c) => [c, '--help']));
    for (const [i, c] of COMMANDS.entries()) {
      const ran = runs[i]!;
      assert.equal(ran.code, 0, show(ran));
      assert.match(ran.stdout, new RegExp(`usage: qplugin ${c}`));
      assert.match(ran.stdout, /Exit codes:/);
    }
  });

  it('an unknown option is a usage error, exit 2', async () => {
    const runs = await qpluginEach(COMMANDS.map((c) => [c, '--no-such-option']));
    for (const [i, c] of COMMANDS.entries()) {
      const ran = runs[i]!;
      assert.equal(ran.code, 2, `${c}: ${show(ran)}`);
      assert.match(ran.stderr, /Unknown option '--no-such-option'/);
      assert.match(ran.stderr, new RegExp(`usage: qplugin ${c}`));
    }
  });

  it('missing arguments are usage errors, exit 2', async () => {
    const cases: string[][] = [
      ['pack', '--name', 'x'],
      ['pack', '--name', 'x', '--version', '1', '--entry', 'a.js', '--executable', 'b'],
      ['pack', '--name', 'x', '--version', '1', '--executable', 'b', '--os', 'linux'],
      ['keygen', '--name', 'x'],
      ['sign', 'x.zip'],
      ['verify'],
      ['verify', 'x.zip', '--key', 'a', '--key-uri', 'b'],
      ['verify', 'x.zip', '--trusted', 'ABCD'],
      ['inspect'],
      ['call', 'helloworld'],
      ['call', 'nosuch', 'greeting'],
      ['call', 'helloworld', 'nosuch'],
      ['call', 'helloworld', 'greeting', 'not json'],
      ['call', 'account', 'sign', '["0x01", "0xzz"]'],
      ['call', 'account', 'importRawKey', '["abc", {}]'],
      ['call', 'helloworld', 'greeting', '["a"]'],
      ['new'],
      ['new', 'Bad Name'],
    ];
    const runs = await qpluginEach(cases);
    for (const [i, args] of cases.entries()) {
      const ran = runs[i]!;
      assert.equal(ran.code, 2, `${args.join(' ')}: ${show(ran)}`);
    }
  });

  it('--json failures are one JSON document with the error code, exit 1', async () => {
    const dir = scratch('qp-cli-basics-');
    const ran = await qplugin(['verify', join(dir, 'missing.zip'), '--json']);
    assert.equal(ran.code, 1, show(ran));
    const doc = json(ran);
    assert.equal(doc.ok, false);
    assert.equal((doc.error as { code: string }).code, 'DIST_NOT_FOUND');
  });

  it('keygen writes a 0600 secret key and a public key, warns, and will not overwrite', async () => {
    const dir = scratch('qp-cli-keygen-');
    const ran = await qplugin([
      'keygen',
      '--name',
      'CLI Test',
      '--email',
      'cli@example.com',
      '--out',
      dir,
      '--json',
    ]);
    assert.equal(ran.code, 0, show(ran));
    const doc = json(ran);
    assert.match(String(doc.fingerprint), /^[0-9a-f]{40}$/);
    assert.equal(statSync(join(dir, 'signing-key.asc')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(dir, 'signing-key.asc'), 'utf8'), /BEGIN PGP PRIVATE KEY BLOCK/);
    assert.match(readFileSync(join(dir, 'gpg.key'), 'utf8'), /BEGIN PGP PUBLIC KEY BLOCK/);
    assert.match(String(doc.warning), /SECRET/);

    const human = await qplugin(['keygen', '--name', 'CLI Test', '--email', 'cli@example.com', '--out', dir]);
    assert.equal(human.code, 1, show(human));
    assert.match(human.stderr, /already exists/);
    const forced = await qplugin(['keygen', '--name', 'N', '--email', 'e@x.org', '--out', dir, '--force']);
    assert.equal(forced.code, 0, show(forced));
    assert.match(forced.stderr, /warning: .*signing-key\.asc is your SECRET signing key/);
    assert.match(forced.stdout, /^fingerprint {2}[0-9a-f]{40}$/m);
  });

  it('keygen with an e-mail address openpgp refuses: SIGNING_INPUT with the value and the fix, no stack', async () => {
    const dir = scratch('qp-cli-keygen-bad-');
    const ran = await qplugin(['keygen', '--name', 'N', '--email', 'n@e', '--out', dir, '--json']);
    assert.equal(ran.code, 1, show(ran));
    const error = json(ran).error as Record<string, unknown>;
    assert.equal(error.code, 'SIGNING_INPUT');
    assert.match(String(error.message), /"N" <n@e>/);
    assert.match(String(error.fix), /name@example\.com/);
    const human = await qplugin(['keygen', '--name', 'N', '--email', 'n@e', '--out', dir]);
    assert.equal(human.code, 1, show(human));
    assert.match(human.stderr, /^qplugin keygen: cannot make a signing key for "N" <n@e>/);
    assert.doesNotMatch(human.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(readdirSync(dir), [], 'nothing written');
  });

  it('sign: a passphrase-protected key needs its passphrase file; a stale .sha256sum stops signing', async () => {
    const dir = scratch('qp-cli-sign-');
    writeFileSync(join(dir, 'pass.txt'), 'correct horse\n');
    const made = await qplugin([
      'keygen',
      '--name',
      'Locked',
      '--email',
      'l@example.com',
      '--out',
      dir,
      '--passphrase-file',
      join(dir, 'pass.txt'),
      '--bits',
      '2048',
    ]);
    assert.equal(made.code, 0, show(made));
    const zip = join(dir, 'p-1.0.0.zip');
    writeFileSync(zip, 'not really a zip, but sign only hashes it');
    const key = join(dir, 'signing-key.asc');

    const locked = await qplugin(['sign', zip, '--key', key]);
    assert.equal(locked.code, 1, show(locked));
    assert.match(locked.stderr, /encrypted and no passphrase/);

    const signed = await qplugin([
      'sign',
      zip,
      '--key',
      key,
      '--passphrase-file',
      join(dir, 'pass.txt'),
      '--json',
    ]);
    assert.equal(signed.code, 0, show(signed));
    const doc = json(signed);
    assert.equal(doc.checksumFileState, 'written');
    assert.equal(doc.signedOver, 'checksum+newline');
    assert.equal(readFileSync(`${zip}.sha256sum`, 'utf8'), `${String(doc.sha256)}\n`);
    assert.match(readFileSync(`${zip}.sha256sum.asc`, 'utf8'), /^-----BEGIN PGP SIGNATURE-----/);

    const publicKey = await qplugin(['sign', zip, '--key', join(dir, 'gpg.key')]);
    assert.equal(publicKey.code, 1, show(publicKey));
    assert.match(publicKey.stderr, /not an armored OpenPGP private key/);

    writeFileSync(`${zip}.sha256sum`, `${'0'.repeat(64)}\n`);
    const stale = await qplugin(['sign', zip, '--key', key, '--passphrase-file', join(dir, 'pass.txt')]);
    assert.equal(stale.code, 1, show(stale));
    assert.match(stale.stderr, /says 0{64}, but the zip's sha256 is/);
  });
});
