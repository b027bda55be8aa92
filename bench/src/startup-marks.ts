/**
 * Preloaded (`node --import`) into a TS plugin to split its start-up into
 * phases without touching the SDK: Node bootstrap (this module runs), module
 * loading (until serve() asks for its AutoMTLS key), certificate, listen and
 * handshake (the `1|…` line is written). Times are ms since the process
 * started (performance.timeOrigin); appended as one JSON line to
 * $BENCH_MARKS_FILE.
 */
import { appendFileSync } from 'node:fs';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';

const file = process.env.BENCH_MARKS_FILE;
const marks: Record<string, number> = { bootstrap: performance.now() };

type GenerateKeyPair = typeof crypto.generateKeyPair;
const original: GenerateKeyPair = crypto.generateKeyPair;
const wrapped = ((...args: Parameters<GenerateKeyPair>) => {
  marks.modules ??= performance.now();
  const callback = args[args.length - 1] as (...r: unknown[]) => void;
  args[args.length - 1] = ((...r: unknown[]) => {
    marks.keygen ??= performance.now();
    callback(...r);
  }) as never;
  return (original as (...a: unknown[]) => void)(...args);
}) as GenerateKeyPair;
crypto.generateKeyPair = wrapped;
// ESM `import { generateKeyPair } from 'node:crypto'` sees the patched function only after this.
syncBuiltinESMExports();

// The SDK binds process.stdout.write when it loads, i.e. after this wrapper is in place.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
  if (marks.handshake === undefined && String(chunk).startsWith('1|')) {
    marks.handshake = performance.now();
    if (file) appendFileSync(file, JSON.stringify(marks) + '\n');
  }
  return write(chunk, ...rest);
}) as typeof process.stdout.write;
