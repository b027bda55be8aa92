/**
 * The hot-path series of observe/local-series.ts against prom-client itself:
 * the same observations give the same exposition text and JSON as a
 * prom-client Histogram / Counter, counts survive scrapes, a reset zeroes
 * series that stay usable, and a wrong label set or bucket list is refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Counter, Histogram, Registry } from 'prom-client';

import { CounterSeriesSet, LocalHistogram } from '../src/observe/local-series.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const LABELS = ['provider', 'method'] as const;
/** Values below, on and between the bounds, and above all of them. */
const VALUES = [0, 0.0005, 0.001, 0.002, 0.01, 0.05, 0.1, 0.5, 1, 2, 30];

function pair(): { ours: Registry; theirs: Registry; local: LocalHistogram<string>; reference: Histogram } {
  const ours = new Registry();
  const theirs = new Registry();
  const config = { name: 'x_seconds', help: 'help text', labelNames: LABELS, buckets: BUCKETS };
  const local = new LocalHistogram({ ...config, registers: [ours] });
  const reference = new Histogram({
    ...config,
    labelNames: [...LABELS],
    buckets: [...BUCKETS],
    registers: [theirs],
  });
  return { ours, theirs, local, reference };
}

describe('LocalHistogram', () => {
  it('exposes what a prom-client Histogram with the same observations exposes (text and JSON)', async () => {
    const { ours, theirs, local, reference } = pair();
    const a = local.series({ provider: 'p', method: 'a' });
    const b = local.series({ provider: 'p', method: 'b "quoted"\n' });
    local.series({ provider: 'p', method: 'never observed' });
    for (const v of VALUES) {
      a.observe(v);
      reference.observe({ provider: 'p', method: 'a' }, v);
    }
    b.observe(0.003);
    reference.observe({ provider: 'p', method: 'b "quoted"\n' }, 0.003);
    assert.equal(await ours.metrics(), await theirs.metrics());
    const json = async (r: Registry): Promise<unknown> =>
      JSON.parse(JSON.stringify(await r.getMetricsAsJSON()));
    assert.deepEqual(await json(ours), await json(theirs));
    assert.match(await ours.metrics(), /^x_seconds_bucket\{le="\+Inf",provider="p",method="a"\} 11$/m);
    assert.match(await ours.metrics(), /^x_seconds_sum\{provider="p",method="a"\} 33\.6635$/m);
  });

  it('ignores values that are not finite (prom-client would throw into the call)', async () => {
    const { ours, local } = pair();
    const s = local.series({ provider: 'p', method: 'a' });
    s.observe(Number.NaN);
    s.observe(Number.POSITIVE_INFINITY);
    assert.doesNotMatch(await ours.metrics(), /x_seconds_count/);
    s.observe(0.5);
    assert.match(await ours.metrics(), /^x_seconds_count\{provider="p",method="a"\} 1$/m);
  });

  it('a reset zeroes every series, which keeps counting', async () => {
    const { ours, local } = pair();
    const s = local.series({ provider: 'p', method: 'a' });
    s.observe(0.5);
    ours.resetMetrics();
    assert.doesNotMatch(await ours.metrics(), /x_seconds_count/);
    s.observe(0.002);
    const text = await ours.metrics();
    assert.match(text, /^x_seconds_count\{provider="p",method="a"\} 1$/m);
    assert.match(text, /^x_seconds_bucket\{le="0\.001",provider="p",method="a"\} 0$/m);
    assert.match(text, /^x_seconds_bucket\{le="0\.01",provider="p",method="a"\} 1$/m);
  });

  it('refuses a label set that is not its label names, and buckets that do not ascend', () => {
    const { local } = pair();
    assert.throws(() => local.series({ provider: 'p' } as never), /x_seconds: label method missing/);
    assert.throws(
      () => local.series({ provider: 'p', method: 'a', extra: 'x' } as never),
      /x_seconds: labels provider, method, extra are not provider, method/,
    );
    assert.throws(
      () => new LocalHistogram({ name: 'y', help: 'h', labelNames: [], buckets: [1, 1], registers: [] }),
      /y: buckets must ascend/,
    );
  });
});

describe('CounterSeriesSet', () => {
  it('counts locally, hands the counts over at each scrape, and exposes what prom-client would', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const config = { name: 'calls_total', help: 'calls', labelNames: ['method', 'code'] };
    const set: CounterSeriesSet<string> = new CounterSeriesSet(
      new Counter({ ...config, registers: [ours], collect: () => set.flush() }),
    );
    const reference = new Counter({ ...config, registers: [theirs] });
    const ok = set.series({ method: 'm', code: 'OK' });
    const failed = set.series({ method: 'm', code: 'Unavailable' });
    for (let i = 0; i < 3; i++) {
      ok.inc();
      reference.inc({ method: 'm', code: 'OK' });
    }
    failed.inc();
    reference.inc({ method: 'm', code: 'Unavailable' });
    assert.equal(await ours.metrics(), await theirs.metrics());
    ok.inc();
    ok.inc();
    reference.inc({ method: 'm', code: 'OK' }, 2);
    assert.equal(await ours.metrics(), await theirs.metrics(), 'the second scrape adds only what came since');
    assert.match(await ours.metrics(), /^calls_total\{method="m",code="OK"\} 5$/m);
  });
});
