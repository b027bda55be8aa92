/**
 * Starting a plugin up to a parsed handshake: checksum, certificate, socket
 * directory, environment, spawn, then the first stdout line with go-plugin's
 * outcomes (line, process exit, timeout).
 *
 * The socket directory carries this host's ownership mark and a record of
 * the plugin (pid, start time, run token, address), and the plugin gets the
 * run token in its environment: if this host dies, the next one reaps both
 * (reap.ts). Before making its first socket directory in a parent, a host
 * reaps that parent.
 */
import { chmodSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';

import type { AutoMtlsCertificate } from '../protocol/certificate.js';
import { GoPluginError } from '../protocol/errors.js';
import { parseHandshake } from '../protocol/handshake.js';
import type { ParsedHandshake } from '../protocol/handshake.js';
import { lookupGid } from '../protocol/listener.js';
import type { Logger } from '../protocol/logger.js';
import { hostCertificate } from './certificate-supply.js';
import { executableNotes } from './diagnose.js';
import { buildPluginEnv } from './env.js';
import { lookPath } from './lookpath.js';
import type { ResolvedOptions } from './options.js';
import { spawnPlugin } from './process.js';
import type { ExitInfo, PluginProcess } from './process.js';
import { verifyExecutable } from './secure-config.js';
import { StderrPump } from './stderr.js';
import { warmUpFirstConnection } from './warm-up.js';
import {
  makeOwnedDir,
  markOf,
  MARKED_DIR_PREFIXES,
  newRunToken,
  RUN_TOKEN_ENV,
  writePluginRecord,
} from './ownership.js';
import type { PluginRecord } from './ownership.js';
import { reapLeftoversOnce } from './reap.js';
import { removeTree } from '../protocol/remove-tree.js';

export interface Launched {
  proc: PluginProcess;
  handshake: ParsedHandshake;
  certificate?: AutoMtlsCertificate;
  stderr: StderrPump;
  /** Private directory given to the plugin as PLUGIN_UNIX_SOCKET_DIR (removed on kill). */
  socketDir?: string;
  /** Absolute time by which connecting must be done too. */
  deadline: number;
}

function describeExit(exit: ExitInfo): string {
  return exit.signal ? `signal ${exit.signal}` : `exit status ${exit.code ?? '?'}`;
}

function makeSocketDir(options: ResolvedOptions): string | undefined {
  if (process.platform === 'win32') return undefined;
  const parent = options.unixSocket?.dir ?? tmpdir();
  const dir = makeOwnedDir(parent, MARKED_DIR_PREFIXES.socketDir);
  const group = options.unixSocket?.group;
  if (group) {
    try {
      chownSync(dir, -1, lookupGid(group));
      chmodSync(dir, 0o770);
    } catch (err) {
      removeTree(dir);
      throw err;
    }
  }
  return dir;
}

function reapOnce(parent: string, logger: Logger): void {
  const reaped = reapLeftoversOnce(parent);
  if (reaped && (reaped.removed.length > 0 || reaped.killed.length > 0))
    logger.info('removed what hosts that are gone left behind', { ...reaped });
}

/** Called as soon as the process exists, so that a failed start can still report its pid and exit. */
export type OnSpawn = (proc: PluginProcess, socketDir: string | undefined) => void;

/** Spawns the plugin and waits for its handshake. On failure the process is killed and cleaned up. */
export async function launch(options: ResolvedOptions, logger: Logger, onSpawn?: OnSpawn): Promise<Launched> {
  const command = options.command!;
  if (options.secureConfig) {
    const path = lookPath(command, options.cwd, process.env);
    if (!path) {
      throw new GoPluginError(
        'CHECKSUM_ERROR',
        `error verifying checksum: exec: ${JSON.stringify(command)}: executable file not found in $PATH`,
        {
          fix: 'Give the plugin command as a path, or put it on PATH.',
        },
      );
    }
    await verifyExecutable(path, options.secureConfig);
  }
  const certificate = options.autoMTLS ? await hostCertificate(options.certificateCurve) : undefined;
  if (certificate) logger.debug('configuring client automatic mTLS');
  const socketDir = makeSocketDir(options);
  const token = newRunToken();
  const env = buildPluginEnv({
    handshake: options.handshake,
    versions: options.versions,
    minPort: options.minPort,
    maxPort: options.maxPort,
    skipHostEnv: options.skipHostEnv ?? false,
    hostEnv: process.env,
    extra: options.env,
    clientCertPem: certificate?.pem,
    multiplex: options.multiplex,
    socketDir,
    socketGroup: options.unixSocket?.group,
  });
  env[RUN_TOKEN_ENV] = token;
  const stderr = new StderrPump({
    logger: logger.named(basename(command)),
    raw: options.rawStderr,
    bufferSize: options.logBufferSize,
  });
  const removeSocketDir = (): void => {
    if (socketDir) removeTree(socketDir);
  };

  let proc: PluginProcess;
  try {
    logger.debug('starting plugin', { path: command, args: options.args });
    proc = await spawnPlugin({ command, args: options.args, cwd: options.cwd, env, stderr });
  } catch (err) {
    removeSocketDir();
    throw err;
  }
  logger.debug('plugin started', { path: command, pid: proc.pid });
  const record: PluginRecord = { ...markOf(proc.pid), token };
  const saveRecord = (): void => {
    if (!socketDir) return;
    try {
      writePluginRecord(socketDir, record);
    } catch (err) {
      logger.warn('could not record the plugin process for clean-up after a host crash', { error: err });
    }
  };
  saveRecord();
  onSpawn?.(proc, socketDir);
  // Once per directory and process, while the plugin boots rather than before it is spawned
  // (a first start spent ~4 ms here). Our own directory is marked as ours, so it is never reaped.
  if (socketDir) reapOnce(dirname(socketDir), logger);
  // Likewise, once per process: what the first connection would pay after the handshake.
  warmUpFirstConnection(certificate);
  const deadline = Date.now() + options.startTimeoutMs;
  const fail = async (err: Error): Promise<never> => {
    proc.signalGroup('SIGKILL');
    await proc.exited;
    removeSocketDir();
    throw err;
  };

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.startTimeoutMs);
  });
  logger.debug('waiting for RPC address', { plugin: command });
  const first = await Promise.race([proc.firstLine, timeout]);
  if (first === 'timeout') {
    return fail(
      new GoPluginError('START_TIMEOUT', 'timeout while waiting for plugin to start', {
        fix: `The plugin printed no handshake within ${options.startTimeoutMs} ms. Check its stderr; raise startTimeoutMs for slow starters.`,
        details: { timeoutMs: options.startTimeoutMs, stderr: stderr.tail() },
      }),
    );
  }
  clearTimeout(timer);

  if (first.kind !== 'line') {
    // stdout closed (or overflowed) without a line: did the process die?
    const exit = await Promise.race([
      proc.exited,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 500)),
    ]);
    if (exit) {
      const tail = stderr.tail();
      return fail(
        new GoPluginError(
          'PROCESS_EXITED',
          `plugin exited before we could connect\n${describeExit(exit)}${tail ? `; last stderr lines:\n${tail}` : ''}`,
          {
            fix: 'Read the stderr lines above. A plugin started without its magic cookie, or one that crashes at start-up, ends here.',
            details: { code: exit.code, signal: exit.signal, stderr: tail },
          },
        ),
      );
    }
  }
  try {
    const handshake = parseHandshake(first.kind === 'line' ? first.line : '', {
      offeredVersions: options.versions,
      allowedProtocols: options.allowedProtocols,
      multiplexRequested: options.multiplex,
      stdoutClosed: first.kind !== 'line',
      diagnose: executableNotes(lookPath(command, options.cwd, process.env) ?? command),
    });
    logger.debug('using plugin', { version: handshake.appVersion });
    Object.assign(record, { network: handshake.network, address: handshake.address });
    saveRecord();
    if (certificate && !handshake.certificate) {
      throw new GoPluginError(
        'HANDSHAKE_CERT_MISSING',
        'the plugin announced no server certificate but the host requires AutoMTLS',
        {
          fix: 'The plugin must read PLUGIN_CLIENT_CERT, serve TLS and put its certificate (unpadded base64 DER) in handshake field 6.',
          details: { line: handshake.line },
        },
      );
    }
    return { proc, handshake, certificate, stderr, socketDir, deadline };
  } catch (err) {
    return fail(err as Error);
  }
}
