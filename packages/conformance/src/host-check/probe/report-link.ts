/**
 * The probe's line to the host check: a unix socket on which it says hello,
 * receives its script and reports events as JSON lines. Writes are
 * fire-and-forget; `flush()` waits until everything is handed to the kernel,
 * so a probe about to exit loses nothing.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

import { JsonLineReader } from '../messages.js';
import type { Hello, ProbeEventInput, ProbeScript, ScenarioMessage } from '../messages.js';

export class ReportLink {
  private pending = 0;
  private idle: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {}

  static async open(path: string, hello: Hello): Promise<{ link: ReportLink; script: ProbeScript }> {
    const socket = connect({ path });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const link = new ReportLink(socket);
    const script = new Promise<ProbeScript>((resolve, reject) => {
      const reader = new JsonLineReader<ScenarioMessage>((m) => {
        if (m.type === 'script') resolve(m.script);
      });
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.once('close', () => reject(new Error('the host check closed the report socket')));
    });
    link.write(hello);
    return { link, script: await script };
  }

  event(event: ProbeEventInput): void {
    this.write({ type: 'event', t: Date.now(), ...event });
  }

  private write(message: unknown): void {
    if (this.socket.destroyed) return;
    this.pending++;
    this.socket.write(JSON.stringify(message) + '\n', () => {
      if (--this.pending === 0) for (const w of this.idle.splice(0)) w();
    });
  }

  flush(): Promise<void> {
    return this.pending === 0 || this.socket.destroyed
      ? Promise.resolve()
      : new Promise((resolve) => this.idle.push(resolve));
  }

  /** The check went away: the probe has no one to report to. */
  onClose(fn: () => void): void {
    this.socket.once('close', fn);
  }
}
