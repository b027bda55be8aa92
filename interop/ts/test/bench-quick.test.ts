/**
 * Issue 8's smoke run: `bench/` in --quick mode runs every scenario against
 * the real Go reference (go-plugin v1.8.0) and our TS host and plugin. This
 * asserts only that each scenario completed with sane fields, never how fast
 * anything was: the numbers of a quick run on a shared CI machine mean
 * nothing. Also the bench's scenario deadline, on real processes: a hung
 * scenario must fail by name, never run into this test's timeout.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';

import { goPeer, interopSkip, REPO_ROOT } from '../src/support/go.js';

const skip = interopSkip();

interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

interface Metric {
  id: string;
  ts: Spread;
  ref: Spread;
  ratio: { ratio: number; min: number; max: number; rounds: number };
  target?: { op: string; value: number };
  pass?: boolean;
}

interface Scenario {
  id: string;
  completed: boolean;
  metrics: Metric[];
  memory: { label: string; hostKB?: number; pluginKB?: number }[];
  details: Record<string, unknown>;
}

interface Results {
  quick: boolean;
  machine: Record<string, unknown>;
  versions: Record<string, string>;
  runs: { node: string; source: string; execPath: string; scenarios: Scenario[] }[];
}

/**
 * Eight scenarios of at most SCENARIO_S each (a quick run takes ~50 s in all), plus preparation: the
 * bench always ends, with a named failure, before this test's own timeout.
 */
const SCENARIO_S = 60;
const TEST_TIMEOUT_MS = 900_000;

/** The bench exits, then its pipes close; a pipe still open 10 s after its exit means a descendant kept it. */
function runQuick(docs: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const run = join(REPO_ROOT, 'bench', 'dist', 'run.js');
    const args = [run, '--quick', '--docs', docs, '--scenario-timeout', String(SCENARIO_S)];
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const held = setTimeout(
        () =>
          reject(
            new Error(`bench exited (${code}) but its stdout/stderr stayed open:\n${stderr.slice(-4000)}`),
          ),
        10_000,
      );
      child.on('close', () => {
        clearTimeout(held);
        resolve({ code, stdout, stderr });
      });
    });
  });
}

/** The parts of bench/dist/{watchdog,proc}.js this test drives (bench/ is compiled apart from the workspace). */
interface Watchdog {
  withDeadline<T>(
    name: string,
    ms: number,
    work: () => Promise<T>,
    lastStep: () => string | undefined,
    settleMs?: number,
  ): Promise<T>;
  ScenarioTimeoutError: new (message: string) => Error;
}
interface Proc {
  track(child: ChildProcess, command: string, args: readonly string[]): void;
  runHarness(command: string, args: readonly string[]): Promise<unknown>;
}
const benchModule = async <T>(name: string): Promise<T> =>
  (await import(pathToFileURL(join(REPO_ROOT, 'bench', 'dist', name)).href)) as T;

/** Running, not a zombie (a killed orphan stays one until its new parent reaps it). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

/** From the first failed scenario's line on (a hung one's carries the Go stacks), else the end. */
function failureText(stderr: string): string {
  const at = stderr.search(/^\[bench\] \S+ failed: /m);
  return at < 0 ? stderr.slice(-4000) : stderr.slice(at, at + 30_000);
}

const positive = (x: unknown, what: string): void =>
  assert.ok(typeof x === 'number' && Number.isFinite(x) && x > 0, `${what} = ${String(x)}`);

describe('bench --quick', { skip }, () => {
  before(() => {
    // bench/ is outside the workspace build (tsc -b): compile it here.
    execFileSync(
      process.execPath,
      [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'bench'],
      { cwd: REPO_ROOT, stdio: 'inherit' },
    );
  });

  it('a scenario past its deadline fails by name, with what it ran, and its processes are killed', async () => {
    const { withDeadline, ScenarioTimeoutError } = await benchModule<Watchdog>('watchdog.js');
    const { track } = await benchModule<Proc>('proc.js');
    // A process that starts a grandchild, prints its pid, then never exits: a hung harness and its plugin.
    const script =
      "const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });" +
      'console.log(c.pid); setInterval(() => {}, 1000);';
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    track(child, process.execPath, ['-e', 'hung-harness']);
    const [line] = (await once(child.stdout.setEncoding('utf8'), 'data')) as [string];
    const grandchild = Number(line.trim());
    assert.ok(alive(grandchild));
    const exited = once(child, 'exit');
    await assert.rejects(
      withDeadline(
        'v0 s9',
        300,
        () => exited,
        () => 'round 1/1: a step',
      ),
      (err: Error) => {
        assert.ok(err instanceof ScenarioTimeoutError);
        assert.match(
          err.message,
          /^v0 s9 did not finish in 0\.3 s; last step: round 1\/1: a step; killed: node -e hung-harness \(pid \d+ and 1 descendant\(s\)\)$/,
        );
        return true;
      },
    );
    assert.equal(alive(child.pid!), false);
    // SIGKILL is delivered asynchronously: give the kernel a moment, bounded.
    for (let i = 0; i < 500 && alive(grandchild); i++) await new Promise((r) => setImmediate(r));
    assert.equal(alive(grandchild), false, `grandchild ${grandchild} still alive`);
  });

  it('a hung Go harness is asked for its goroutine stacks before it is killed', async () => {
    const { withDeadline } = await benchModule<Watchdog>('watchdog.js');
    const { runHarness } = await benchModule<Proc>('proc.js');
    const { host, plugin } = goPeer('v1.8.0');
    // The Go interop host starts its plugin, then sleeps far past the deadline.
    await assert.rejects(
      withDeadline(
        'v0 s7',
        1000,
        () => runHarness(host, ['-steps', 'sleep:600000', '--', plugin]),
        () => 'a Go step',
      ),
      (err: Error) => {
        assert.match(
          err.message,
          /^v0 s7 did not finish in 1 s; last step: a Go step; killed: host -steps sleep:600000 -- \S+ \(pid \d+ and 1 descendant\(s\)\); then it failed with: \S+ -steps sleep:600000 -- \S+ failed \((?:2|SIG[A-Z]+)\): /,
        );
        // SIGQUIT's dump: the main goroutine asleep in the step. Go exits 2 after it, or dies of
        // another signal while dumping on a loaded machine (seen: SIGSEGV); the dump is what counts.
        assert.match(err.message, /SIGQUIT: quit/);
        assert.match(
          err.message,
          /goroutine 1 [^\n]*\[sleep\]:\n[\s\S]*?time\.Sleep[\s\S]*?hostapp\.stepSleep/,
        );
        return true;
      },
    );
  });

  it('a scenario hung in the bench process itself is named too, and said not to have settled', async () => {
    const { withDeadline } = await benchModule<Watchdog>('watchdog.js');
    await assert.rejects(
      withDeadline(
        'v0 s8',
        100,
        () => new Promise<never>(() => {}),
        () => undefined,
        100,
      ),
      /^ScenarioTimeoutError: v0 s8 did not finish in 0\.1 s; last step: \(none logged\); killed: no process \(it hung in the bench process\); it had not settled 0\.1 s after that$/,
    );
  });

  it('runs every scenario to completion with sane fields', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const docsDir = mkdtempSync(join(tmpdir(), 'qp-bench-docs-'));
    t.after(() => rmSync(docsDir, { recursive: true, force: true }));
    const docs = join(docsDir, 'benchmarks.md');
    const run = await runQuick(docs);
    assert.equal(run.code, 0, `bench --quick failed:\n${failureText(run.stderr)}`);
    const res = JSON.parse(run.stdout) as Results;
    assert.equal(res.quick, true);
    assert.ok(res.versions['go-plugin (reference)']?.startsWith('v1.8.0'));
    // --quick measures the Node running it (this test's: Node 24 under the LTS run of .ci/run).
    assert.equal(res.runs.length, 1);
    const [only] = res.runs;
    assert.equal(only!.node, process.version);
    assert.equal(res.versions.node, process.version);
    const scenarios = only!.scenarios;

    assert.deepEqual(
      scenarios.map((s) => s.id),
      ['s1', 's2', 's3', 's3c', 's4', 's5', 's6', 's7'],
    );
    for (const s of scenarios) {
      assert.ok(s.completed, `${s.id} did not complete: ${JSON.stringify(s.details)}`);
      assert.ok(s.metrics.length > 0, `${s.id} has no metrics`);
      for (const m of s.metrics) {
        positive(m.ts.median, `${m.id} ts`);
        positive(m.ref.median, `${m.id} ref`);
        positive(m.ratio.ratio, `${m.id} ratio`);
        assert.ok(m.ratio.rounds >= 1, `${m.id} rounds`);
        // A target is evaluated (pass or miss), whatever the outcome.
        if (m.target) assert.equal(typeof m.pass, 'boolean', `${m.id} pass`);
      }
      for (const row of s.memory) {
        if (row.hostKB !== undefined) positive(row.hostKB, `${s.id} ${row.label} host RSS`);
        if (row.pluginKB !== undefined) positive(row.pluginKB, `${s.id} ${row.label} plugin RSS`);
      }
    }

    const byId = new Map(scenarios.map((s) => [s.id, s]));
    const targeted = scenarios.flatMap((s) => s.metrics.filter((m) => m.target).map((m) => m.id));
    for (const id of [
      's1.ready.warm',
      's2.bundled.node',
      's3.p50.ts→go',
      's3.p99.ts→go',
      's4.c64.ts→go',
      's5.rss',
      's6.total.warm',
      's7.rps.c64',
      's7.metrics.rps.c64',
    ])
      assert.ok(targeted.includes(id), `target ${id} is reported`);

    // Scale: every plugin started, and after the kill every one had exited with no process left.
    const scale = byId.get('s5')!.details as { allStartedAndStopped: { ts: boolean[]; go: boolean[] } };
    const stopped = [...scale.allStartedAndStopped.ts, ...scale.allStartedAndStopped.go];
    assert.ok(stopped.length >= 2 && stopped.every(Boolean), JSON.stringify(byId.get('s5')!.details));

    // Start-up breakdown: each phase was observed.
    const breakdown = (byId.get('s2')!.details as { breakdown: Record<string, Record<string, number>> })
      .breakdown;
    for (const variant of ['unbundled', 'bundled']) {
      for (const phase of [
        'node_bootstrap_ms',
        'module_loading_ms',
        'key_generation_ms',
        'certificate_listen_handshake_ms',
      ])
        positive(breakdown[variant]?.[phase], `${variant} ${phase}`);
    }

    // Gateway: both gateways answered every request at 1, 16 and 64 connections, stopped cleanly,
    // and `qplugin run` ran on this Node.
    const gateway = byId.get('s7')!;
    for (const c of [1, 16, 64])
      for (const what of ['rps', 'p50', 'p99', 'cpu'])
        assert.ok(
          gateway.metrics.some((m) => m.id === `s7.${what}.c${c}`),
          `s7.${what}.c${c} is reported`,
        );
    const gd = gateway.details as {
      failedRequests: { ts: number; go: number; tsm: number };
      exitCodes: { ts: number; go: number; tsm: number };
      qpluginRunExecutable: string;
    };
    assert.deepEqual(gd.failedRequests, { ts: 0, go: 0, tsm: 0 });
    assert.deepEqual(gd.exitCodes, { ts: 0, go: 0, tsm: 0 });
    assert.equal(gd.qpluginRunExecutable, realpathSync(process.execPath));

    // The docs render from these results, with this Node's column.
    const md = readFileSync(docs, 'utf8');
    assert.match(
      md,
      new RegExp(`\\| scenario \\| measure \\| target \\| Node ${process.version.replace(/\./g, '\\.')}`),
    );
    assert.match(md, /### S7\. JSON-RPC gateway under HTTP load/);
    // Peak RSS targets sit in the targets table with this run's value.
    assert.match(
      md,
      /\| S4 \| TS plugin peak RSS, up to 64 calls in flight \(#13\) \| ≤ 60 MB \| [\d.]+ MB (✅ pass|❌ miss) \|/,
    );
  });
});
