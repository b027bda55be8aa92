/**
 * geth's rules for the verification flags (`--plugins.skipverify`,
 * `--plugins.localverify`, `--plugins.publickey`), checked before the
 * settings are read, with geth's messages.
 */
import { fail } from './fail.js';

export type VerifyMode = 'skip' | 'local' | 'online';

export interface VerifyFlags {
  skipVerify?: boolean | undefined;
  localVerify?: boolean | undefined;
  /**
   * `--plugins.publickey`. geth tests whether the flag was *given*
   * (`ctx.IsSet`), so an empty string counts as given; pass `undefined`
   * when the flag is absent.
   */
  publicKey?: string | undefined;
}

/** Returns how plugin integrity is verified; throws SETTINGS_FLAGS on geth's two forbidden combinations. */
export function checkVerifyFlags(flags: VerifyFlags): VerifyMode {
  const skip = flags.skipVerify === true;
  const local = flags.localVerify === true;
  if (skip && local) {
    throw fail('SETTINGS_FLAGS', 'only --plugins.skipverify or --plugins.localverify must be set', {
      found: '--plugins.skipverify and --plugins.localverify',
      expected: 'at most one of them',
      fix: 'drop --plugins.skipverify to verify from local files, or drop --plugins.localverify to skip verification',
      details: { skipVerify: skip, localVerify: local },
    });
  }
  if (flags.publicKey !== undefined && !local) {
    throw fail('SETTINGS_FLAGS', '--plugins.localverify is required for setting --plugins.publickey', {
      found: `--plugins.publickey ${JSON.stringify(flags.publicKey)} without --plugins.localverify`,
      expected: '--plugins.publickey only together with --plugins.localverify',
      fix: 'add --plugins.localverify, or drop --plugins.publickey (online verification fetches the key from Plugin Central)',
      details: { skipVerify: skip, localVerify: local, publicKey: flags.publicKey },
    });
  }
  if (skip) return 'skip';
  return local ? 'local' : 'online';
}
