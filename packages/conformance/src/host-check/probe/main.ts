#!/usr/bin/env node
/**
 * The probe: a go-plugin plugin that a host under test launches, and that
 * reports to the host check what the host does. Started through a wrapper
 * script the check writes: `main.js <report socket> <run id> <check pid>
 * <scratch dir> [host's arguments…]`; its sockets go in the scratch directory
 * unless the host names one (PLUGIN_UNIX_SOCKET_DIR). It plays the script the check sends for its run
 * (a normal plugin, a wrong certificate, a garbage line, a hung plugin…),
 * records the environment, TLS, calls and signals, and never outlives the
 * check by much.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { write } from 'node:fs';

import { Env, formatHandshake } from '@qplugin/go-plugin/protocol';
import {
  YamuxSession,
  bindNetServer,
  caMtlsServerOptions,
  generateCertificate,
  listenerConfigFromEnv,
  parseOfferedVersions,
} from '@qplugin/go-plugin/internal';

import type { BoundListener, GrpcServer } from '@qplugin/go-plugin/internal';

import { readProc } from '../../process/processes.js';
import { PROBE_CHILD_MARKER, PROBE_LOG_MARKER } from '../messages.js';
import type { ProbeScript } from '../messages.js';
import { gatherHello } from './hello.js';
import { ReportLink } from './report-link.js';
import { probeServer } from './server.js';

/** However the host and the check behave, the probe is gone after this. */
const LIFETIME_MS = 180_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function logLine(level: string, message: string): string {
  const now = new Date();
  const micros = String(now.getUTCMilliseconds() * 1000).padStart(6, '0');
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, `.${micros}Z`);
  return (
    JSON.stringify({ '@level': level, '@message': message, '@timestamp': stamp, '@module': 'probe' }) + '\n'
  );
}

/** Writes `bytes` to fd `fd` off the main thread (a host that stops reading must not freeze the probe). */
function flood(fd: number, bytes: number, line: string): Promise<void> {
  const chunk = Buffer.from(line.repeat(Math.ceil(1024 / line.length)).slice(0, 1023) + '\n');
  return new Promise((resolve, reject) => {
    let written = 0;
    const next = (): void => {
      if (written >= bytes) return resolve();
      write(fd, chunk, (err, n) => {
        // A non-blocking pipe (a Node host's socketpair) that is full: try again shortly.
        if ((err as NodeJS.ErrnoException | null)?.code === 'EAGAIN') return void setTimeout(next, 5);
        if (err) return reject(err);
        written += n;
        next();
      });
    };
    next();
  });
}

async function main(): Promise<void> {
  const [reportPath, run, checkerPid, scratch, ...argv] = process.argv.slice(2);
  if (!reportPath || !run || !scratch) {
    process.stderr.write(
      'qplugin probe: started without its report socket; run it through `qplugin check-host`\n',
    );
    process.exit(2);
  }
  setTimeout(() => process.exit(3), LIFETIME_MS).unref();
  const { link, script } = await ReportLink.open(reportPath, gatherHello(run, Number(checkerPid), argv));
  reportLink = link;
  let bound: BoundListener | undefined;
  const exit = async (code: number, reason: string): Promise<never> => {
    bound?.cleanup();
    link.event({ kind: 'exiting', reason });
    await link.flush();
    process.exit(code);
  };

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      link.event({ kind: 'signal', signal });
      // Like a Go plugin: SIGINT is ignored (a terminal's Ctrl-C reaches host and plugin alike).
      if (script.ignoreSignals || signal === 'SIGINT') return;
      void exit(0, signal);
    });
  }
  watchParent(link);
  keepAliveOnClosedPipes(link);
  if (script.child) startChild(link);
  if (script.delayMs > 0) await sleep(script.delayMs);
  await serve(script, link, scratch, exit, (b) => (bound = b));
}

/** Reports when the parent goes (a shell between host and probe that the host killed, say). */
function watchParent(link: ReportLink): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    link.event({ kind: 'parent-gone', pid: parent });
  }, 50);
  timer.unref();
}

/**
 * A host that exits without stopping its plugin closes the plugin's stdout and stderr; the probe's next write
 * then fails with EPIPE. Unhandled, that error would end the probe and read as "the host killed it"; the probe
 * notes the failed write (once per stream) and stays, so the check sees a plugin left running.
 */
function keepAliveOnClosedPipes(link: ReportLink): void {
  for (const [name, stream] of [
    ['stdout', process.stdout],
    ['stderr', process.stderr],
  ] as const) {
    let noted = false;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (noted) return;
      noted = true;
      link.event({ kind: 'error', message: `writing ${name}: ${err.code ?? err.message}` });
    });
  }
}

/** Values Go's strconv.ParseBool takes as true. */
const MUX_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];

function yamuxServer(server: GrpcServer): NetServer {
  return createServer((socket) => {
    const session = new YamuxSession(socket, { client: false });
    void (async () => {
      for (;;) {
        let stream: Duplex;
        try {
          stream = await session.accept();
        } catch {
          return; // session over
        }
        server.acceptConnection(stream);
      }
    })();
  });
}

function startChild(link: ReportLink): void {
  const child = spawn(
    process.execPath,
    ['-e', `/* ${PROBE_CHILD_MARKER} */ setTimeout(() => {}, ${LIFETIME_MS})`],
    { stdio: 'ignore' },
  );
  child.unref();
  child.once('spawn', () => {
    const info = readProc(child.pid!);
    link.event({ kind: 'child', pid: child.pid!, startTicks: info?.startTime ?? 0 });
  });
}

async function serve(
  script: ProbeScript,
  link: ReportLink,
  scratch: string,
  exit: (code: number, reason: string) => Promise<never>,
  onBound: (b: BoundListener) => void,
): Promise<void> {
  const env = process.env;
  const hostPem = env[Env.clientCert] ?? '';
  const own = hostPem ? await generateCertificate({ curve: 'P-521' }) : undefined; // a Go plugin's curve
  // wrong-cert: the handshake names a certificate the server does not present.
  const announced = own && script.wrongCertificate ? await generateCertificate({ curve: 'P-521' }) : own;
  const multiplex = env[Env.multiplexGRPC] ?? '';
  if (multiplex !== '') link.event({ kind: 'multiplex-requested', value: multiplex });

  let floods: Promise<unknown> = Promise.resolve();
  let shuttingDown = false;
  // As a Go plugin does: a host is judged by what Go plugins accept, not by qplugin's byte-for-byte pin.
  const tls = own && caMtlsServerOptions(own, hostPem);
  const server = probeServer(script, link, tls, {
    async onShutdown() {
      if (script.onShutdown === 'hold') return new Promise<void>(() => {});
      if (script.onShutdown === 'exit' && !shuttingDown) {
        shuttingDown = true;
        // Let the flood finish first (bounded), so the host's reading of it is judged, not cut short.
        await Promise.race([floods, sleep(3000)]);
        setImmediate(() => void server.stop(250).then(() => exit(0, 'Shutdown')));
      }
    },
  });
  const fromEnv = listenerConfigFromEnv(env);
  const listener = fromEnv.useDirAsIs ? fromEnv : { ...fromEnv, socketDir: scratch };
  // Multiplexing (go-plugin >= 1.6): one raw connection carries a yamux session, each stream a gRPC connection.
  const muxed = MUX_TRUE.includes(multiplex);
  const bound = await bindNetServer(muxed ? yamuxServer(server) : server.http2, listener);
  onBound(bound);
  process.on('exit', () => bound.cleanup());
  link.event({ kind: 'listening', network: bound.network, address: bound.address });

  const offered = parseOfferedVersions(env[Env.protocolVersions]).versions;
  const version = offered.length > 0 ? Math.max(...offered) : 1;
  const handshake = formatHandshake({
    appVersion: script.line === 'bad-version' ? version + 1 : version,
    network: bound.network,
    address: bound.address,
    ...(announced ? { certificate: announced.der } : {}),
    multiplex: muxed,
  });
  const out =
    script.line === 'garbage'
      ? 'this is not a go-plugin handshake line\n'
      : script.line === 'banner-first'
        ? `qplugin probe starting (a banner before the handshake)\n${handshake}\n`
        : `${handshake}\n`;
  await new Promise<void>((resolve) => process.stdout.write(out, () => resolve()));
  link.event({ kind: 'handshake', line: out.trimEnd() });
  process.stderr.write(logLine('info', PROBE_LOG_MARKER));

  if (script.floodBytes > 0) {
    const started = Date.now();
    const report = (stream: 'stdout' | 'stderr', p: Promise<void>): Promise<void> =>
      p.then(
        () =>
          link.event({
            kind: 'flood',
            stream,
            bytes: script.floodBytes,
            done: true,
            ms: Date.now() - started,
          }),
        (err: Error) => link.event({ kind: 'error', message: `writing ${stream}: ${err.message}` }),
      );
    floods = Promise.all([
      report('stdout', flood(1, script.floodBytes, 'qplugin probe stdout flood ')),
      report('stderr', flood(2, script.floodBytes, '[DEBUG] qplugin probe stderr flood ')),
    ]);
  }
}

let reportLink: ReportLink | undefined;

await main().catch(async (err: Error) => {
  process.stderr.write(`qplugin probe: ${err.stack ?? err.message}\n`);
  reportLink?.event({ kind: 'exiting', reason: `error: ${err.message.split('\n')[0]}` });
  await reportLink?.flush();
  process.exit(4);
});
