/**
 * Issue 12, part 2: the bounded soak run in CI. 300 start → Init → Greeting
 * → kill cycles through PluginClient, 10 in parallel, for the TS hello world
 * and for a Go plugin (go-plugin v1.2.2, geth's pin, whose socket goes in
 * $TMPDIR). Before and after, it takes stock of this host process: open fds
 * by type (/proc/self/fd targets), child processes, unix sockets and
 * directories in the temp dir (this file's own, via TMPDIR, so other tests
 * and users of /tmp do not blur it). A first cycle of each plugin warms up
 * what Node opens once per process (signal pipe, module state) before the
 * "before" stock.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { PluginClient } from '@qplugin/go-plugin/host';
import { processesMatching } from '@qplugin/go-plugin/testing';
import { PluginGreeting, PluginInitializer, QUORUM_HANDSHAKE } from '@qplugin/quorum';

import { goPeer, interopSkip } from '../src/support/go.js';
import { HELLOWORLD_PLUGIN } from '../src/support/paths.js';

const skip = interopSkip();
const CYCLES = 300;
const PARALLEL = 10;
/** Marks this file's plugin processes. */
const TOKEN = `--qp-soak=${randomUUID()}`;

// Everything temporary of this process and its plugins goes here.
const TMP = mkdtempSync(join(tmpdir(), 'qp-soak-'));
process.env.TMPDIR = TMP;
after(() => rmSync(TMP, { recursive: true, force: true }));

interface Stock {
  /** Open fds by target kind: socket, pipe, anon_inode:[eventfd], or the file path. */
  fds: Record<string, number>;
  children: number[];
  /** Unix sockets in TMP, one level of directories deep. */
  sockets: string[];
  /** Entries of TMP. */
  entries: string[];
}

function fdKinds(): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the directory handle readdir used, closed since
    }
    const kind = target
      .replace(/^(socket|pipe):\[\d+\]$/, '$1')
      .replace(/^anon_inode:\[?([\w-]+)\]?$/, 'anon_inode:$1');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/** Our child processes (zombies included: an unreaped child is a leak too), plus anything carrying TOKEN. */
function children(): number[] {
  const found = new Set(processesMatching(TOKEN));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) found.add(Number(entry));
    } catch {
      // gone
    }
  }
  return [...found].sort((a, b) => a - b);
}

function socketsIn(dir: string, depth = 1): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      const st = lstatSync(path);
      if (st.isSocket()) out.push(path);
      else if (st.isDirectory() && depth > 0) out.push(...socketsIn(path, depth - 1));
    } catch {
      // removed meanwhile
    }
  }
  return out.sort();
}

/** What the host's socket fds are: unix (connected or not) or TCP, from /proc/net. */
function describeSockets(): string {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const counts: Record<string, number> = {};
  const count = (k: string): void => void (counts[k] = (counts[k] ?? 0) + 1);
  // /proc/net/unix: Num RefCount Protocol Flags Type St Inode [Path]; St 03 = connected.
  for (const line of readFileSync('/proc/net/unix', 'latin1').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[6] && inodes.delete(f[6]))
      count(`unix ${f[5] === '03' ? 'connected' : `state ${f[5]}`}${f[7] ? ' (bound)' : ''}`);
  }
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'latin1').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[9] && inodes.delete(f[9])) count(`tcp state ${f[3]}`);
    }
  }
  if (inodes.size > 0) counts.other = inodes.size;
  return JSON.stringify(counts);
}

function stock(): Stock {
  return { fds: fdKinds(), children: children(), sockets: socketsIn(TMP), entries: readdirSync(TMP).sort() };
}

/** Polls until the stock is back to `baseline` or the deadline passes; returns the last stock. */
async function settled(baseline: Stock, timeoutMs: number): Promise<Stock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = stock();
    const same =
      JSON.stringify(now.fds) === JSON.stringify(baseline.fds) &&
      now.children.length === baseline.children.length &&
      now.sockets.length === baseline.sockets.length &&
      now.entries.length === baseline.entries.length;
    if (same || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function cycle(argv: readonly string[]): Promise<void> {
  const client = new PluginClient({
    command: argv[0]!,
    args: [...argv.slice(1), TOKEN],
    handshake: QUORUM_HANDSHAKE,
  });
  let failure: unknown;
  try {
    await client.start();
    await client.client(PluginInitializer).init({ rawConfiguration: Buffer.from('{"language":"en"}') });
    const { msg } = await client.client(PluginGreeting).greeting({ msg: 'soak' }, { deadline: 10_000 });
    if (msg !== 'Hello soak!') throw new Error(`unexpected greeting ${JSON.stringify(msg)}`);
  } catch (err) {
    failure = err;
  }
  const exit = await client.kill();
  if (failure) throw failure;
  if (exit?.code !== 0) throw new Error(`plugin did not exit cleanly: ${JSON.stringify(exit)}`);
}

interface Run {
  before: Stock;
  after: Stock;
  socketsAfter: string;
  errors: string[];
  seconds: number;
}

async function soak(argv: readonly string[]): Promise<Run> {
  await cycle(argv); // warm-up
  const baseline = await settled(stock(), 2000);
  const errors: string[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < CYCLES) {
        next++;
        await cycle(argv).catch((err: unknown) => errors.push(String(err)));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const settledStock = await settled(baseline, 10_000);
  return { before: baseline, after: settledStock, socketsAfter: describeSockets(), errors, seconds };
}

const PLUGINS = [
  { name: 'TS hello world', argv: () => [process.execPath, HELLOWORLD_PLUGIN] },
  { name: 'Go plugin (go-plugin v1.2.2)', argv: () => [goPeer('v1.2.2').plugin] },
];

for (const plugin of PLUGINS) {
  describe(`soak: ${CYCLES} cycles of the ${plugin.name}, ${PARALLEL} in parallel`, { skip }, () => {
    let run: Run;
    before(async () => {
      run = await soak(plugin.argv());
    });

    it('every cycle started, answered and exited cleanly', (t) => {
      t.diagnostic(
        `${CYCLES} cycles in ${run.seconds.toFixed(1)} s; fds before ${JSON.stringify(run.before.fds)} after ${JSON.stringify(run.after.fds)}`,
      );
      assert.deepEqual(run.errors.slice(0, 5), [], `${run.errors.length} cycles failed`);
    });

    it('no child process left', () => {
      assert.deepEqual(run.after.children, run.before.children);
    });

    it('no unix socket and no directory left in the temp dir', () => {
      assert.deepEqual(run.after.sockets, run.before.sockets);
      assert.deepEqual(run.after.entries, run.before.entries);
    });

    it('host fds other than sockets: as many of each kind as before', () => {
      const { socket: _a, ...afterFds } = run.after.fds;
      const { socket: _b, ...beforeFds } = run.before.fds;
      assert.deepEqual(afterFds, beforeFds);
    });

    it('host socket fds: as many as before', (t) => {
      t.diagnostic(`host sockets after: ${run.socketsAfter}`);
      assert.equal(run.after.fds.socket ?? 0, run.before.fds.socket ?? 0);
    });
  });
}
