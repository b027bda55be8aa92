/**
 * yamux stream multiplexing, wire-compatible with github.com/hashicorp/yamux
 * v0.1.2 (go-plugin's gRPC broker multiplexing).
 */
export { YamuxSession } from './session.js';
export type { YamuxSessionEvents } from './session.js';
export { YamuxStream } from './stream.js';
export { DEFAULT_YAMUX_CONFIG } from './config.js';
export type { YamuxConfig, YamuxSessionOptions } from './config.js';
export {
  Flag as YamuxFlag,
  FrameType as YamuxFrameType,
  GoAwayCode as YamuxGoAwayCode,
} from './constants.js';
export { INITIAL_STREAM_WINDOW as YAMUX_INITIAL_STREAM_WINDOW } from './constants.js';
export { duplexPair } from './duplex-pair.js';
