/**
 * The whole check, in the order a host meets a plugin: a start without the
 * cookie, then a start as geth does it (AutoMTLS certificate, environment),
 * handshake, certificate, mTLS, the gRPC calls, Shutdown, what is left
 * afterwards, and the stderr it wrote. Every wait is bounded; whatever the
 * outcome, nothing the check started outlives it.
 */
import { generateCertificate } from '@qplugin/go-plugin/protocol';

import { checkCertificate } from './certificate.js';
import { openChannel } from './channel.js';
import type { Channel } from './channel.js';
import { COOKIE_WAIT_MS, checkCookie } from './cookie.js';
import { gethEnv } from './env.js';
import { checkHandshake } from './handshake.js';
import { checkHealth } from './health.js';
import { checkInit } from './init.js';
import type { InitConfig } from './init.js';
import { checkMtls } from './mtls.js';
import type { Address } from './mtls.js';
import { checkOrphans } from './orphans.js';
import { Point } from './points.js';
import type { PointResult } from './points.js';
import { descendants, procAvailable } from './processes.js';
import type { ProcInfo } from './processes.js';
import { checkShutdown } from './shutdown.js';
import { sleep, spawnForCheck } from './spawn.js';
import type { ExitInfo } from './spawn.js';
import { checkStderrLog } from './stderr-log.js';
import { checkStdio } from './stdio.js';

export interface CheckOptions {
  command: string;
  args: readonly string[];
  cwd?: string;
  /** How long to wait for the handshake (geth: 60 s). */
  timeoutMs: number;
  config: InitConfig;
  /** Copy of the plugin's stderr (--verbose). */
  echo?: NodeJS.WritableStream;
}

export interface CheckReport {
  points: PointResult[];
  /** The handshake line, if one came. */
  handshake?: string;
  pid?: number;
  exit?: ExitInfo;
}

export async function runCheck(options: CheckOptions): Promise<CheckReport> {
  const host = await generateCertificate();
  const spawnInput = (cookie: boolean) => ({
    command: options.command,
    args: options.args,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    env: gethEnv({ clientCertPem: host.pem, cookie }),
    ...(options.echo ? { echo: options.echo } : {}),
  });

  const cookie = await checkCookie(spawnInput(false), Math.min(options.timeoutMs, COOKIE_WAIT_MS));

  const proc = await spawnForCheck(spawnInput(true));
  let channel: Channel | undefined;
  try {
    const { point: handshake, announced } = await checkHandshake(proc, options.timeoutMs);
    const certificate = checkCertificate(announced?.certificate);
    const addr: Address | undefined =
      announced?.network !== undefined
        ? { network: announced.network, address: announced.address }
        : undefined;
    const { point: mtls, transport } = await checkMtls(addr, host, announced?.certificate);

    let health = new Point('health');
    let init = new Point('init');
    let stdio = new Point('stdio');
    channel = addr ? openChannel(addr, transport, host) : undefined;
    if (!channel) {
      const why = transport.kind === 'none' ? transport.why : 'no connection';
      for (const p of [health, init, stdio]) p.skip(why);
    } else {
      const checked = await checkHealth(channel.conn);
      health = checked.point;
      if (checked.connected) {
        init = await checkInit(channel.conn, options.config);
        stdio = checkStdio(channel.stdio, proc.exitInfo() !== undefined);
      } else {
        init.skip('the connection does not work (see point 5)');
        stdio.skip('the connection does not work (see point 5)');
        channel.close();
        channel = undefined;
      }
    }

    const family: ProcInfo[] = procAvailable() ? descendants(proc.pid) : [];
    const shutdown = await checkShutdown(proc, channel);
    const orphans = await checkOrphans({
      pid: proc.pid,
      family,
      ...(addr?.network === 'unix' ? { socket: addr.address } : {}),
      graceful: shutdown.graceful,
      startedAt: proc.startedAt,
    });
    await Promise.race([proc.closed, sleep(2000)]);
    const stderrLog = checkStderrLog(proc.stderr.lines);

    return {
      points: [
        cookie,
        handshake,
        certificate,
        mtls,
        health,
        init,
        stdio,
        shutdown.point,
        orphans,
        stderrLog,
      ].map((p) => p.result()),
      ...(announced ? { handshake: announced.line } : {}),
      pid: proc.pid,
      exit: shutdown.exit,
    };
  } finally {
    channel?.close();
    // Anything still in its group (the check already reported it) goes.
    proc.signalGroup('SIGKILL');
  }
}
