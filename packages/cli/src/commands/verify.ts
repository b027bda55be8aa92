/**
 * `qplugin verify`: the plugin manager's verifier in local mode
 * (`--plugins.localverify`) on one zip, with the verdict and why.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';

import {
  normalizeKeyFingerprint,
  sha256File,
  readPublicKeys,
  signatureFileFor,
  verifyDistribution,
} from '@qplugin/quorum/distribution/internal';
import { isQuorumError } from '@qplugin/quorum/core/internal';
import type { QuorumError } from '@qplugin/quorum/core/internal';
import { str, strs, UsageError } from '../args.js';
import { ExitCode } from '../command.js';
import type { Command } from '../command.js';
import { commaList, rows } from '../format.js';
import { printResult } from '../output.js';
import { messageOf } from '@qplugin/go-plugin/core/internal';

/** What `<zip>.sha256sum` says, when there is one: a hint, never part of the verdict (geth ignores it). */
async function checksumFileDigest(zip: string): Promise<string | undefined> {
  const text = await readFile(`${zip}.sha256sum`, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : /^([0-9a-fA-F]{64})(?:\s|$)/.exec(text)?.[1]?.toLowerCase();
}

/** Failures that are the distribution's fault: a negative verdict (exit 3), not an operational error. */
function isRejection(err: unknown, sigPath: string): err is QuorumError {
  if (isQuorumError(err, 'VERIFY_SIGNATURE') || isQuorumError(err, 'VERIFY_KEY_NOT_TRUSTED')) return true;
  // Missing or unreadable .asc; a missing or bad *key* is the operator's problem (exit 1).
  return (
    isQuorumError(err, 'VERIFY_MATERIAL') && (err.details.path === sigPath || err.details.source === sigPath)
  );
}

async function userIDsOf(keyPath: string, fingerprint: string): Promise<string[]> {
  const keys = await readPublicKeys(await readFile(keyPath, 'utf8'), keyPath);
  const key = keys.find((k) => k.getFingerprint() === fingerprint);
  return key?.users.flatMap((u) => (u.userID ? [u.userID.userID] : [])) ?? [];
}

export const verify: Command = {
  name: 'verify',
  usage: 'qplugin verify <zip> [--key gpg.key | --key-uri URI] [--trusted FPR,...]',
  options: {
    key: {
      type: 'string',
      value: 'FILE',
      description: "armored public key file (default gpg.key in the zip's directory, as geth)",
    },
    'key-uri': {
      type: 'string',
      value: 'URI',
      description:
        'the key as geth --plugins.publickey takes it (file:///abs/gpg.key, file://./rel.key, path)',
    },
    trusted: {
      type: 'string',
      value: 'FPR,…',
      multiple: true,
      description: 'accept only signatures by these key fingerprints (40 hex digits); repeatable',
    },
  },
  details:
    "The signature must be over the zip's lower-case hex sha256, or that followed by a newline (both are\n" +
    'what geth accepts; the output says which). A .sha256sum file beside the zip is compared as a hint only.\n' +
    'Exit codes: 0 verified, 3 rejected (bad signature, missing or unreadable .asc, untrusted key),\n' +
    '1 failed (zip or key unreadable), 2 usage error.',
  async run({ values, positionals }, io) {
    const [zip, ...extra] = positionals;
    if (!zip) throw new UsageError('the zip to verify is required');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    const keyFile = str(values.key);
    const keyUri = str(values['key-uri']);
    if (keyFile !== undefined && keyUri !== undefined)
      throw new UsageError('give --key or --key-uri, not both');
    const trusted = commaList(strs(values.trusted));
    for (const fpr of trusted) {
      try {
        normalizeKeyFingerprint(fpr);
      } catch (err) {
        throw new UsageError(`--trusted: ${messageOf(err)}`);
      }
    }

    const checksum = await sha256File(zip);
    const sigPath = signatureFileFor(zip);
    const listed = await checksumFileDigest(zip);
    const fileName = basename(zip);
    const base = {
      zip,
      sha256: checksum,
      signature: sigPath,
      checksumFileMatches: listed === undefined ? null : listed === checksum,
      trusted: trusted.length > 0 ? trusted : null,
    };
    const hint =
      listed !== undefined && listed !== checksum
        ? `${zip}.sha256sum says ${listed}: the zip changed after it was packed`
        : undefined;
    try {
      const result = await verifyDistribution({
        mode: 'local',
        checksum,
        // Only the skip and online modes read the definition; local mode works from the paths.
        definition: { name: fileName.replace(/\.zip$/i, ''), version: '' },
        zipPath: zip,
        baseDir: dirname(resolve(zip)),
        ...(keyFile !== undefined ? { publicKey: resolve(keyFile) } : {}),
        ...(keyUri !== undefined ? { publicKey: keyUri } : {}),
        ...(trusted.length > 0 ? { trustedKeyFingerprints: trusted } : {}),
      });
      const fingerprint = result.keyFingerprint ?? '';
      const userIDs = result.publicKeySource ? await userIDsOf(result.publicKeySource, fingerprint) : [];
      printResult(
        io,
        {
          ok: true,
          verdict: 'verified',
          ...base,
          publicKey: result.publicKeySource,
          keyFingerprint: fingerprint,
          userIDs,
          signedOver: result.signedOver,
        },
        rows([
          ['zip', zip],
          ['sha256', checksum],
          ['signature', sigPath],
          ['key', `${result.publicKeySource ?? ''}`],
          ['fingerprint', `${fingerprint} ${userIDs.join(', ')}`.trim()],
          ['signed over', result.signedOver],
          ...(hint ? [['warning', hint] as const] : []),
          ['verdict', 'OK: geth --plugins.localverify would accept this zip'],
        ]),
      );
      return ExitCode.ok;
    } catch (err) {
      if (!isRejection(err, sigPath)) throw err;
      const reason = { code: err.code, message: err.message, fix: err.fix ?? null };
      printResult(
        io,
        { ok: false, verdict: 'rejected', ...base, reason, hint: hint ?? null },
        rows([
          ['zip', zip],
          ['sha256', checksum],
          ['signature', sigPath],
          ...(hint ? [['hint', hint] as const] : []),
          ['verdict', `REJECTED (${err.code}): ${err.message}`],
          ...(err.fix ? [['fix', err.fix] as const] : []),
        ]),
      );
      return ExitCode.rejected;
    }
  },
};
