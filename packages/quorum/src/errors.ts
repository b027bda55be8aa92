/**
 * The error catalog of the Quorum layer. Every failure is a {@link QuorumError}
 * with a stable `code`. Where geth has a message for the same failure,
 * `message` starts with geth's text; `fix` says what to do and `details`
 * carries file, JSON path, value found and value expected.
 */
// The light entry: importing the error catalog must not load the gRPC layers.
import { CodedError, brandClass, hasBrand } from '@qplugin/go-plugin/core/internal';
import type { CodedErrorOptions } from '@qplugin/go-plugin/core/internal';

export const QuorumErrorCodes = {
  // --- settings (packages/quorum/src/settings) ---
  /** The --plugins value is not a file:// URI we can read. */
  SETTINGS_URI: 'The settings location is not a readable file:// URI.',
  /** The settings file cannot be read. */
  SETTINGS_READ: 'The settings file cannot be read.',
  /** The settings file is not valid JSON/TOML or has a wrong type somewhere. */
  SETTINGS_PARSE: 'The settings file does not parse.',
  /** A providers key names an interface Quorum does not have. */
  SETTINGS_UNSUPPORTED_INTERFACE: 'A provider names an unsupported plugin interface.',
  /** A plugin definition lacks name or version, or has a bad value. */
  SETTINGS_DEFINITION: 'A plugin definition is invalid.',
  /** `config` cannot be turned into bytes (bad type, missing file or env var). */
  SETTINGS_CONFIG: "A plugin's config cannot be resolved.",
  /** baseDir cannot be resolved or created. */
  SETTINGS_BASE_DIR: 'The plugin base directory cannot be used.',
  /** Verification flags that contradict each other (geth's rules). */
  SETTINGS_FLAGS: 'Plugin verification flags conflict.',

  // --- distribution (packages/quorum/src/distribution) ---
  /** No distribution in baseDir and none could be downloaded. */
  DIST_NOT_FOUND: 'The plugin distribution was not found.',
  /** Downloading from Plugin Central failed (HTTP status, timeout, size, origin). */
  DIST_DOWNLOAD: 'Downloading from Plugin Central failed.',
  /** The central server's certificate does not match the pinned fingerprint. */
  DIST_PINNING: 'Certificate pinning failed.',
  /** A central URL template does not render or leaves the base origin. */
  DIST_URL: 'A Plugin Central URL is invalid.',
  /** Signature or public key missing/unreadable/not armored. */
  VERIFY_MATERIAL: 'The signature or public key cannot be read.',
  /** openpgp, an optional peer dependency, is not installed: signing and signature checks need it. */
  OPENPGP_MISSING: 'The openpgp package is not installed.',
  /** The signature does not verify over the checksum (nor checksum + newline). */
  VERIFY_SIGNATURE: 'The plugin signature does not verify.',
  /** A signing key cannot be made from the inputs given (e.g. an e-mail address openpgp refuses in a user ID). */
  SIGNING_INPUT: 'A signing key cannot be made from these inputs.',
  /** The signing key is not one of the pinned fingerprints. */
  VERIFY_KEY_NOT_TRUSTED: 'The plugin was signed by a key that is not trusted.',
  /** The zip is malformed or an entry is unsafe (path escape, link, device, bomb). */
  UNPACK_UNSAFE: 'The plugin archive contains an unsafe or malformed entry.',
  /** plugin-meta.json missing, invalid, or inconsistent with the settings. */
  META_INVALID: 'plugin-meta.json is invalid.',
  /** The entrypoint is missing, not a regular file, or not executable. */
  META_ENTRYPOINT: 'The plugin entrypoint is unusable.',

  // --- packaging (packages/cli/src/packaging) ---
  /** Bundling a TS/JS plugin failed. */
  PACK_BUNDLE: 'The plugin could not be bundled.',
  /** Pack inputs are missing or invalid (name, version, entrypoint, files). */
  PACK_INPUT: 'Invalid packing input.',
  /** `--sea` has no usable Node.js to build the executable from (missing, too old, not an official build). */
  PACK_SEA_NODE: 'No Node.js to build the single executable from.',
  /** Building, injecting or smoke-testing the single executable failed. */
  PACK_SEA_BUILD: 'The single executable could not be built.',

  // --- manager and interfaces ---
  /** A plugin failed to start, load or initialise. */
  PLUGIN_START: 'A plugin failed to start.',
  /** Init returned an error. */
  PLUGIN_INIT: 'Plugin initialisation failed.',
  /** Reload or call for an interface that is not configured. */
  PLUGIN_NOT_FOUND: 'No such plugin provider.',
  /** Stopping one or more plugins failed. */
  PLUGIN_STOP: 'Stopping plugins failed.',

  // --- CLI fallbacks (packages/cli/src): what an error without a catalog code is reported as ---
  /** A bad command line: unknown command or option, missing or malformed argument (exit code 2). */
  CLI_USAGE: 'The command line is invalid.',
  /** An operating-system call failed (`details.errno`, `details.syscall`, `details.path`). */
  CLI_SYSTEM: 'An operating-system call failed.',
  /** `qplugin demo` cannot find the hello world plugin bundled into the CLI package (`details.path`). */
  CLI_DEMO_PLUGIN: 'The demo plugin is missing from the CLI package.',
  /** An error no layer anticipated: a qplugin bug (`details.name`, `details.stack`). */
  CLI_INTERNAL: 'Unexpected internal error.',
} as const;

export type QuorumErrorCode = keyof typeof QuorumErrorCodes;

export class QuorumError extends CodedError<QuorumErrorCode> {
  override readonly name = 'QuorumError';

  constructor(code: QuorumErrorCode, message: string, options: CodedErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A registered symbol on the prototype, so errors from another copy of this package are recognised. */
const QUORUM_ERROR = Symbol.for('qplugin.QuorumError');
brandClass(QuorumError, QUORUM_ERROR);

export function isQuorumError(value: unknown, code?: QuorumErrorCode): value is QuorumError {
  return hasBrand(value, QUORUM_ERROR) && (code === undefined || (value as QuorumError).code === code);
}
