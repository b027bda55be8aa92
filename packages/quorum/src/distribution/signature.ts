/**
 * Detached OpenPGP signatures over the checksum string, checked the way geth
 * does: ASCII-armored key(s) and signature, over the lower-case hex digest,
 * and if that fails over the digest followed by "\n" (a signed checksum file
 * as the official Makefiles write it). On top of geth: an optional list of
 * trusted key fingerprints, so the server that serves the key cannot vouch
 * for itself, and openpgp.js's policy (no SHA-1/MD5 message signatures, no
 * RSA under 2047 bits, expiry and revocation honoured).
 */
import type * as OpenPGP from 'openpgp';
import type { Key } from 'openpgp';

import type { Logger } from '@qplugin/go-plugin/core/internal';
import { silentLogger, messageOf } from '@qplugin/go-plugin/core/internal';

import { QuorumError } from '../errors.js';
import { loadOpenpgp } from './openpgp.js';

export type SignedOver = 'checksum' | 'checksum+newline';

export interface SignatureCheck {
  signedOver: SignedOver;
  /** Primary key fingerprint of the signer, lower-case hex. */
  keyFingerprint: string;
  /** Fingerprint of the (sub)key that made the signature. */
  signingKeyFingerprint: string;
  keyID: string;
  userIDs: string[];
}

export interface VerifySignatureInput {
  checksum: string;
  armoredSignature: string;
  armoredPublicKeys: string;
  /** Hex fingerprints (spaces/colons allowed); when set, the signer must be one of them. */
  trustedKeyFingerprints?: readonly string[];
  /** Where the signature and key came from, for messages. */
  signatureSource?: string;
  publicKeySource?: string;
  logger?: Logger;
}

const KEY_BLOCK = /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/g;
const SIGNATURE_BLOCK = /-----BEGIN PGP SIGNATURE-----[\s\S]*?-----END PGP SIGNATURE-----/;

/** Upper/lower case, spaces, colons and a 0x prefix are accepted; a v4 (40) or v6 (64) hex fingerprint results. */
export function normalizeKeyFingerprint(fingerprint: string): string {
  const hex = fingerprint.replace(/^0x/i, '').replace(/[\s:]/g, '').toLowerCase();
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(hex)) {
    throw new QuorumError(
      'VERIFY_MATERIAL',
      `invalid trusted key fingerprint ${JSON.stringify(fingerprint)}`,
      {
        fix: 'Give full fingerprints as `gpg --fingerprint` prints them (40 hex digits); short and long key IDs are not accepted.',
        details: { fingerprint },
      },
    );
  }
  return hex;
}

/**
 * Reads every armored key block in `armored` (geth reads only the first; a
 * file that works there works here). A file without armor is refused, as geth
 * refuses it.
 */
export async function readPublicKeys(armored: string, source = 'public key'): Promise<Key[]> {
  const blocks = armored.match(KEY_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new QuorumError('VERIFY_MATERIAL', `${source} is not an ASCII-armored OpenPGP key`, {
      fix: 'Export the key with `gpg --armor --export <fingerprint>`; it must start with -----BEGIN PGP PUBLIC KEY BLOCK-----.',
      details: { source },
    });
  }
  const keys: Key[] = [];
  for (const block of blocks) {
    try {
      keys.push(...(await (await loadOpenpgp()).readKeys({ armoredKeys: block })));
    } catch (cause) {
      throw new QuorumError('VERIFY_MATERIAL', `cannot read ${source}: ${messageOf(cause)}`, {
        details: { source },
        cause,
      });
    }
  }
  return keys;
}

async function readArmoredSignature(armored: string, source: string): Promise<OpenPGP.Signature> {
  const block = SIGNATURE_BLOCK.exec(armored)?.[0];
  if (block === undefined) {
    throw new QuorumError('VERIFY_MATERIAL', `${source} is not an ASCII-armored OpenPGP signature`, {
      fix: 'Sign with `gpg --armor --detach-sign`; the file must start with -----BEGIN PGP SIGNATURE-----.',
      details: { source },
    });
  }
  try {
    return await (await loadOpenpgp()).readSignature({ armoredSignature: block });
  } catch (cause) {
    throw new QuorumError('VERIFY_MATERIAL', `cannot read ${source}: ${messageOf(cause)}`, {
      details: { source },
      cause,
    });
  }
}

function userIDsOf(key: Key): string[] {
  return key.users.flatMap((u) => (u.userID ? [u.userID.userID] : []));
}

export async function verifyChecksumSignature(input: VerifySignatureInput): Promise<SignatureCheck> {
  const logger = input.logger ?? silentLogger;
  const sigSource = input.signatureSource ?? 'signature';
  const keySource = input.publicKeySource ?? 'public key';
  const trusted = input.trustedKeyFingerprints?.map(normalizeKeyFingerprint);
  const keys = await readPublicKeys(input.armoredPublicKeys, keySource);
  const signature = await readArmoredSignature(input.armoredSignature, sigSource);

  const attempts: Array<[SignedOver, string]> = [
    ['checksum', input.checksum],
    ['checksum+newline', `${input.checksum}\n`],
  ];
  const failures: string[] = [];
  const untrusted: string[] = [];
  for (const [signedOver, text] of attempts) {
    if (signedOver === 'checksum+newline') {
      logger.debug('unable to verify signature with original checksum. Now add \\n to the end and try');
    }
    const message = await (await loadOpenpgp()).createMessage({ binary: new TextEncoder().encode(text) });
    const result = await (
      await loadOpenpgp()
    ).verify({ message, signature, verificationKeys: keys, format: 'binary' });
    for (const sig of result.signatures) {
      try {
        await sig.verified;
      } catch (err) {
        failures.push(messageOf(err));
        continue;
      }
      const key = keys.find((k) => k.getKeys(sig.keyID).length > 0);
      const signingKey = key?.getKeys(sig.keyID)[0];
      if (key === undefined || signingKey === undefined) continue;
      const check: SignatureCheck = {
        signedOver,
        keyFingerprint: key.getFingerprint(),
        signingKeyFingerprint: signingKey.getFingerprint(),
        keyID: sig.keyID.toHex(),
        userIDs: userIDsOf(key),
      };
      if (
        trusted &&
        !trusted.includes(check.keyFingerprint) &&
        !trusted.includes(check.signingKeyFingerprint)
      ) {
        untrusted.push(check.keyFingerprint);
        continue;
      }
      logger.info('plugin signature verified', {
        signedOver,
        key: check.keyFingerprint,
        userIDs: check.userIDs.join(', '),
      });
      return check;
    }
  }

  if (untrusted.length > 0) {
    throw new QuorumError(
      'VERIFY_KEY_NOT_TRUSTED',
      `unable to verify plugin signature: signed by key ${untrusted[0]}, which is not in trustedKeyFingerprints`,
      {
        fix: "If this key is legitimately the plugin publisher's, add its fingerprint to trustedKeyFingerprints; otherwise the distribution or Plugin Central may be compromised.",
        details: { signer: [...new Set(untrusted)], trusted, signature: sigSource, publicKey: keySource },
      },
    );
  }
  const issuers = signature.getSigningKeyIDs().map((id) => id.toHex());
  const known = keys.some((k) => signature.getSigningKeyIDs().some((id) => k.getKeys(id).length > 0));
  const why = known
    ? `openpgp: invalid signature: ${[...new Set(failures)].join('; ')}`
    : `openpgp: signature made by unknown entity (key ID ${issuers.join(', ')} is not in ${keySource})`;
  throw new QuorumError('VERIFY_SIGNATURE', `unable to verify plugin signature: ${why}`, {
    fix: known
      ? 'The distribution or its signature was altered, or the signature is over another file: re-download both.'
      : 'Use the public key of whoever signed this plugin.',
    details: { signature: sigSource, publicKey: keySource, issuers, tried: attempts.map(([over]) => over) },
  });
}
