/**
 * modulesLoadedBy run from this package's directory, so that `@qplugin/quorum`
 * and its subpaths resolve through the package's own exports (self-reference).
 */
import { fileURLToPath } from 'node:url';

import { modulesLoadedBy } from '@qplugin/go-plugin/testing';

const PACKAGE_DIR = fileURLToPath(new URL('../../../', import.meta.url));

/** The file: and node: URLs of every module a fresh process compiled after running `code` here. */
export const modulesLoadedHere = (code: string): Promise<string[]> =>
  modulesLoadedBy(code, { cwd: PACKAGE_DIR });
