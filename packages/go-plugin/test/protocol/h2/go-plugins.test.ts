/**
 * protocol/h2 against real grpc-go servers: the interop plugins of
 * interop/go built with go-plugin v1.0.1 (grpc-go 1.27), v1.2.2 (1.56) and
 * v1.8.0 (1.61), started by our PluginClient, called over mTLS on their unix
 * socket. Every status code, trailers-only, details, metadata, size limits
 * both ways, deadline and cancel as the handler sees them, 1,000 concurrent
 * calls, and the plugin killed mid-call.
 *
 * Without a Go toolchain these skip with the reason, unless REQUIRE_INTEROP=1.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { PluginClient } from '../../../src/host/client.js';
import { Metadata } from '../../../src/protocol/grpc/metadata.js';
import { Status } from '../../../src/protocol/grpc/status.js';
import { connectTls } from '../../../src/protocol/h2/connect.js';
import type { H2Connection } from '../../../src/protocol/h2/connection.js';
import { H2Error } from '../../../src/protocol/h2/errors.js';
import { UnaryMethod } from '../../../src/protocol/h2/request-head.js';
import { unaryCall } from '../../../src/protocol/h2/unary.js';
import type { UnaryOptions } from '../../../src/protocol/h2/unary.js';
import { rejection } from '../../support/rejection.js';

const GO_DIR = fileURLToPath(new URL('../../../../../../interop/go/', import.meta.url));
const VERSIONS = ['v1.0.1', 'v1.2.2', 'v1.8.0'] as const;
// GoQuorum's handshake, which every interop/go peer uses.
const HANDSHAKE = {
  protocolVersion: 1,
  magicCookieKey: 'QUORUM_PLUGIN_MAGIC_COOKIE',
  magicCookieValue:
    'CB9F51969613126D93468868990F77A8470EB9177503C5A38D437FEFF7786E0941152E05C06A9A3313391059132A7F9CED86C0783FE63A8B38F01623C8257664',
};

function skipReason(): string | false {
  if (spawnSync('go', ['version']).status === 0) return false;
  const why = 'the Go toolchain (`go`) is not on PATH';
  if (process.env.REQUIRE_INTEROP === '1') throw new Error(`REQUIRE_INTEROP=1 but ${why}`);
  return `skipped: ${why} (set REQUIRE_INTEROP=1 to make this a failure)`;
}
const skip = skipReason();

// Just enough protobuf for qplugin.interop.ProbeRequest / ProbeReply / Observe*.
type Field = [number, number | boolean | string | Buffer];
function pb(fields: Field[]): Buffer {
  const out: number[] = [];
  const varint = (v: number): void => {
    while (v >= 128) {
      out.push((v % 128) | 128);
      v = Math.floor(v / 128);
    }
    out.push(v);
  };
  for (const [no, v] of fields) {
    if (typeof v === 'number' || typeof v === 'boolean') {
      varint(no << 3);
      varint(Number(v));
    } else {
      const bytes = typeof v === 'string' ? Buffer.from(v) : v;
      varint((no << 3) | 2);
      varint(bytes.length);
      for (const b of bytes) out.push(b);
    }
  }
  return Buffer.from(out);
}
function unpb(buf: Buffer): Map<number, (number | Buffer)[]> {
  const fields = new Map<number, (number | Buffer)[]>();
  let p = 0;
  const varint = (): number => {
    let v = 0;
    for (let m = 1; ; m *= 128) {
      const b = buf[p++]!;
      v += (b & 127) * m;
      if (!(b & 128)) return v;
    }
  };
  while (p < buf.length) {
    const tag = varint();
    let v: number | Buffer;
    if ((tag & 7) === 0) v = varint();
    else {
      const n = varint();
      v = buf.subarray(p, p + n);
      p += n;
    }
    const list = fields.get(tag >>> 3) ?? [];
    list.push(v);
    fields.set(tag >>> 3, list);
  }
  return fields;
}
const bytesOf = (m: Map<number, (number | Buffer)[]>, no: number): Buffer =>
  (m.get(no)?.[0] as Buffer) ?? Buffer.alloc(0);

const UNARY = new UnaryMethod('/qplugin.interop.Probe/Unary');
const OBSERVE = new UnaryMethod('/qplugin.interop.Probe/Observe');

function derToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

for (const version of VERSIONS) {
  describe(`h2 client → Go plugin ${version}`, { skip }, () => {
    let dir = '';
    let client: PluginClient;
    let conn: H2Connection;
    const probe = (fields: Field[], options?: UnaryOptions): Promise<Map<number, (number | Buffer)[]>> =>
      unaryCall(conn, UNARY, pb(fields), options).then((r) => unpb(r.message));
    const observe = async (tag: string): Promise<{ ended: string; deadlineMs: number }> => {
      const r = unpb(
        (
          await unaryCall(
            conn,
            OBSERVE,
            pb([
              [1, tag],
              [2, 'ended'],
            ]),
            { deadline: Date.now() + 30_000 },
          )
        ).message,
      );
      return { ended: bytesOf(r, 2).toString(), deadlineMs: Number(r.get(3)?.[0] ?? -1) };
    };

    before(async () => {
      execFileSync('bash', [join(GO_DIR, 'build.sh'), version], { stdio: ['ignore', 'inherit', 'inherit'] });
      const plugin = join(GO_DIR, 'bin', version, 'plugin');
      assert.ok(existsSync(plugin), `build.sh did not produce ${plugin}`);
      dir = mkdtempSync(join(tmpdir(), 'qp-h2-go-'));
      client = new PluginClient({
        command: plugin,
        handshake: HANDSHAKE,
        env: { TMPDIR: dir },
        unixSocket: { dir },
      });
      await client.start();
      const rc = client.reattachConfig();
      assert.ok(rc.tls, 'the plugin runs with AutoMTLS');
      const der = Buffer.from(rc.tls.pluginCertDer);
      conn = await connectTls({
        path: rc.addr.address,
        ca: derToPem(der),
        cert: rc.tls.hostCertPem,
        key: rc.tls.hostKeyPem,
        servername: 'localhost',
        checkServerIdentity: (_host, cert) =>
          cert.raw.equals(der) ? undefined : new Error('the plugin presented another certificate'),
      });
    });

    after(async () => {
      conn?.close();
      await client?.kill();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('a call succeeds', async () => {
      const r = await probe([[7, 3]]);
      assert.equal(bytesOf(r, 2).length, 3);
    });

    it('an unknown method -> UNIMPLEMENTED, from a trailers-only response', async () => {
      const before = conn.framesIn[0]!;
      const err = await rejection(
        unaryCall(conn, new UnaryMethod('/qplugin.interop.Probe/Nope'), Buffer.alloc(0)),
      );
      assert.equal(err.code, Status.UNIMPLEMENTED);
      assert.match(err.details, /unknown method Nope/);
      assert.equal(conn.framesIn[0], before, 'a DATA frame came: not trailers-only');
    });

    it('every status code 1..16: percent-decoded UTF-8 message, trailers, details', async () => {
      for (let code = 1; code <= 16; code++) {
        const message = `status ${code}: ünïcode % 100\n`;
        const err = await rejection(
          probe([
            [2, code],
            [3, message],
            [4, 'why'],
            [5, 'tv1'],
            [5, 'tv2'],
          ]),
        );
        assert.equal(Status[err.code], Status[code]);
        assert.equal(err.details, message);
        assert.deepEqual(err.metadata.get('x-probe-trailer'), ['tv1', 'tv2']);
        // A google.rpc.Status: code (field 1), message (2), details Any (3) holding "why".
        const st = unpb(Buffer.from(err.statusDetails!));
        assert.equal(st.get(1)?.[0], code);
        assert.equal(bytesOf(st, 2).toString(), message);
        assert.ok(bytesOf(st, 3).includes('why'));
      }
    });

    it('request metadata reaches the handler, repeated values in order', async () => {
      const md = new Metadata();
      md.add('x-echo', 'v1');
      md.add('x-echo', 'v2');
      const r = await probe([[9, 'x-echo']], { metadata: md });
      assert.deepEqual(
        r.get(3)?.map((b) => (b as Buffer).toString()),
        ['v1', 'v2'],
      );
    });

    it('responses of 1 MiB and 4 MiB - 16; 5 MiB -> RESOURCE_EXHAUSTED and the connection still serves', async () => {
      assert.equal(bytesOf(await probe([[7, 1 << 20]]), 2).length, 1 << 20);
      assert.equal(bytesOf(await probe([[7, (4 << 20) - 16]]), 2).length, (4 << 20) - 16);
      const err = await rejection(probe([[7, 5 << 20]]));
      assert.equal(err.code, Status.RESOURCE_EXHAUSTED);
      assert.match(err.details, /received message larger than max \(\d+ vs\. 4194304\)/);
      assert.equal(bytesOf(await probe([[7, 1]]), 2).length, 1);
    });

    it("requests of 1 MiB and 3 MiB (the server's windows); 5 MiB -> the server's RESOURCE_EXHAUSTED", async () => {
      for (const n of [1 << 20, 3 << 20]) {
        const r = await probe([
          [10, Buffer.alloc(n, 7)],
          [7, 3],
        ]);
        assert.equal(bytesOf(r, 2).length, 3);
      }
      const err = await rejection(probe([[10, Buffer.alloc(5 << 20, 7)]]));
      assert.equal(err.code, Status.RESOURCE_EXHAUSTED);
      assert.match(err.details, /larger than max/);
      assert.equal(bytesOf(await probe([[7, 1]]), 2).length, 1);
    });

    it('a deadline: DEADLINE_EXCEEDED here; the handler got grpc-timeout and its context ended', async () => {
      const err = await rejection(
        probe(
          [
            [1, 'dl'],
            [8, true],
          ],
          { deadline: Date.now() + 300 },
        ),
      );
      assert.equal(err.code, Status.DEADLINE_EXCEEDED);
      const o = await observe('dl');
      // Our RST_STREAM and the server's own timer race; either ends the handler.
      assert.ok(o.ended === 'deadline' || o.ended === 'canceled', `the handler ended by "${o.ended}"`);
      assert.ok(o.deadlineMs > 0 && o.deadlineMs <= 300, `the handler's deadline: ${o.deadlineMs} ms`);
    });

    it('an AbortSignal: CANCELLED here; the handler saw the cancel', async () => {
      const ac = new AbortController();
      const call = probe(
        [
          [1, 'cx'],
          [8, true],
        ],
        { signal: ac.signal },
      );
      await unaryCall(
        conn,
        OBSERVE,
        pb([
          [1, 'cx'],
          [2, 'started'],
        ]),
      );
      ac.abort();
      assert.equal((await rejection(call)).code, Status.CANCELLED);
      assert.equal((await observe('cx')).ended, 'canceled');
    });

    it('1,000 concurrent calls, each answered with its own reply', async () => {
      const replies = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => {
          const md = new Metadata();
          md.set('x-n', `n${i}`);
          return probe([[9, 'x-n']], { metadata: md, deadline: Date.now() + 60_000 });
        }),
      );
      replies.forEach((r, i) => assert.equal(bytesOf(r, 3).toString(), `n${i}`));
      assert.equal(conn.activeStreams, 0);
    });

    it('the plugin killed with a call in flight -> UNAVAILABLE, and later calls too', async () => {
      const held = rejection(
        probe([
          [1, 'kill'],
          [8, true],
        ]),
      );
      await unaryCall(
        conn,
        OBSERVE,
        pb([
          [1, 'kill'],
          [2, 'started'],
        ]),
      );
      await client.kill();
      const err = await held;
      assert.equal(err.code, Status.UNAVAILABLE);
      assert.ok(err.cause instanceof H2Error);
      assert.equal(err.cause.code, 'CONNECTION_LOST');
      const later = await rejection(probe([[7, 1]]));
      assert.equal(later.code, Status.UNAVAILABLE);
    });
  });
}
