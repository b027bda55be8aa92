/**
 * PluginClient options and their defaults (go-plugin's where it has one).
 */
import {
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_PORT,
  DEFAULT_MIN_PORT,
  DEFAULT_START_TIMEOUT_MS,
} from '../protocol/env.js';
import type { CallObserver } from '../protocol/call-observer.js';
import type { HandshakeConfig } from '../protocol/env.js';
import { GoPluginError } from '../protocol/errors.js';
import type { CertificateCurve } from '../protocol/certificate.js';
import type { Logger } from '../protocol/logger.js';
import type { Network } from '../protocol/handshake.js';
import type { SecureConfig } from './secure-config.js';
import type { Sink } from './stderr.js';

/** Enough to find a running plugin again (go-plugin's ReattachConfig). */
export interface ReattachConfig {
  protocol: 'grpc';
  protocolVersion: number;
  addr: { network: Network; address: string };
  /** 0 when unknown. */
  pid: number;
  /**
   * The plugin runs in go-plugin's test (debug) mode and ends by itself:
   * `kill()` only disconnects, as go-plugin's Kill does nothing then.
   */
  test?: boolean;
  /**
   * AutoMTLS material of the client that started the plugin (in memory only).
   * Without it, reattaching works only to plugins started without AutoMTLS.
   */
  tls?: { hostCertPem: string; hostKeyPem: string; pluginCertDer: Uint8Array };
}

export interface PluginClientOptions {
  /** Executable to start (not with `reattach`). */
  command?: string;
  args?: readonly string[];
  /** Extra environment for the plugin; wins over the host's, loses to the protocol's. */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Don't pass the host's environment on (go-plugin's SkipHostEnv). Default false. */
  skipHostEnv?: boolean;

  /** App protocol version and magic cookie. */
  handshake: HandshakeConfig;
  /** Versions offered in PLUGIN_PROTOCOL_VERSIONS. Default `[handshake.protocolVersion]`. */
  versions?: readonly number[];
  /** Protocols accepted in the handshake. Only `grpc` is implemented. Default `['grpc']`. */
  allowedProtocols?: readonly string[];

  /** Mutual TLS with per-launch certificates. Default true. */
  autoMTLS?: boolean;
  /** Host certificate curve. Default P-256 (go-plugin's hosts use P-521: ~5 ms more per start and ~2.5 ms per TLS handshake in OpenSSL). */
  certificateCurve?: CertificateCurve;
  /** Ask for the broker multiplexed over one connection (go-plugin >= 1.6 plugins). Default false. */
  multiplex?: boolean;

  /** Time for the handshake line, connect and health check. Default 60 s. */
  startTimeoutMs?: number;
  /** Port range for TCP plugins. Default 10000..25000. */
  minPort?: number;
  maxPort?: number;
  /**
   * Unix sockets: the host makes a private directory (in `dir`, default the
   * temp dir) and tells the plugin to put its sockets there; `group` makes
   * them group-accessible.
   */
  unixSocket?: { dir?: string; group?: string };

  /** Verify the executable's checksum before starting it. */
  secureConfig?: SecureConfig;
  /** Attach to a running plugin instead of starting one. */
  reattach?: ReattachConfig;

  /**
   * Told of every call made through `client()` when it ends: method, status
   * code, duration (for metrics). Health checks (`ping()`) included; the
   * kill-time Shutdown and the long-lived stdio/broker streams are not.
   */
  callObserver?: CallObserver;

  /** Host log; plugin stderr lines are logged under `<name>.<executable>`. */
  logger?: Logger;
  /** Post-handshake plugin stdout (GRPCStdio), like go-plugin's SyncStdout. */
  stdout?: Sink;
  /** Post-handshake plugin stderr writes (GRPCStdio), like SyncStderr. */
  stderr?: Sink;
  /** Raw copy of the plugin's fd 2, like go-plugin's ClientConfig.Stderr. */
  rawStderr?: Sink;
  /** Longest stderr line logged whole. Default 64 KiB. */
  logBufferSize?: number;

  /**
   * Largest message accepted from the plugin. Default 4 MiB (grpc-js and
   * grpc-go clients' default). Go hosts built with go-plugin allow 2 GiB:
   * raise it for plugins with large answers (Terraform providers' schemas).
   */
  maxReceiveMessageBytes?: number;
  /** Largest message sent to the plugin. Default 2 GiB - 1. */
  maxSendMessageBytes?: number;

  /** Time between Shutdown and SIGKILL. Default 2 s. */
  killGraceMs?: number;
  /** Killed by {@link killAllManaged} and when the host process exits. Default false. */
  managed?: boolean;
}

export interface ResolvedOptions extends PluginClientOptions {
  args: readonly string[];
  versions: readonly number[];
  allowedProtocols: readonly string[];
  autoMTLS: boolean;
  multiplex: boolean;
  startTimeoutMs: number;
  minPort: number;
  maxPort: number;
  killGraceMs: number;
}

const invalid = (message: string, fix: string): GoPluginError =>
  new GoPluginError('INVALID_OPTIONS', message, { fix });

export function resolveOptions(o: PluginClientOptions): ResolvedOptions {
  if ((o.command === undefined) === (o.reattach === undefined)) {
    throw invalid(
      'exactly one of command or reattach must be set',
      'Give `command` to start a plugin, or `reattach` to attach to a running one.',
    );
  }
  if (o.reattach && o.secureConfig) {
    throw invalid(
      'only one of Reattach or SecureConfig can be set',
      'A reattached plugin is not started by us, so its executable cannot be checked.',
    );
  }
  if (o.reattach && o.multiplex) {
    throw invalid(
      'gRPC broker multiplexing is not supported with Reattach config',
      'Drop `multiplex` when reattaching.',
    );
  }
  const allowedProtocols = o.allowedProtocols ?? ['grpc'];
  if (allowedProtocols.some((p) => p !== 'grpc')) {
    throw invalid(
      `unsupported allowed protocol in ${JSON.stringify(allowedProtocols)}`,
      'Only "grpc" is implemented; net/rpc plugins need a Go host.',
    );
  }
  let minPort = o.minPort ?? 0;
  let maxPort = o.maxPort ?? 0;
  if (minPort === 0 && maxPort === 0) {
    minPort = DEFAULT_MIN_PORT;
    maxPort = DEFAULT_MAX_PORT;
  }
  if (minPort > maxPort)
    throw invalid(`minPort ${minPort} is greater than maxPort ${maxPort}`, 'Swap or fix the port range.');
  for (const key of ['maxReceiveMessageBytes', 'maxSendMessageBytes'] as const) {
    const v = o[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0 && v <= 2 ** 31 - 1))
      throw invalid(`${key} must be an integer from 1 to 2147483647, not ${String(v)}`, `Fix ${key}.`);
  }
  return {
    ...o,
    args: o.args ?? [],
    versions: o.versions ?? [o.handshake.protocolVersion],
    allowedProtocols,
    autoMTLS: o.autoMTLS ?? true,
    multiplex: o.multiplex ?? false,
    startTimeoutMs: o.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    minPort,
    maxPort,
    killGraceMs: o.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
  };
}
