/**
 * JSON log lines of non-Go plugins: the host keeps their levels. The sample
 * lines are what each library writes with its JSON output (default keys).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { StderrClassifier } from '../src/protocol/hclog.js';
import type { LogLevel } from '../src/protocol/hclog.js';
import { createLogger } from '../src/protocol/logger.js';
import { StderrPump } from '../src/host/stderr.js';

const classify = (line: string) => new StderrClassifier().classify(line);

describe('log lines of other libraries', () => {
  const samples: [string, string, LogLevel, string][] = [
    [
      'logrus',
      '{"level":"warning","msg":"disk almost full","time":"2026-12-02T10:00:00Z","free":"2%"}',
      'warn',
      'disk almost full',
    ],
    [
      'logrus fatal',
      '{"level":"fatal","msg":"cannot bind","time":"2026-12-02T10:00:00Z"}',
      'error',
      'cannot bind',
    ],
    [
      'zap',
      '{"level":"info","ts":1764669600.5,"caller":"main.go:12","msg":"listening","port":8080}',
      'info',
      'listening',
    ],
    ['zap dpanic', '{"level":"dpanic","ts":1764669600.5,"msg":"odd"}', 'error', 'odd'],
    ['pino', '{"level":30,"time":1764669600000,"pid":7,"hostname":"h","msg":"ready"}', 'info', 'ready'],
    ['pino trace', '{"level":10,"time":1764669600000,"pid":7,"hostname":"h","msg":"t"}', 'trace', 't'],
    ['pino debug', '{"level":20,"time":1764669600000,"msg":"d"}', 'debug', 'd'],
    ['pino warn', '{"level":40,"time":1764669600000,"msg":"w"}', 'warn', 'w'],
    ['pino error', '{"level":50,"time":1764669600000,"msg":"e"}', 'error', 'e'],
    ['pino fatal', '{"level":60,"time":1764669600000,"msg":"f"}', 'error', 'f'],
    [
      'bunyan',
      '{"name":"app","hostname":"h","pid":9,"level":40,"msg":"slow","time":"2026-12-02T10:00:00.000Z","v":0}',
      'warn',
      'slow',
    ],
    ['winston', '{"level":"error","message":"boom","timestamp":"2026-12-02T10:00:00.000Z"}', 'error', 'boom'],
    [
      'Go slog',
      '{"time":"2026-12-02T10:00:00.123+01:00","level":"WARN","msg":"retrying","n":3}',
      'warn',
      'retrying',
    ],
    [
      'Rust tracing',
      '{"timestamp":"2026-12-02T10:00:00.000000Z","level":"INFO","fields":{"message":"started","port":1},"target":"p"}',
      'info',
      'started',
    ],
    [
      'GCP severity',
      '{"severity":"ERROR","message":"denied","time":"2026-12-02T10:00:00Z"}',
      'error',
      'denied',
    ],
  ];
  for (const [lib, line, level, message] of samples) {
    it(`${lib}: level ${level}, message kept`, () => {
      const r = classify(line);
      assert.equal(r.structured, true);
      assert.equal(r.level, level);
      assert.equal(r.message, message);
      assert.equal(r.fields.level, undefined);
      assert.equal(r.fields.msg, undefined);
      assert.ok(r.timestamp, 'the time is kept as timestamp');
    });
  }

  it('keeps the other keys as fields and turns epoch times into ISO text', () => {
    const pino = classify(
      '{"level":30,"time":1764669600000,"pid":7,"hostname":"h","msg":"ready","req":{"id":1}}',
    );
    assert.deepEqual(pino.fields, { pid: 7, hostname: 'h', req: { id: 1 } });
    assert.equal(pino.timestamp, '2025-12-02T10:00:00.000Z');
    const zap = classify('{"level":"info","ts":1764669600.5,"msg":"x"}');
    assert.equal(zap.timestamp, '2025-12-02T10:00:00.500Z');
    const tracing = classify('{"level":"INFO","fields":{"message":"m","port":1}}');
    assert.deepEqual(tracing.fields, { fields: { port: 1 } });
  });

  it('logs a level without a message as the whole line, at that level', () => {
    const r = classify('{"level":"error","event":"x"}');
    assert.equal(r.level, 'error');
    assert.equal(r.message, '{"level":"error","event":"x"}');
  });

  it('reads unknown or odd levels as text at debug (never throws)', () => {
    for (const line of [
      '{"level":"loud","msg":"x"}',
      '{"level":0,"msg":"x"}',
      '{"level":-5,"msg":"x"}',
      '{"level":true,"msg":"x"}',
      '{"level":{"a":1},"msg":"x"}',
      '{"level":"' + 'i'.repeat(100) + '","msg":"x"}',
      '{"level":null}',
    ]) {
      const r = classify(line);
      assert.equal(r.level, 'debug', line);
      assert.equal(r.structured, false, line);
      assert.equal(r.message, line);
    }
  });

  it('prefers hclog keys when a line has both', () => {
    const r = classify('{"@level":"warn","@message":"hc","level":"error","msg":"other"}');
    assert.equal(r.level, 'warn');
    assert.equal(r.message, 'hc');
    assert.equal(r.fields.level, 'error');
  });

  it('reaches the host log at the plugin’s level through the stderr pump', () => {
    const seen: [LogLevel, string, Record<string, unknown>][] = [];
    const logger = createLogger((level, message, _m, fields) => seen.push([level, message, fields]), {
      level: 'trace',
    });
    const pump = new StderrPump({ logger });
    pump.write(
      Buffer.from(
        '{"level":50,"time":1764669600000,"msg":"db down","pid":1}\n{"level":"warning","msg":"slow"}\n',
      ),
    );
    assert.deepEqual(
      seen.map(([l, m]) => [l, m]),
      [
        ['error', 'db down'],
        ['warn', 'slow'],
      ],
    );
    assert.equal(seen[0]![2].timestamp, '2025-12-02T10:00:00.000Z');
  });
});
