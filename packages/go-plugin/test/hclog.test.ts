import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

import { formatHclogLine, formatHclogTime, preciseNow, StderrClassifier } from '../src/protocol/hclog.js';
import { createHclogLogger } from '../src/protocol/logger.js';

describe('hclog JSON writer', () => {
  it('stamps lines with the wall clock, never going back, without loading node:perf_hooks', () => {
    const before = Date.now();
    const times = Array.from({ length: 1000 }, () => preciseNow());
    const after = Date.now();
    // The anchor is a Date.now() (whole milliseconds): within one of the wall clock.
    assert.ok(
      times[0]! >= before - 1 && times.at(-1)! <= after + 1,
      `${before} <= ${times[0]} .. ${times.at(-1)} <= ${after}`,
    );
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!, `went back at ${i}`);
    assert.ok(
      times.some((t) => !Number.isInteger(t)),
      'no sub-millisecond part',
    );
    const line = formatHclogLine({ level: 'info', message: 'm', fields: {} });
    const stamped = Date.parse(/"@timestamp":"([^"]+)"/.exec(line)![1]!);
    assert.ok(stamped >= before - 1 && stamped <= Date.now() + 1, line);
    // In a fresh process: a plugin's first log line does not load perf_hooks (~1 ms of its start-up).
    const probe = `import { preciseNow } from ${JSON.stringify(new URL('../src/protocol/hclog.js', import.meta.url).href)};
      preciseNow();
      console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('perf_hooks'))));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), []);
  });

  it('writes sorted keys, 6 fractional digits and Go-style HTML escaping', () => {
    const line = formatHclogLine({
      level: 'info',
      message: 'a <b> & c',
      module: 'plugin.x',
      fields: { zeta: 1, alpha: 'x', err: new Error('boom') },
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 6) + 0.789,
    });
    assert.equal(
      line,
      '{"@level":"info","@message":"a \\u003cb\\u003e \\u0026 c","@module":"plugin.x","@timestamp":"2026-01-02T03:04:05.006789Z","alpha":"x","err":"boom","zeta":1}',
    );
  });
  it('formats time with exactly six fractional digits', () => {
    assert.match(formatHclogTime(Date.now() + 0.5), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });
  it('filters by level and nests module names', () => {
    const lines: string[] = [];
    const log = createHclogLogger((l) => lines.push(l), { level: 'info', name: 'plugin' });
    log.debug('hidden');
    log.named('broker').with({ id: 7 }).warn('shown', { extra: true });
    assert.equal(lines.length, 1);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(rec['@module'], 'plugin.broker');
    assert.equal(rec['@level'], 'warn');
    assert.equal(rec['id'], 7);
    assert.equal(rec['extra'], true);
    assert.ok(lines[0]!.endsWith('\n'));
  });
});

describe('stderr classification (go-plugin host rules)', () => {
  it('keeps level, message, module and fields of hclog lines', () => {
    const c = new StderrClassifier();
    const line = formatHclogLine({ level: 'warn', message: 'hi', module: 'm', fields: { k: 'v' } });
    const r = c.classify(line);
    assert.equal(r.structured, true);
    assert.equal(r.level, 'warn');
    assert.equal(r.message, 'hi');
    assert.equal(r.module, 'm');
    assert.deepEqual(r.fields, { k: 'v' });
  });
  it('maps [LEVEL] prefixes and defaults to debug', () => {
    const c = new StderrClassifier();
    assert.equal(c.classify('[WARN] test line 98765').level, 'warn');
    assert.equal(c.classify('[ERROR] x').level, 'error');
    assert.equal(c.classify('plain text').level, 'debug');
  });
  it('logs JSON without a level, arrays and numbers verbatim at debug (go-plugin TestClient_StderrJSON)', () => {
    const c = new StderrClassifier();
    for (const raw of ['["HELLO"]', '12345', '{"a":1}']) {
      const r = c.classify(raw);
      assert.equal(r.level, 'debug');
      assert.equal(r.message, raw);
    }
  });
  it("treats JS toISOString timestamps as non-JSON, as Go's time.Parse does", () => {
    const r = new StderrClassifier().classify(
      '{"@level":"error","@message":"x","@timestamp":"2026-01-01T00:00:00.123Z"}',
    );
    assert.equal(r.structured, false);
    assert.equal(r.level, 'debug');
  });
  it('survives values that crash a Go host (non-string @message)', () => {
    const r = new StderrClassifier().classify('{"@level":"info","@message":5}');
    assert.equal(r.level, 'debug');
    assert.equal(r.structured, false);
  });
  it('enters panic mode: the panic line and untagged lines after it are errors', () => {
    const c = new StderrClassifier();
    assert.equal(c.classify('before').level, 'debug');
    assert.equal(c.classify('panic: invalid foo bar').level, 'error');
    assert.equal(c.classify('goroutine 1 [running]:').level, 'error');
    assert.equal(c.classify('[INFO] tagged').level, 'info');
  });
});
