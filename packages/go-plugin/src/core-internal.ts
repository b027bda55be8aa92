/**
 * `@qplugin/go-plugin/core/internal`: the coded error base class, its brands,
 * messageOf and the silent logger, without the gRPC, host and plugin layers
 * that `./protocol` and `./internal` load (~25 MB resident on Node 24, ~13 MB
 * on Node 20). For our code that needs no more than these: @qplugin/quorum's
 * error catalog and its distribution tools (verify + unpack), and the
 * modules every `qplugin` command loads (its logger and error report). Not a
 * public API; the same modules as `./protocol`, so classes and brands are
 * shared.
 */
export { CodedError, brandClass, hasBrand, isCodedError, messageOf } from './protocol/errors.js';
export type { CodedErrorOptions } from './protocol/errors.js';
export { createHclogLogger, createLogger, silentLogger } from './protocol/logger.js';
export type { Logger } from './protocol/logger.js';
export type { LogFields, LogLevel } from './protocol/hclog.js';
export { isRpcError } from './protocol/rpc-error.js';
