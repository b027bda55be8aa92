// The frames grpc-go never sent in check.mjs, from a node:http2 (nghttp2)
// server over plain TCP on 127.0.0.1: padded DATA and HEADERS, a trailer
// block split into CONTINUATION frames, nghttp2's HPACK encoder (Huffman,
// dynamic table), MAX_CONCURRENT_STREAMS, a tiny peer window (send-side flow
// control), RST_STREAM and GOAWAY.
//   node bench/experiments/raw-h2/check-nghttp2.mjs
import http2 from 'node:http2';
import net from 'node:net';

import { Code, Method, RawH2Connection, RpcError } from './client.mjs';

const { PADDING_STRATEGY_MAX } = http2.constants;
let failed = 0;
async function check(name, fn) {
  try {
    const note = await fn();
    console.log(`ok    ${name}${note ? `: ${note}` : ''}`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${name}: ${err?.stack ?? err}`);
  }
}
function assert(cond, what) {
  if (!cond) throw new Error(what);
}
async function expectError(p, code) {
  try {
    await p;
  } catch (err) {
    assert(err instanceof RpcError, `not an RpcError: ${err}`);
    assert(err.code === code, `code ${err.code} (${err.details}), want ${code}`);
    return err;
  }
  throw new Error(`succeeded, want code ${code}`);
}
const grpcFrame = (b) => {
  const f = Buffer.alloc(5 + b.length);
  f.writeUInt32BE(b.length, 1);
  b.copy(f, 5);
  return f;
};

/** A gRPC-ish echo server: replies with the request message; the path picks the behaviour. */
async function server(settings, onSession) {
  const srv = http2.createServer({ paddingStrategy: PADDING_STRATEGY_MAX, settings });
  srv.on('session', (s) => onSession?.(s));
  srv.on('stream', (stream, headers) => {
    const path = headers[':path'];
    const chunks = [];
    stream.on('error', () => {}); // our resets
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      if (path === '/t/hold') return; // never answers
      if (path === '/t/rst') return stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => {
        const t = { 'grpc-status': '0', 'x-size': String(body.length) };
        // A 40 KB trailer: more than one 16 KB frame, so HEADERS + CONTINUATION.
        if (path === '/t/big-trailer') t['x-big'] = 'v'.repeat(40_000);
        stream.sendTrailers(t);
      });
      stream.end(body.length > 5 ? body : grpcFrame(Buffer.from('pong')));
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const socket = net.connect(srv.address().port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  return { srv, conn: new RawH2Connection(socket, {}) };
}
const m = (p) => new Method(p, 'localhost', 'http');

{
  const sessions = [];
  const { srv, conn } = await server({}, (s) => sessions.push(s));
  await check('padded DATA/HEADERS, CONTINUATION trailers, nghttp2 HPACK', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await conn.unary(m('/t/big-trailer'), Buffer.from('ping'));
      assert(r.toString() === 'ping', `reply ${r}`);
    }
    const r = await conn.unary(m('/t/echo'), Buffer.alloc(100_000, 1));
    assert(r.length === 100_000, 'echo size');
    assert(conn.framesIn[9] > 0, 'no CONTINUATION frame was received');
    assert(conn.paddedIn > 0, 'no padded frame was received');
    return `CONTINUATION frames ${conn.framesIn[9]}, padded frames ${conn.paddedIn}, decoder table ${conn.decoder.entries.length} entries`;
  });
  await check('RST_STREAM REFUSED_STREAM -> UNAVAILABLE', async () => {
    await expectError(conn.unary(m('/t/rst'), Buffer.from('x')), Code.UNAVAILABLE);
  });
  await check('GOAWAY: calls above last-stream-id fail UNAVAILABLE, new calls too', async () => {
    const held = [1, 2, 3].map(() =>
      expectError(conn.unary(m('/t/hold'), Buffer.from('x')), Code.UNAVAILABLE),
    );
    await new Promise((r) => setTimeout(r, 50));
    // GOAWAY naming a last stream below the held ones: all three were "not processed".
    sessions[0].goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
    const errs = await Promise.all(held);
    await expectError(conn.unary(m('/t/echo'), Buffer.from('x')), Code.UNAVAILABLE);
    return errs[0].details;
  });
  srv.close();
}

{
  const { srv, conn } = await server({ maxConcurrentStreams: 2, initialWindowSize: 100 });
  await check('MAX_CONCURRENT_STREAMS 2 and a 100-byte peer window: 200 calls of 10 KB', async () => {
    await new Promise((r) => setTimeout(r, 20)); // the server's SETTINGS arrive
    const rs = await Promise.all(
      Array.from({ length: 200 }, (_, i) => conn.unary(m('/t/echo'), Buffer.alloc(10_000, i & 255))),
    );
    assert(
      rs.every((r, i) => r.length === 10_000 && r[0] === (i & 255)),
      'replies',
    );
    return `peer max streams ${conn.peerMaxStreams}, WINDOW_UPDATEs received ${conn.framesIn[8]}`;
  });
  conn.close();
  srv.close();
}
console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
process.exit(failed ? 1 : 0);
