/**
 * openpgp.js is large (~16 MB resident): loaded on first use, so a host that
 * skips verification, or only runs plugins, never pays for it.
 */
import type * as OpenPGP from 'openpgp';

let loaded: Promise<typeof OpenPGP> | undefined;

export const loadOpenpgp = (): Promise<typeof OpenPGP> => (loaded ??= import('openpgp'));
