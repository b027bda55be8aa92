/**
 * Interop with the real github.com/hashicorp/yamux v0.1.2 (interop/go/yamux-peer)
 * over a unix socket, in both roles. Skipped with a reason when `go` is not
 * on PATH, unless REQUIRE_INTEROP=1 makes that a failure.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

import { YamuxSession } from '../src/protocol/yamux/index.js';
import type { YamuxStream } from '../src/protocol/yamux/index.js';

const MiB = 1024 * 1024;
const PAYLOAD = 3 * MiB;
const peerDir = fileURLToPath(new URL('../../../../interop/go/yamux-peer/', import.meta.url));
const goFound = spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;
const required = process.env.REQUIRE_INTEROP === '1';
const skip = goFound || required ? false : 'go is not on PATH (set REQUIRE_INTEROP=1 to fail instead)';

interface PeerEvent {
  event: string;
  stream?: number;
  bytes?: number;
  rttMicros?: number;
}

/** The Go peer process and the JSON events it reports on stdout. */
class GoPeer {
  readonly events: PeerEvent[] = [];
  readonly exited: Promise<number | null>;
  private stderr = '';
  private readonly child: ChildProcess;
  private wake: (() => void) | undefined;

  constructor(bin: string, args: string[]) {
    this.child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      this.events.push(JSON.parse(line) as PeerEvent);
      this.wake?.();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.wake?.();
        resolve(code);
      });
    });
  }

  get log(): string {
    return this.stderr;
  }

  count(event: string): PeerEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  async waitFor(event: string, times = 1): Promise<PeerEvent[]> {
    for (;;) {
      const seen = this.count(event);
      if (seen.length >= times) return seen;
      if (this.child.exitCode !== null) {
        throw new Error(`yamux-peer exited (${this.child.exitCode}) before '${event}': ${this.stderr}`);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

function readAll(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

/** What both roles do on the TS side: echo the Go-opened streams, send/verify on our own, ping. */
async function exercise(
  session: YamuxSession,
  peer: GoPeer,
  expectedParity: { ours: number; theirs: number },
) {
  // Ping first: once our streams are echoed the Go client may close at any moment.
  for (let i = 0; i < 3; i++) {
    const rtt = await session.ping();
    assert.ok(rtt >= 0 && rtt < 5000, `rtt ${rtt}`);
  }
  const accepted: YamuxStream[] = [];
  const echoing = (async () => {
    for (let i = 0; i < 3; i++) {
      const stream = await session.accept();
      accepted.push(stream);
      stream.pipe(stream);
    }
  })();
  const payloads = Array.from({ length: 4 }, () => randomBytes(PAYLOAD));
  const opened = payloads.map(() => session.open());
  const echoes = await Promise.all(
    opened.map((stream, i) => {
      const echoed = readAll(stream);
      stream.end(payloads[i]);
      return echoed;
    }),
  );
  echoes.forEach((echoed, i) =>
    assert.ok(echoed.equals(payloads[i] as Buffer), `echo on stream ${opened[i]?.id}`),
  );
  await echoing;
  assert.ok(
    opened.every((s) => s.id % 2 === expectedParity.ours),
    'our stream ids',
  );
  assert.ok(
    accepted.every((s) => s.id % 2 === expectedParity.theirs),
    'Go stream ids',
  );
  await peer.waitFor('done');
  assert.deepEqual(
    peer.count('verified').map((e) => e.bytes),
    [PAYLOAD, PAYLOAD, PAYLOAD],
    'Go verified the echo of its three streams',
  );
  assert.deepEqual(
    peer.count('echoed').map((e) => e.bytes),
    [PAYLOAD, PAYLOAD, PAYLOAD, PAYLOAD],
    'Go echoed our four streams',
  );
  assert.equal(peer.count('ping').length, 3, 'Go pinged us three times');
}

describe('yamux interop with hashicorp/yamux v0.1.2 (Go)', { skip }, () => {
  let dir = '';
  let bin = '';
  /** Why the peer cannot be used; each test fails with it (a failing hook would only cancel them). */
  let unusable = goFound ? '' : 'REQUIRE_INTEROP=1 but `go` is not on PATH';

  before(() => {
    if (!goFound) return;
    dir = mkdtempSync(join(tmpdir(), 'qp-yamux-'));
    bin = join(dir, 'yamux-peer');
    const build = spawnSync('go', ['build', '-o', bin, '.'], { cwd: peerDir, encoding: 'utf8' });
    if (build.status !== 0) unusable = `go build of interop/go/yamux-peer failed:\n${build.stderr}`;
  });
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  function startPeer(t: TestContext, args: string[]): GoPeer {
    assert.equal(unusable, '', unusable);
    const common = [
      '-open',
      '3',
      '-size',
      String(PAYLOAD),
      '-accept',
      '4',
      '-pings',
      '3',
      '-keepalive',
      '50ms',
    ];
    // Go's flag package lets the later, test-specific flags win.
    const peer = new GoPeer(bin, [...common, ...args, '-timeout', '15s']);
    t.after(() => peer.kill());
    return peer;
  }

  it('TS client ↔ Go server: streams both ways, multi-MiB echoes, pings, keepalive, graceful close', async (t) => {
    const socketPath = join(dir, 'go-server.sock');
    const peer = startPeer(t, ['-role', 'server', '-socket', socketPath]);
    await peer.waitFor('listening');
    const socket = net.connect(socketPath);
    await once(socket, 'connect');
    const session = new YamuxSession(socket, { client: true, keepAliveInterval: 50 });
    t.after(() => session.destroy());

    await exercise(session, peer, { ours: 1, theirs: 0 });
    await session.close();
    assert.equal(await session.closed, undefined);
    assert.equal(await peer.exited, 0, peer.log);
    assert.equal(peer.count('closed').length, 1, 'Go saw the session close');
  });

  it('Go client ↔ TS server: streams both ways, multi-MiB echoes, pings, keepalive, GoAway and close', async (t) => {
    const socketPath = join(dir, 'ts-server.sock');
    const server = net.createServer();
    server.listen(socketPath);
    await once(server, 'listening');
    t.after(() => server.close());
    const peer = startPeer(t, ['-role', 'client', '-socket', socketPath]);
    const [socket] = (await once(server, 'connection')) as [net.Socket];
    const session = new YamuxSession(socket, { client: false, keepAliveInterval: 50 });
    t.after(() => session.destroy());

    await exercise(session, peer, { ours: 0, theirs: 1 });
    assert.equal(await session.closed, undefined, 'GoAway then EOF is a clean end');
    assert.throws(() => session.open());
    assert.equal(await peer.exited, 0, peer.log);
  });

  it('TS client opens 300 streams at once: beyond 256 un-ACKed SYNs they wait, and Go resets none', async (t) => {
    const socketPath = join(dir, 'go-server-many.sock');
    const count = 300;
    const peer = startPeer(t, [
      '-role',
      'server',
      '-socket',
      socketPath,
      '-open',
      '0',
      '-pings',
      '0',
      '-accept',
      String(count),
    ]);
    await peer.waitFor('listening');
    const socket = net.connect(socketPath);
    await once(socket, 'connect');
    const session = new YamuxSession(socket, { client: true });
    t.after(() => session.destroy());

    const streams = Array.from({ length: count }, () => session.open());
    const echoes = await Promise.all(
      streams.map((stream, i) => {
        const echoed = readAll(stream);
        stream.end(`stream ${i}`);
        return echoed;
      }),
    );
    echoes.forEach((echoed, i) => assert.equal(echoed.toString(), `stream ${i}`));
    await peer.waitFor('done');
    await session.close();
    assert.equal(await session.closed, undefined);
    assert.equal(await peer.exited, 0, peer.log);
  });
});
