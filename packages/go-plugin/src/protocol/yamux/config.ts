/** Session options, with hashicorp/yamux's DefaultConfig() as the defaults. */
import { GoPluginError } from '../errors.js';
import { INITIAL_STREAM_WINDOW, MAX_UINT32 } from './constants.js';

export interface YamuxConfig {
  /** Incoming streams kept until accept(); more are reset. Also caps our un-acknowledged opens. */
  acceptBacklog: number;
  /** Ping the peer every `keepAliveInterval` ms and end the session if a ping goes unanswered. */
  enableKeepAlive: boolean;
  keepAliveInterval: number;
  /** Ms the transport may refuse writes (and a ping may go unanswered) before the session fails. */
  connectionWriteTimeout: number;
  /** Receive window each stream grants its peer, in bytes (>= 256 KiB). */
  maxStreamWindowSize: number;
  /** Ms an opened stream may wait for the peer's ACK before the session fails; 0 disables. */
  streamOpenTimeout: number;
  /** Ms after our FIN that we wait for the peer's FIN before resetting the stream; 0 disables. */
  streamCloseTimeout: number;
}

export interface YamuxSessionOptions extends Partial<YamuxConfig> {
  /** The dialing side (odd stream ids); the other end must be the server (even ids). */
  client: boolean;
}

export const DEFAULT_YAMUX_CONFIG: Readonly<YamuxConfig> = Object.freeze({
  acceptBacklog: 256,
  enableKeepAlive: true,
  keepAliveInterval: 30_000,
  connectionWriteTimeout: 10_000,
  maxStreamWindowSize: INITIAL_STREAM_WINDOW,
  streamOpenTimeout: 75_000,
  streamCloseTimeout: 300_000,
});

function invalid(option: string, value: unknown, requirement: string): GoPluginError {
  return new GoPluginError('INVALID_OPTIONS', `yamux option ${option} is ${String(value)}; ${requirement}`, {
    details: { option, value },
  });
}

function checkInteger(option: keyof YamuxConfig, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(option, value, `it must be an integer from ${min} to ${max}`);
  }
}

/** Fills in defaults and rejects values hashicorp/yamux's VerifyConfig would reject. */
export function resolveConfig(options: YamuxSessionOptions): YamuxConfig {
  if (typeof options.client !== 'boolean')
    throw invalid('client', options.client, 'it must be true or false');
  const config: YamuxConfig = {
    acceptBacklog: options.acceptBacklog ?? DEFAULT_YAMUX_CONFIG.acceptBacklog,
    enableKeepAlive: options.enableKeepAlive ?? DEFAULT_YAMUX_CONFIG.enableKeepAlive,
    keepAliveInterval: options.keepAliveInterval ?? DEFAULT_YAMUX_CONFIG.keepAliveInterval,
    connectionWriteTimeout: options.connectionWriteTimeout ?? DEFAULT_YAMUX_CONFIG.connectionWriteTimeout,
    maxStreamWindowSize: options.maxStreamWindowSize ?? DEFAULT_YAMUX_CONFIG.maxStreamWindowSize,
    streamOpenTimeout: options.streamOpenTimeout ?? DEFAULT_YAMUX_CONFIG.streamOpenTimeout,
    streamCloseTimeout: options.streamCloseTimeout ?? DEFAULT_YAMUX_CONFIG.streamCloseTimeout,
  };
  // Node timers overflow (and fire at once) beyond 2^31-1 ms.
  const maxDelay = 0x7fff_ffff;
  checkInteger('acceptBacklog', config.acceptBacklog, 1, 1 << 24);
  checkInteger('keepAliveInterval', config.keepAliveInterval, 1, maxDelay);
  checkInteger('connectionWriteTimeout', config.connectionWriteTimeout, 1, maxDelay);
  checkInteger('maxStreamWindowSize', config.maxStreamWindowSize, INITIAL_STREAM_WINDOW, MAX_UINT32);
  checkInteger('streamOpenTimeout', config.streamOpenTimeout, 0, maxDelay);
  checkInteger('streamCloseTimeout', config.streamCloseTimeout, 0, maxDelay);
  if (typeof config.enableKeepAlive !== 'boolean') {
    throw invalid('enableKeepAlive', config.enableKeepAlive, 'it must be true or false');
  }
  return config;
}
