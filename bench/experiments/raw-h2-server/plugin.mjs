// Spike (not part of `npm run bench`, not a product): the Quorum hello world
// plugin served by a minimal gRPC server framed by hand on the TLS socket,
// reusing protocol/h2's frame and HPACK code, to measure what a plugin-side
// server of our own could gain over node:http2 (bench/findings.md §21).
// It serves only unary methods (Health.Check, Init, Greeting, Shutdown),
// answers every other method Unimplemented (the Go host then runs without
// stdio and broker, as with go-plugin 1.0 plugins) and keeps no per-stream
// flow control beyond what small messages need.
//   bench/experiments/raw-h2-server/ab.sh <node> [rounds]   (the A/B of §21)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:tls';

import { formatHandshake, generateCertificate, mtlsServerOptions } from '@qplugin/go-plugin/internal';
// protocol/h2 is not exported from the package: the compiled files, from a built checkout.
import {
  encodeFrame,
  encodeSettings,
  Flag,
  FrameType,
  readFrameHeader,
  Setting,
} from '../../../packages/go-plugin/dist/src/protocol/h2/frames.js';
import { encodeHeaderBlock, HpackDecoder } from '../../../packages/go-plugin/dist/src/protocol/h2/index.js';

const COOKIE_KEY = 'QUORUM_PLUGIN_MAGIC_COOKIE';
if (!process.env[COOKIE_KEY]) {
  console.error('This binary is a plugin.');
  process.exit(1);
}
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const WINDOW = 8 * 1024 * 1024;
const RESPONSE_HEADERS = encodeHeaderBlock([
  [':status', '200'],
  ['content-type', 'application/grpc'],
]);
const OK_TRAILERS = encodeHeaderBlock([['grpc-status', '0']]);
const UNIMPLEMENTED = encodeHeaderBlock([
  [':status', '200'],
  ['content-type', 'application/grpc'],
  ['grpc-status', '12'],
  ['grpc-message', 'unknown method'],
]);

function grpcFrame(body) {
  const b = Buffer.allocUnsafe(5 + body.length);
  b[0] = 0;
  b.writeUInt32BE(body.length, 1);
  body.copy(b, 5);
  return b;
}
/** protobuf field 1 (string/bytes) of a small message. */
function field1(msg) {
  if (msg.length < 2 || msg[0] !== 0x0a) return Buffer.alloc(0);
  let len = 0;
  let shift = 0;
  let i = 1;
  for (;;) {
    const b = msg[i++];
    len |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return msg.subarray(i, i + len);
}
function string1(s) {
  const v = Buffer.from(s);
  const out = [0x0a];
  let n = v.length;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.concat([Buffer.from(out), v]);
}

let language = 'en';
const GREETINGS = { en: 'Hello', es: 'Hola' };
const handlers = {
  '/grpc.health.v1.Health/Check': () => Buffer.from([0x08, 0x01]),
  '/proto_common.PluginInitializer/Init': (req) => {
    const cfg = JSON.parse(field1(req).toString() || '{}');
    if (cfg.language) language = cfg.language;
    return Buffer.alloc(0);
  },
  '/proto.PluginGreeting/Greeting': (req) =>
    string1(`${GREETINGS[language] ?? 'Hello'} ${field1(req).toString()}!`),
  '/plugin.GRPCController/Shutdown': () => {
    setImmediate(() => {
      rmSync(socketDir, { recursive: true, force: true });
      process.exit(0);
    });
    return Buffer.alloc(0);
  },
};

function serveConnection(socket) {
  const decoder = new HpackDecoder(4096, 64 * 1024);
  /** id → { path, chunks } */
  const streams = new Map();
  let rest = null;
  let preface = false;
  let sendWindow = 65_535;
  let recvUnacked = 0;
  const blocked = [];
  let out = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (out.length) socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
    out = [];
  };
  const queue = (b) => {
    out.push(b);
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
  const respond = (id, body) => {
    const data = grpcFrame(body);
    if (data.length > sendWindow) {
      blocked.push([id, body]);
      return;
    }
    sendWindow -= data.length;
    queue(
      Buffer.concat([
        encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, id, RESPONSE_HEADERS),
        encodeFrame(FrameType.DATA, 0, id, data),
        encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, OK_TRAILERS),
      ]),
    );
  };
  const finish = (id, s) => {
    streams.delete(id);
    const h = handlers[s.path];
    if (!h) {
      queue(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, UNIMPLEMENTED));
      return;
    }
    const body = Buffer.concat(s.chunks);
    respond(id, h(body.subarray(5)));
  };
  queue(
    Buffer.concat([
      encodeFrame(
        FrameType.SETTINGS,
        0,
        0,
        encodeSettings([
          [Setting.MAX_CONCURRENT_STREAMS, 1000],
          [Setting.INITIAL_WINDOW_SIZE, WINDOW],
        ]),
      ),
      encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, u32(WINDOW - 65_535)),
    ]),
  );
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    let buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = null;
    let p = 0;
    if (!preface) {
      if (buf.length < PREFACE.length) {
        rest = buf;
        return;
      }
      p = PREFACE.length;
      preface = true;
    }
    while (buf.length - p >= 9) {
      const h = readFrameHeader(buf, p);
      if (buf.length - p - 9 < h.length) break;
      const a = p + 9;
      const b = a + h.length;
      switch (h.type) {
        case FrameType.HEADERS: {
          const fields = decoder.decode(buf.subarray(a, b)); // the spike never gets padding or CONTINUATION from grpc-go
          let path = '';
          for (let i = 0; i < fields.length; i += 2) if (fields[i] === ':path') path = fields[i + 1];
          const s = { path, chunks: [] };
          streams.set(h.streamId, s);
          if (h.flags & Flag.END_STREAM) finish(h.streamId, s);
          break;
        }
        case FrameType.DATA: {
          const s = streams.get(h.streamId);
          recvUnacked += h.length;
          if (s) {
            s.chunks.push(Buffer.from(buf.subarray(a, b)));
            if (h.flags & Flag.END_STREAM) finish(h.streamId, s);
          }
          if (recvUnacked >= WINDOW / 2) {
            queue(encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, u32(recvUnacked)));
            recvUnacked = 0;
          }
          break;
        }
        case FrameType.SETTINGS:
          if (!(h.flags & Flag.ACK)) queue(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0, Buffer.alloc(0)));
          break;
        case FrameType.PING:
          if (!(h.flags & Flag.ACK)) queue(encodeFrame(FrameType.PING, Flag.ACK, 0, buf.subarray(a, b)));
          break;
        case FrameType.WINDOW_UPDATE:
          if (h.streamId === 0) {
            sendWindow += buf.readUInt32BE(a) & 0x7fffffff;
            while (blocked.length && blocked[0] && grpcFrame(blocked[0][1]).length <= sendWindow) {
              const [id, body] = blocked.shift();
              respond(id, body);
            }
          }
          break;
        case FrameType.RST_STREAM:
          streams.delete(h.streamId);
          break;
        default:
      }
      p = b;
    }
    if (p < buf.length) rest = buf.subarray(p);
  });
}

function u32(v) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

const cert = await generateCertificate();
const tlsOptions = mtlsServerOptions(
  { pem: cert.pem, privateKeyPem: cert.privateKeyPem },
  process.env.PLUGIN_CLIENT_CERT,
);
const server = createServer(tlsOptions, serveConnection);
const socketDir = mkdtempSync(join(process.env.PLUGIN_UNIX_SOCKET_DIR || tmpdir(), 'qp-spike-'));
const path = join(socketDir, 'plugin.sock');
server.listen(path, () => {
  process.stdout.write(
    `${formatHandshake({ appVersion: 1, network: 'unix', address: path, protocol: 'grpc', certificate: cert.der })}\n`,
  );
});
