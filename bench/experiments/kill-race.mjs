// Experiment (not part of `npm run bench`); the fix it measures landed in
// 11d111a, whose doKill this copy now mirrors with --race. Scenario 5 showed kill-all of 100
// plugins taking ~2 s in most runs although every plugin exits in ~300 ms.
// This replaces PluginClient's private doKill with a copy that (a) records how
// the Shutdown RPC ended and when, and (b) with --race, stops waiting for the
// RPC once the process has exited and cancels it (the proposed fix).
//   node bench/experiments/kill-race.mjs <n> [--race] <plugin>
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';

import { PluginClient } from '@qplugin/go-plugin/host';
import { createClient, GRPCController } from '@qplugin/go-plugin/internal';
import { QUORUM_HANDSHAKE } from '@qplugin/quorum/plugin';

const args = process.argv.slice(2);
const race = args.includes('--race');
const [n, cmd] = args.filter((a) => a !== '--race');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms).unref());
const outcomes = [];
let t0 = 0;

// A copy of PluginClient.doKill (packages/go-plugin/src/host/client.ts) with the race added.
PluginClient.prototype.doKill = async function () {
  const grace = this.options.killGraceMs;
  const proc = this.launched?.proc;
  if (this.connection && !this.exitInfo) {
    await this.connection.broker.close();
    const cancel = new AbortController();
    const call = createClient(GRPCController, this.connection.conn)
      .shutdown({}, { deadline: Math.min(grace, 2000), signal: cancel.signal })
      .then(
        () => 'ok',
        (e) => `${e.codeName ?? e.code}: ${e.message}`,
      )
      .then((how) => outcomes.push({ how, at: Math.round(performance.now() - t0) }));
    await (race && proc ? Promise.race([call, proc.exited]) : call);
    // Once the process is gone, a call still pending can only time out: cancel it.
    if (race) cancel.abort(new Error('plugin exited'));
    this.connection.close();
  }
  const exitedInTime = await Promise.race([proc.exited.then(() => true), sleep(grace).then(() => false)]);
  if (!exitedInTime) proc.signalGroup('SIGKILL');
  const exit = await proc.exited;
  proc.signalGroup('SIGKILL');
  await Promise.race([proc.closed, sleep(2000)]);
  this.onGone(exit);
  return exit;
};

const fdList = () =>
  readdirSync('/proc/self/fd').map((f) => {
    try {
      return readlinkSync(`/proc/self/fd/${f}`);
    } catch {
      return '?';
    }
  });
const fds = () => fdList().length;
const baseline = new Set(fdList());
const fdsBefore = fds();
const clients = Array.from(
  { length: Number(n) },
  () => new PluginClient({ command: cmd, handshake: QUORUM_HANDSHAKE }),
);
await Promise.all(clients.map((c) => c.start()));
t0 = performance.now();
await Promise.all(clients.map((c) => c.kill()));
const total = Math.round(performance.now() - t0);
await new Promise((r) => setTimeout(r, 200));
const fds200 = fds();
await new Promise((r) => setTimeout(r, 1900)); // let the un-awaited calls settle for the record
const by = {};
for (const o of outcomes) by[o.how.slice(0, 60)] = [...(by[o.how.slice(0, 60)] ?? []), o.at];
console.log(
  `race=${race} kill all: ${total} ms; fds before ${fdsBefore}, 200 ms after ${fds200}, 2.1 s after ${fds()}`,
);
const extra = fdList().filter((f) => !baseline.has(f));
if (extra.length) {
  console.log(`  fds left: ${extra.join(' ')}`);
  // Which kind of sockets: ss lists unix sockets with their inode and path.
  const ss = spawnSync('ss', ['-xap'], { encoding: 'utf8' }).stdout.split('\n');
  for (const f of extra.slice(0, 4)) {
    const inode = f.match(/\d+/)?.[0];
    console.log(
      '   ',
      ss.find((l) => inode && l.includes(` ${inode} `))?.replace(/\s+/g, ' ') ?? `${f}: not a unix socket`,
    );
  }
}
for (const [how, at] of Object.entries(by))
  console.log(`  ${at.length} × ${how}  (max at ${Math.max(...at)} ms)`);
process.exit(0);
