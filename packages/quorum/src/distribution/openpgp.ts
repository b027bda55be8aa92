/**
 * openpgp.js is large (~17 MB installed, ~16 MB resident): an optional peer
 * dependency, loaded on first use, so a plugin author, or a host that skips
 * verification, neither installs nor loads it.
 */
import type * as OpenPGP from 'openpgp';

import { messageOf } from '@qplugin/go-plugin/core/internal';

import { QuorumError } from '../errors.js';

type Importer = () => Promise<typeof OpenPGP>;

let loaded: Promise<typeof OpenPGP> | undefined;

/** `importer` for tests; the module's absence becomes OPENPGP_MISSING, other failures stay as they are. */
export async function openpgpFrom(importer: Importer): Promise<typeof OpenPGP> {
  try {
    return await importer();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code !== 'ERR_MODULE_NOT_FOUND' || !messageOf(err).includes("'openpgp'")) throw err;
    throw new QuorumError(
      'OPENPGP_MISSING',
      'openpgp is not installed: signing plugins and checking their signatures need it (an optional peer dependency of @qplugin/quorum)',
      {
        fix: 'npm install openpgp@^6.3.2 next to @qplugin/quorum (the qplugin CLI brings it), or run without signature checks (verification mode "skip", loudly logged).',
        cause: err,
      },
    );
  }
}

export const loadOpenpgp = (): Promise<typeof OpenPGP> =>
  (loaded ??= openpgpFrom(() => import('openpgp')).catch((err: unknown) => {
    loaded = undefined; // installed later in a long-running process: try again next time
    throw err;
  }));
