/** W3C traceparent parsing as a receiver must do it, hostile values included; no tracer registered here. */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

import { formatTraceparent, parseTraceparent, tracingActive } from '../src/protocol/tracing.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('parses valid values and formats them back', () => {
    assert.deepEqual(parseTraceparent(`00-${T}-${S}-01`), { traceId: T, spanId: S, traceFlags: 1 });
    assert.deepEqual(parseTraceparent(`00-${T}-${S}-00`), { traceId: T, spanId: S, traceFlags: 0 });
    assert.equal(formatTraceparent({ traceId: T, spanId: S, traceFlags: 1 }), `00-${T}-${S}-01`);
    // A later version may append fields after a dash; the known ones are read.
    assert.deepEqual(parseTraceparent(`01-${T}-${S}-09-whatever`), { traceId: T, spanId: S, traceFlags: 9 });
  });

  for (const [why, value] of [
    ['absent', undefined],
    ['empty', ''],
    ['version ff', `ff-${T}-${S}-01`],
    ['version 00 with extra fields', `00-${T}-${S}-01-extra`],
    ['later version with junk after the flags', `01-${T}-${S}-01x`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${S}-01`],
    ['all-zero span id', `00-${T}-${'0'.repeat(16)}-01`],
    ['upper-case hex', `00-${T.toUpperCase()}-${S}-01`],
    ['short trace id', `00-${T.slice(1)}-${S}-01`],
    ['wrong separators', `00_${T}_${S}_01`],
    ['non-hex flags', `00-${T}-${S}-zz`],
    ['markup', `00-${T}-${S}-01<script>`],
    ['huge', `00-${T}-${S}-01`.padEnd(100_000, 'a')],
  ] as const) {
    it(`rejects ${why}`, () => assert.equal(parseTraceparent(value), undefined));
  }

  it('is inactive, and the OpenTelemetry API unloaded, without a registered tracer provider', () => {
    assert.equal(tracingActive(), false);
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) =>
      k.includes('@opentelemetry'),
    );
    assert.deepEqual(loaded, []);
  });
});
