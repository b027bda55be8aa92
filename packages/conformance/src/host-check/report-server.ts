/**
 * The host check's end of the report socket: each probe that starts says
 * hello with its run id, gets that run's script and reports events; the
 * socket closing tells when it died. Runs can be waited on for their next
 * change, with a deadline.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';

import { JsonLineReader } from './messages.js';
import type { Hello, ProbeEvent, ProbeMessage, ProbeScript, ScenarioMessage } from './messages.js';

export interface Launch {
  hello: Hello;
  script: ProbeScript;
  events: ProbeEvent[];
  /** Epoch ms when its report connection closed: the probe exited or was killed. */
  closedAt?: number;
  /** Still running when its run ended (the check then killed it). */
  leftRunning?: boolean;
}

export class RunRecord {
  readonly launches: Launch[] = [];
  /** Epoch ms of the last hello or event. */
  lastActivity = Date.now();
  private waiters: (() => void)[] = [];

  constructor(
    readonly id: string,
    /** The script for the n-th launch of this run; undefined refuses further launches. */
    readonly scriptFor: (launch: number) => ProbeScript | undefined,
  ) {}

  /** Every event of every launch, in order of arrival per launch. */
  events(): ProbeEvent[] {
    return this.launches.flatMap((l) => l.events);
  }

  has(kind: ProbeEvent['kind']): boolean {
    return this.launches.some((l) => l.events.some((e) => e.kind === kind));
  }

  /** Launches whose probe is still alive (report socket open). */
  alive(): Launch[] {
    return this.launches.filter((l) => l.closedAt === undefined);
  }

  /** @internal */
  touch(): void {
    this.lastActivity = Date.now();
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves at the next change, or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Waits until `done()` holds or `ms` passed; returns whether it holds. */
  async until(done: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.changed(left);
    }
    return true;
  }
}

export class ReportServer {
  private readonly runs = new Map<string, RunRecord>();
  private readonly sockets = new Set<Socket>();
  /** Hellos for runs this check does not know (another check's probe, or a stale one). */
  readonly strangers: Hello[] = [];

  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  static async listen(dir: string): Promise<ReportServer> {
    const path = join(dir, 'report.sock');
    const server = createServer();
    const report = new ReportServer(server, path);
    server.on('connection', (socket) => report.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return report;
  }

  register(id: string, scriptFor: (launch: number) => ProbeScript | undefined): RunRecord {
    const record = new RunRecord(id, scriptFor);
    this.runs.set(id, record);
    return record;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    let launch: Launch | undefined;
    let record: RunRecord | undefined;
    const reader = new JsonLineReader<ProbeMessage>((m) => {
      if (m.type === 'hello' && !launch) {
        record = this.runs.get(m.run);
        const script = record?.scriptFor(record.launches.length);
        if (!record || !script) {
          this.strangers.push(m);
          socket.destroy();
          return;
        }
        launch = { hello: m, script, events: [] };
        record.launches.push(launch);
        const reply: ScenarioMessage = { type: 'script', script };
        socket.write(JSON.stringify(reply) + '\n');
        record.touch();
      } else if (m.type === 'event' && launch) {
        const { type: _type, ...event } = m;
        launch.events.push(event as ProbeEvent);
        record!.touch();
      }
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => {});
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (launch) {
        launch.closedAt = Date.now();
        record!.touch();
      }
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
