/**
 * `qplugin sign`: `<zip>.sha256sum.asc`, a detached armored signature over
 * the zip's hex SHA-256 followed by "\n", i.e. over the `.sha256sum` file's
 * bytes as `pack` writes them and as Quorum's Makefiles do. geth tries the
 * bare checksum first and then checksum + "\n", so both forms load; this one
 * also lets anyone check by hand with `gpg --verify x.zip.sha256sum.asc
 * x.zip.sha256sum`.
 */
import { readFile, writeFile } from 'node:fs/promises';

import {
  sha256File,
  signatureFileFor,
  signChecksum,
  verifyChecksumSignature,
} from '@qplugin/quorum/distribution/internal';
import { isQuorumError, QuorumError } from '@qplugin/quorum/core/internal';
import { str, UsageError } from '../args.js';
import { ExitCode } from '../command.js';
import type { Command } from '../command.js';
import { readPassphraseFile, rows } from '../format.js';
import { printResult } from '../output.js';
import { messageOf } from '@qplugin/go-plugin/core/internal';

/** The digest in a checksum file: `<hex>\n` (pack, Makefiles) or `<hex>  <file>` (sha256sum). */
const CHECKSUM_LINE = /^([0-9a-fA-F]{64})(?:\s|$)/;

/** Whether `<zip>.sha256sum` is missing (sign writes it, once the signature is made) or matches. */
async function checksumFile(zip: string, checksum: string): Promise<'missing' | 'matches'> {
  const path = `${zip}.sha256sum`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return 'missing';
  }
  const found = CHECKSUM_LINE.exec(text)?.[1]?.toLowerCase();
  if (found === undefined)
    throw new QuorumError('PACK_INPUT', `${path} does not start with a SHA-256 hex digest`, {
      fix: `Delete ${path}; sign writes a fresh one.`,
      details: { path },
    });
  if (found !== checksum)
    throw new QuorumError('PACK_INPUT', `${path} says ${found}, but the zip's sha256 is ${checksum}`, {
      fix: 'The zip changed after it was packed (or the checksum file belongs to another build): pack again, or delete the stale checksum file.',
      details: { path, expected: found, actual: checksum },
    });
  return 'matches';
}

async function readKey(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new QuorumError('VERIFY_MATERIAL', `cannot read signing key ${path}: ${messageOf(cause)}`, {
      fix: 'Create one with `qplugin keygen`, or export yours with `gpg --armor --export-secret-keys`.',
      details: { path },
      cause,
    });
  }
  if (!text.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----'))
    throw new QuorumError('VERIFY_MATERIAL', `${path} is not an armored OpenPGP private key`, {
      fix: 'Pass the secret key (signing-key.asc from `qplugin keygen`), not the public gpg.key.',
      details: { path },
    });
  return text;
}

export const sign: Command = {
  name: 'sign',
  usage: 'qplugin sign <zip> --key signing-key.asc [--passphrase-file F]',
  options: {
    key: { type: 'string', value: 'FILE', description: 'armored OpenPGP private key (qplugin keygen)' },
    'passphrase-file': {
      type: 'string',
      value: 'F',
      description: 'passphrase of an encrypted key: first line of this file',
    },
  },
  details:
    'The signature is over the hex checksum followed by "\\n" (exactly the .sha256sum file), which geth\n' +
    "accepts on its second try; an existing .sha256sum must match the zip's sha256 or nothing is signed.\n" +
    'Exit codes: 0 signed, 1 failed (checksum file mismatch, unreadable or locked key, I/O), 2 usage error.',
  async run({ values, positionals }, io) {
    const [zip, ...extra] = positionals;
    if (!zip) throw new UsageError('the zip to sign is required');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const keyPath = str(values.key);
    if (!keyPath) throw new UsageError('--key is required');
    const passphraseFile = str(values['passphrase-file']);
    const passphrase = passphraseFile !== undefined ? await readPassphraseFile(passphraseFile) : undefined;

    const checksum = await sha256File(zip);
    const armoredKey = await readKey(keyPath);
    const state = await checksumFile(zip, checksum);
    let signature: string;
    try {
      signature = await signChecksum(checksum, armoredKey, {
        trailingNewline: true,
        ...(passphrase !== undefined ? { passphrase } : {}),
      });
    } catch (err) {
      if (isQuorumError(err)) throw err;
      throw new QuorumError('VERIFY_MATERIAL', `cannot sign with ${keyPath}: ${messageOf(err)}`, {
        fix: 'Check the passphrase file, or that the key can sign (RSA from qplugin keygen or gpg).',
        details: { path: keyPath },
        cause: err,
      });
    }
    if (state === 'missing') await writeFile(`${zip}.sha256sum`, `${checksum}\n`);
    const sigPath = signatureFileFor(zip);
    await writeFile(sigPath, signature);
    // Check our own output as geth will, and learn the signer's fingerprint for the report.
    const check = await verifyChecksumSignature({
      checksum,
      armoredSignature: signature,
      armoredPublicKeys: armoredKey,
      signatureSource: sigPath,
      publicKeySource: keyPath,
    });
    printResult(
      io,
      {
        ok: true,
        zip,
        sha256: checksum,
        checksumFile: `${zip}.sha256sum`,
        checksumFileState: state === 'missing' ? 'written' : 'matches',
        signature: sigPath,
        signedOver: check.signedOver,
        keyFingerprint: check.keyFingerprint,
        userIDs: check.userIDs,
      },
      `signed ${zip}\n` +
        rows(
          [
            ['sha256', checksum],
            ['checksum', `${zip}.sha256sum (${state === 'missing' ? 'written' : 'present, matches'})`],
            ['signature', sigPath],
            ['signed over', `${check.signedOver} (the .sha256sum file's bytes)`],
            ['key', `${check.keyFingerprint} ${check.userIDs.join(', ')}`.trim()],
          ],
          '  ',
        ),
    );
    return ExitCode.ok;
  },
};
