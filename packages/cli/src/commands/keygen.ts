/** `qplugin keygen`: an OpenPGP signing key pair that GoQuorum's verifier accepts. */
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { generateSigningKey } from '@qplugin/quorum/distribution/internal';
import { QuorumError } from '@qplugin/quorum/core/internal';
import { bool, str, UsageError } from '../args.js';
import { ExitCode } from '../command.js';
import type { Command } from '../command.js';
import { readPassphraseFile, rows } from '../format.js';
import { printResult } from '../output.js';
import { PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from './key-files.js';

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

export const keygen: Command = {
  name: 'keygen',
  usage: 'qplugin keygen --name N --email E [--out DIR] [--passphrase-file F] [--bits 3072] [--force]',
  options: {
    name: { type: 'string', value: 'N', description: "signer's name for the key's user ID" },
    email: { type: 'string', value: 'E', description: "signer's e-mail for the key's user ID" },
    out: { type: 'string', value: 'DIR', description: 'where to write the two files', default: '.' },
    'passphrase-file': {
      type: 'string',
      value: 'F',
      description: 'encrypt the private key with the first line of this file',
    },
    bits: { type: 'string', value: 'N', description: 'RSA modulus size (2048–4096)', default: '3072' },
    force: { type: 'boolean', description: 'overwrite existing key files' },
  },
  details:
    'RSA because GoQuorum verifies with golang.org/x/crypto/openpgp, which predates the newer curves.\n' +
    `${PRIVATE_KEY_FILE} is written with mode 0600: it is a secret, keep it out of the plugin directory\n` +
    `and out of version control. ${PUBLIC_KEY_FILE} goes next to the zips for --plugins.localverify\n` +
    '(or to --plugins.publickey); the fingerprint is what --trusted / trustedKeyFingerprints pin.\n' +
    'Exit codes: 0 created, 1 failed (files exist without --force, I/O), 2 usage error.',
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const name = str(values.name);
    const email = str(values.email);
    if (!name) throw new UsageError('--name is required');
    if (!email) throw new UsageError('--email is required');
    const bits = Number(str(values.bits) ?? '3072');
    if (!Number.isInteger(bits) || bits < 2048 || bits > 4096)
      throw new UsageError('--bits must be an integer from 2048 to 4096');
    const dir = str(values.out) ?? '.';
    const privatePath = join(dir, PRIVATE_KEY_FILE);
    const publicPath = join(dir, PUBLIC_KEY_FILE);
    if (!bool(values.force)) {
      for (const path of [privatePath, publicPath]) {
        if (await exists(path))
          throw new QuorumError('VERIFY_MATERIAL', `${path} already exists`, {
            fix: 'Choose another --out directory, or pass --force to replace the key (signatures made with the old key will no longer verify with the new gpg.key).',
            details: { path },
          });
      }
    }
    const passphraseFile = str(values['passphrase-file']);
    const passphrase = passphraseFile !== undefined ? await readPassphraseFile(passphraseFile) : undefined;
    const pair = await generateSigningKey({
      name,
      email,
      rsaBits: bits,
      ...(passphrase !== undefined ? { passphrase } : {}),
    });
    await mkdir(dir, { recursive: true });
    await writeFile(privatePath, pair.privateKey, { mode: 0o600 });
    // writeFile keeps the mode of a file it overwrites (--force): set it explicitly.
    await chmod(privatePath, 0o600);
    await writeFile(publicPath, pair.publicKey, { mode: 0o644 });
    const warning = `${privatePath} is your SECRET signing key (mode 0600): never ship it with a plugin or commit it.`;
    if (!io.json) io.stderr.write(`warning: ${warning}\n`);
    printResult(
      io,
      {
        ok: true,
        privateKey: privatePath,
        publicKey: publicPath,
        fingerprint: pair.fingerprint,
        userID: `${name} <${email}>`,
        algorithm: `rsa${bits}`,
        encrypted: passphrase !== undefined,
        warning,
      },
      rows([
        ['fingerprint', pair.fingerprint],
        ['user ID', `${name} <${email}>`],
        ['algorithm', `RSA ${bits}${passphrase !== undefined ? ', private key encrypted' : ''}`],
        ['private key', `${privatePath} (secret)`],
        ['public key', publicPath],
      ]),
    );
    return ExitCode.ok;
  },
};
