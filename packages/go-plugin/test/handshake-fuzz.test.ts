/**
 * Fuzzing the handshake: parseHandshake on generated and mutated lines, then
 * the host reading real plugin stdout (framing, invalid UTF-8, NULs, long
 * lines, early exit). Every failure must be a GoPluginError with a catalog
 * code and a fix; every accepted line must satisfy go-plugin's rules, checked
 * here independently. The seed is printed on failure (FUZZ_SEED replays it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { PluginClient } from '../src/host/index.js';
import { encodeRawStd } from '../src/protocol/base64raw.js';
import { generateCertificate } from '../src/protocol/certificate.js';
import { ErrorCodes, GoPluginError } from '../src/protocol/errors.js';
import { parseHandshake } from '../src/protocol/handshake.js';
import type { HandshakeExpectations, ParsedHandshake } from '../src/protocol/handshake.js';
import {
  describeStats,
  expectNoProcesses,
  fuzzCases,
  mutateText,
  replayingOneCase,
  runFuzz,
  waitUntil,
} from '../src/testing/index.js';
import type { Rng } from '../src/testing/index.js';

const MUX_CLOSED = fileURLToPath(new URL('./fixtures/mux-closed-session.js', import.meta.url));
const certificate = await generateCertificate({ curve: 'P-256' });
const CERT = encodeRawStd(certificate.der);
const DICTIONARY = [
  '|',
  '||',
  'unix',
  'tcp',
  'grpc',
  'netrpc',
  'true',
  'false',
  '1',
  '0',
  ' ',
  '\r',
  '\t',
  '=',
  '\n',
  CERT.slice(0, 60),
  ':',
  '[::1]',
  '\u00a0',
  '\ufeff',
  '\u0085',
];

/** A failure must be a GoPluginError with a catalog code, a message and a fix. */
function expectCatalogError(err: unknown): string {
  if (!(err instanceof GoPluginError)) throw err;
  assert.ok(err.code in ErrorCodes, `unknown code ${err.code}`);
  assert.ok(err.message.length > 0, 'empty message');
  assert.ok((err.fix ?? '').length > 0, `${err.code} without a fix`);
  return err.code;
}

/** go-plugin v1.8.0's acceptance rules, restated independently of parseHandshake. */
/** strings.TrimSpace: Go's unicode.IsSpace set (not JS's trim, which also strips U+FEFF and keeps U+0085). */
const GO_SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const GO_TRIM = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, 'g');

function checkAccepted(line: string, expect: HandshakeExpectations, parsed: ParsedHandshake): void {
  const parts = line.replace(GO_TRIM, '').split('|');
  assert.ok(parts.length >= 4, 'accepted a line with fewer than 4 fields');
  assert.equal(parsed.coreVersion, 1);
  assert.ok(expect.offeredVersions.includes(parsed.appVersion), 'accepted a version not offered');
  assert.equal(String(parsed.appVersion), String(Number(parts[1])), 'app version is not field 2');
  assert.ok(parsed.network === 'unix' || parsed.network === 'tcp');
  assert.equal(parsed.network, parts[2]);
  assert.equal(parsed.address, parts[3]);
  assert.equal(parsed.protocol, parts[4] ?? 'netrpc');
  assert.ok(
    (expect.allowedProtocols ?? ['grpc']).includes(parsed.protocol),
    'accepted a protocol not allowed',
  );
  assert.equal(parsed.certificate !== undefined, (parts[5]?.length ?? 0) > 50, 'certificate presence');
  assert.equal(parsed.multiplex, Boolean(expect.multiplexRequested) && parsed.protocol === 'grpc');
}

/** A valid value most of the time, else an edge case of that field's rule, else random text. */
function field(rng: Rng, valid: readonly string[], edges: readonly string[]): string {
  const r = rng.int(20);
  if (r < 16) return rng.pick(valid);
  if (r < 19) return rng.pick(edges);
  return rng.text(rng.size(20));
}

/** A line built field by field, each valid or at an edge of its rule, so every check gets reached. */
function structuredLine(rng: Rng, expect: HandshakeExpectations): string {
  const offered = expect.offeredVersions.map(String);
  const fields = [
    field(rng, ['1'], ['0', '2', '01', '+1', '-1', ' 1', '1 ', '', '99999999999999999999', '1e0', '１']),
    field(rng, offered, ['0', '-1', '+2', '007', '', 'x', '9007199254740993', '2147483648', '3', '5']),
    field(rng, ['unix', 'tcp'], ['udp', 'UNIX', '', 'tcp4', 'unixgram']),
    field(
      rng,
      ['/tmp/plugin123', '127.0.0.1:1234', '[::1]:1234', ':1234', '/path/with space'],
      ['127.0.0.1', '127.0.0.1:', '127.0.0.1:65536', '::1:1234', 'a:b:c', '127.0.0.1:0x10', '[::1', ''],
    ),
    field(rng, ['grpc'], ['netrpc', 'GRPC', '', 'grpc ']),
    field(
      rng,
      [CERT, ''],
      [
        `${CERT}==`,
        CERT.slice(0, 51),
        CERT.slice(0, 50),
        `${CERT.slice(0, 40)}\r\n${CERT.slice(40)}`,
        `${CERT.slice(0, 40)}*${CERT.slice(41)}`,
        Buffer.from(rng.bytes(rng.range(38, 300)))
          .toString('base64')
          .replace(/=+$/, ''),
      ],
    ),
    field(rng, ['true'], ['false', '1', 't', 'T', 'TRUE', 'yes', '', 'true ']),
  ];
  const count = rng.pick([3, 4, 5, 6, 6, 6, 7, 7, 7, 8]);
  const line =
    fields.slice(0, count).join('|') + (count > fields.length ? '|extra'.repeat(count - fields.length) : '');
  const pad = (): string =>
    rng.chance(0.7) ? '' : rng.pick([' ', '\t', '\r', '\n', '\u00a0', '\ufeff', '\v', '\u2028', '\u0085']);
  return pad() + line + pad();
}

function expectations(rng: Rng): HandshakeExpectations {
  const offered = rng.chance(0.7) ? [1] : Array.from({ length: rng.range(1, 3) }, () => rng.range(0, 5));
  return {
    offeredVersions: offered,
    ...(rng.chance(0.2)
      ? { allowedProtocols: rng.pick([['grpc'], ['grpc', 'netrpc'], ['netrpc'], []]) }
      : {}),
    multiplexRequested: rng.chance(0.3),
    stdoutClosed: rng.chance(0.1),
  };
}

/** Structured (half the time as is), or a structured line mutated byte-wise. */
function generateLine(rng: Rng, expect: HandshakeExpectations): string {
  const base = structuredLine(rng, expect);
  return rng.chance(0.5) ? base : mutateText(rng, base, DICTIONARY);
}

describe('handshake fuzz', () => {
  it('parseHandshake: typed errors only, and accepted lines obey go-plugin’s rules', async (t) => {
    const stats = await runFuzz({
      name: 'handshake-parse',
      cases: fuzzCases(6000),
      generate(rng) {
        const expect = expectations(rng);
        return { line: generateLine(rng, expect), expect };
      },
      check: ({ line, expect }) => {
        let parsed: ParsedHandshake;
        try {
          parsed = parseHandshake(line, expect);
        } catch (err) {
          return expectCatalogError(err);
        }
        checkAccepted(line, expect, parsed);
        return 'accepted';
      },
    });
    t.diagnostic(describeStats('handshake-parse', stats));
    if (!replayingOneCase())
      assert.ok((stats.outcomes['accepted'] ?? 0) > 0, 'the generator never produced a valid line');
  });

  describe('the host reading a real process’s stdout', () => {
    let scratch: string;
    let server: Server;
    let port: number;
    before(async () => {
      scratch = mkdtempSync(join(tmpdir(), 'qp-hs-fuzz-'));
      mkdirSync(join(scratch, 'sockets'));
      // Accepted tcp handshakes point here: a listener that drops every connection.
      server = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      await new Promise((resolve) => server.close(resolve));
      rmSync(scratch, { recursive: true, force: true });
    });

    it('every start fails with a catalog error, and nothing is left behind', async (t) => {
      const marker = `qp-hs-fuzz-${process.pid}`;
      const socketDir = join(scratch, 'sockets');
      const fdsBefore = readdirSync('/proc/self/fd').length;
      const safeUnix = join(scratch, 'no-such.sock');
      const stats = await runFuzz({
        name: 'handshake-host',
        cases: fuzzCases(40),
        generate(rng, index) {
          const multiplex = rng.chance(0.3);
          const expect = { offeredVersions: [1], multiplexRequested: multiplex };
          let line = generateLine(rng, expect);
          // An accepted line makes the host connect: only to addresses this test owns (with
          // multiplexing too: the listener that closes connections is the kept regression below).
          try {
            const parsed = parseHandshake(line.split('\n')[0] ?? '', expect);
            const parts = parsed.line.split('|');
            parts[3] = parsed.network === 'tcp' ? `127.0.0.1:${port}` : safeUnix;
            line = parts.join('|');
          } catch {
            // rejected: the host will reject it too
          }
          const framing = rng.pick(['\n', '\r\n', '', '\n\n', '\nmore output\n']);
          let stdout = Buffer.from(line + framing);
          if (rng.chance(0.15)) stdout = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), stdout]);
          if (rng.chance(0.1)) stdout = Buffer.concat([Buffer.from('x'.repeat(70 * 1024)), stdout]);
          if (rng.chance(0.1)) stdout = Buffer.from(`\n${stdout.toString('latin1')}`, 'latin1');
          const file = join(scratch, `stdout-${index}`);
          writeFileSync(file, stdout);
          // Staying alive is only safe once a newline (or 64 KiB) has been printed; else the host waits.
          const stay = stdout.includes(0x0a) && rng.chance(0.5);
          return {
            file,
            stay,
            exitCode: rng.pick([0, 1, 2]),
            multiplex,
            autoMTLS: rng.chance(0.7),
            preview: stdout.subarray(0, 300).toString('latin1'),
          };
        },
        async check({ file, stay, exitCode, multiplex, autoMTLS }) {
          const client = new PluginClient({
            command: '/bin/sh',
            args: ['-c', `cat "$1"; ${stay ? 'exec sleep 30' : `exit ${exitCode}`}`, marker, file],
            handshake: { protocolVersion: 1, magicCookieKey: 'QP_FUZZ', magicCookieValue: 'fuzz' },
            autoMTLS,
            multiplex,
            startTimeoutMs: 10_000,
            unixSocket: { dir: socketDir },
            killGraceMs: 0,
          });
          try {
            await client.start();
          } catch (err) {
            return expectCatalogError(err);
          } finally {
            await client.kill();
          }
          throw new Error('the host started a plugin that cannot be connected to');
        },
        show: (input) => JSON.stringify(input),
      });
      t.diagnostic(describeStats('handshake-host', stats));
      await expectNoProcesses(marker);
      assert.deepEqual(readdirSync(socketDir), [], 'socket directories left behind');
      // Sockets close asynchronously: wait briefly for the count to come back.
      await waitUntil(
        () => readdirSync('/proc/self/fd').length <= fdsBefore,
        3000,
        'file descriptors to close',
      );
    });
  });

  describe('kept regressions', () => {
    // Found by the host fuzz above (seed 455014107 with FUZZ_SCALE=4) on the grpc-js host: a
    // multiplexed dial went through a local proxy socket whose yamux stream open threw on a
    // closed session (unhandled rejection, start waited its whole timeout, sockets leaked).
    // Multiplexed dials now open yamux streams directly.
    it('a plugin that announces multiplexing and drops the connection: prompt catalog error, nothing left', async () => {
      const ran = spawnSync(process.execPath, [MUX_CLOSED], { encoding: 'utf8', timeout: 20_000 });
      const result = JSON.parse(ran.stdout) as {
        code: string;
        ms: number;
        startTimeoutMs: number;
        unhandled: string[];
        left: string[];
      };
      assert.ok(result.code in ErrorCodes, `start() ended with ${result.code}`);
      assert.deepEqual(result.unhandled, [], 'unhandled rejections (they crash a host process)');
      assert.ok(result.ms < result.startTimeoutMs / 2, `start() took ${result.ms} ms to fail`);
      assert.deepEqual(result.left, [], 'handles left open (they keep the host process alive)');
    });
  });
});
