/**
 * The plugin check, in the order a host meets a plugin: a start without the
 * cookie, then a start as the played host does it (environment, AutoMTLS
 * certificate), handshake, certificate, transport, the gRPC calls (health,
 * the application's extra points such as Quorum's Init, stdio), Shutdown,
 * what is left afterwards, and the stderr it wrote. Every wait is bounded;
 * whatever the outcome, nothing the check started outlives it.
 */
import { generateCertificate } from '@qplugin/go-plugin/internal';

import type { AutoMtlsCertificate, Channel as GrpcChannel } from '@qplugin/go-plugin/internal';

import { GO_PLUGIN_MODULE, readGoBuildInfo, resolveCommand } from '../go-buildinfo.js';
import { Point, results } from '../points.js';
import type { PointResult } from '../points.js';
import type { HostProfile } from '../presets.js';
import { descendants, procAvailable } from '../process/processes.js';
import type { ProcInfo } from '../process/processes.js';
import { sleep, spawnForCheck } from '../process/spawn.js';
import type { ExitInfo } from '../process/spawn.js';
import { checkCertificate } from './certificate.js';
import { openChannel } from './channel.js';
import type { Channel } from './channel.js';
import { COOKIE_WAIT_MS, checkCookie } from './cookie.js';
import { hostEnv } from './env.js';
import { checkHandshake } from './handshake.js';
import { checkHealth } from './health.js';
import { checkMtls } from './mtls.js';
import type { Address } from './mtls.js';
import { checkOrphans } from './orphans.js';
import { checkShutdown } from './shutdown.js';
import { checkStderrLog } from './stderr-log.js';
import { checkStdio } from './stdio.js';

/** A point an application adds (Quorum: Init), run after health on the working connection. */
export interface ExtraPoint {
  id: string;
  title: string;
  run(conn: GrpcChannel): Promise<Point>;
}

export interface PluginCheckOptions {
  command: string;
  args: readonly string[];
  cwd?: string;
  /** How long to wait for the handshake (go-plugin: 60 s). */
  timeoutMs: number;
  /** The host played: cookie, versions offered, AutoMTLS. */
  profile: HostProfile;
  extraPoints?: readonly ExtraPoint[];
  /** Copy of the plugin's stderr (--verbose). */
  echo?: NodeJS.WritableStream;
}

export interface PluginCheckReport {
  points: PointResult[];
  /** The handshake line, if one came. */
  handshake?: string;
  pid?: number;
  exit?: ExitInfo;
  /** go-plugin version, when the plugin is a Go executable built with it. */
  goPlugin?: string;
}

export async function runPluginCheck(options: PluginCheckOptions): Promise<PluginCheckReport> {
  const { profile } = options;
  const executable = resolveCommand(options.command, options.cwd);
  const goPlugin = executable
    ? (await readGoBuildInfo(executable))?.modules.get(GO_PLUGIN_MODULE)
    : undefined;
  const host: AutoMtlsCertificate | undefined = profile.autoMTLS
    ? await generateCertificate({ curve: 'P-521' }) // a go-plugin host's curve
    : undefined;
  const spawnInput = (cookie: boolean) => ({
    command: options.command,
    args: options.args,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    env: hostEnv({ profile, ...(host ? { clientCertPem: host.pem } : {}), cookie }),
    ...(options.echo ? { echo: options.echo } : {}),
  });

  const cookie = await checkCookie(spawnInput(false), profile, Math.min(options.timeoutMs, COOKIE_WAIT_MS));

  const proc = await spawnForCheck(spawnInput(true));
  let channel: Channel | undefined;
  try {
    const { point: handshake, announced } = await checkHandshake(proc, profile, options.timeoutMs);
    const certificate = checkCertificate(
      announced?.certificate,
      new Date(),
      host ? undefined : 'the host uses no TLS (no PLUGIN_CLIENT_CERT)',
    );
    const addr: Address | undefined =
      announced?.network !== undefined
        ? { network: announced.network, address: announced.address }
        : undefined;
    const { point: mtls, transport } = await checkMtls(addr, host, announced?.certificate, profile);

    let health = new Point('health', 'grpc.health.v1 "plugin" is SERVING');
    const extras: Point[] = (options.extraPoints ?? []).map((e) => new Point(e.id, e.title));
    let stdio = new Point('stdio', 'GRPCStdio.StreamStdio');
    channel = addr ? openChannel(addr, transport, host) : undefined;
    if (!channel) {
      const why = transport.kind === 'none' ? transport.why : 'no connection';
      for (const p of [health, ...extras, stdio]) p.skip(why);
    } else {
      const checked = await checkHealth(channel.conn);
      health = checked.point;
      if (checked.connected) {
        for (const [i, extra] of (options.extraPoints ?? []).entries())
          extras[i] = await extra.run(channel.conn);
        stdio = checkStdio(channel.stdio, proc.exitInfo() !== undefined, goPlugin);
      } else {
        for (const p of [...extras, stdio]) p.skip('the connection does not work (see the health point)');
        channel.close();
        channel = undefined;
      }
    }

    const family: ProcInfo[] = procAvailable() ? descendants(proc.pid) : [];
    const shutdown = await checkShutdown(proc, channel, profile);
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
      points: results([
        cookie,
        handshake,
        certificate,
        mtls,
        health,
        ...extras,
        stdio,
        shutdown.point,
        orphans,
        stderrLog,
      ]),
      ...(announced ? { handshake: announced.line } : {}),
      pid: proc.pid,
      exit: shutdown.exit,
      ...(goPlugin ? { goPlugin } : {}),
    };
  } finally {
    channel?.close();
    // Anything still in its group (the check already reported it) goes.
    proc.signalGroup('SIGKILL');
  }
}
