/**
 * Our client against a raw HTTP/2 server that breaks the gRPC protocol, and
 * our server against a raw HTTP/2 client that does: every failure is one
 * gRPC status, and neither side crashes or leaks the stream.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { constants, createServer } from 'node:http2';
import type {
  ClientHttp2Session,
  Http2Server,
  IncomingHttpHeaders,
  OutgoingHttpHeaders,
  ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { dialChannel } from '../../src/protocol/dial.js';
import { ClientCall } from '../../src/protocol/grpc/call.js';
import type { CallStatus } from '../../src/protocol/grpc/call.js';
import type { Channel, Transport } from '../../src/protocol/grpc/channel.js';
import { encodeFrame } from '../../src/protocol/grpc/framing.js';
import { GrpcServer } from '../../src/protocol/grpc/server.js';
import { Status } from '../../src/protocol/grpc/status.js';
import { localSession } from '../support/local-session.js';

type Behaviour = (stream: ServerHttp2Stream) => void;
const grpcHeaders = { ':status': 200, 'content-type': 'application/grpc' };

const behaviours: Record<string, Behaviour> = {
  http503: (s) => s.respond({ ':status': 503 }, { endStream: true }),
  html: (s) => {
    s.respond({ ':status': 200, 'content-type': 'text/html' });
    s.end('<html>not grpc</html>');
  },
  noTrailers: (s) => {
    s.respond(grpcHeaders);
    s.end(encodeFrame(Buffer.from('x')));
  },
  compressed: (s) => {
    s.respond(grpcHeaders, { waitForTrailers: true });
    s.once('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
    const frame = encodeFrame(Buffer.from('x'));
    frame[0] = 1;
    s.end(frame);
  },
  truncated: (s) => {
    s.respond(grpcHeaders, { waitForTrailers: true });
    s.once('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
    s.end(encodeFrame(Buffer.from('whole message')).subarray(0, 8));
  },
  badStatus: (s) => s.respond({ ...grpcHeaders, 'grpc-status': 'seven' }, { endStream: true }),
  refused: (s) => s.close(constants.NGHTTP2_REFUSED_STREAM),
  reset: (s) => s.close(constants.NGHTTP2_PROTOCOL_ERROR),
  cancel: (s) => s.close(constants.NGHTTP2_CANCEL),
  goaway: (s) => s.session?.goaway(constants.NGHTTP2_INTERNAL_ERROR),
  dropConnection: (s) => s.session?.destroy(),
};

let raw: Http2Server;
let port = 0;

function call(channel: Channel, path: string): Promise<{ messages: number; status: CallStatus }> {
  return new Promise((resolve) => {
    let messages = 0;
    const c = new ClientCall(
      channel,
      { path, singleResponse: true },
      { onMessage: () => messages++, onStatus: (status) => resolve({ messages, status }) },
    );
    c.write(Buffer.from('req'));
    c.end();
    c.start();
  });
}

before(async () => {
  raw = createServer();
  raw.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    behaviours[String(headers[':path']).slice(1)]!(stream);
  });
  raw.listen(0, '127.0.0.1');
  await once(raw, 'listening');
  port = (raw.address() as AddressInfo).port;
});
after(() => raw.close());

for (const transport of ['node-http2', 'h2'] as Transport[]) {
  describe(`our client (${transport}) against a server breaking the protocol`, () => {
    let channel: Channel;
    before(
      () =>
        (channel = dialChannel({ network: 'tcp', address: `127.0.0.1:${port}` }, undefined, { transport })),
    );
    after(() => channel.close());

    const expect: [string, Status, string | RegExp][] = [
      ['http503', Status.UNAVAILABLE, 'unexpected HTTP status code received from server: 503'],
      ['html', Status.UNKNOWN, 'unexpected content-type received from server: "text/html"'],
      ['noTrailers', Status.INTERNAL, 'server closed the stream without sending trailers'],
      [
        'compressed',
        Status.INTERNAL,
        'grpc: received a compressed message, but no compression was negotiated',
      ],
      ['truncated', Status.INTERNAL, 'grpc: the stream ended inside a message'],
      ['badStatus', Status.UNKNOWN, 'malformed grpc-status: "seven"'],
      ['refused', Status.UNAVAILABLE, 'stream terminated by RST_STREAM with error code: REFUSED_STREAM'],
      ['reset', Status.INTERNAL, 'stream terminated by RST_STREAM with error code: PROTOCOL_ERROR'],
      ['cancel', Status.CANCELLED, 'stream terminated by RST_STREAM with error code: CANCEL'],
      ['goaway', Status.UNAVAILABLE, /^connection closed/],
      ['dropConnection', Status.UNAVAILABLE, /^connection closed/],
    ];
    for (const [path, code, message] of expect) {
      it(`${path} → ${Status[code]}`, async () => {
        const { status } = await call(channel, `/${path}`);
        assert.equal(status.code, code, status.message);
        if (typeof message === 'string') assert.equal(status.message, message);
        else assert.match(status.message, message);
      });
    }

    it('still works after all of that (a new session replaces a dead one)', async () => {
      const { status } = await call(channel, '/http503');
      assert.equal(status.code, Status.UNAVAILABLE);
    });
  });
}

for (const transport of ['h2', 'node-http2'] as const) {
  describe(`our server against a client breaking the protocol (${transport} server)`, () => {
    let server: GrpcServer;
    let session: ClientHttp2Session;
    before(async () => {
      server = new GrpcServer({ maxReceiveMessageBytes: 100, transport });
      server.register('/t.T/Echo', 'unary', (c) => c.readAll((m) => c.sendUnary(m ?? Buffer.alloc(0))));
      session = await localSession(server);
    });
    after(async () => {
      session.destroy();
      await server.stop(0);
    });

    function send(headers: OutgoingHttpHeaders, body?: Buffer): Promise<IncomingHttpHeaders> {
      return new Promise((resolve) => {
        const s = session.request({
          ':method': 'POST',
          ':path': '/t.T/Echo',
          'content-type': 'application/grpc',
          ...headers,
        });
        let answer: IncomingHttpHeaders = {};
        s.on('response', (h) => (answer = { ...answer, ...h }));
        s.on('trailers', (h) => (answer = { ...answer, ...h }));
        s.on('error', () => {});
        s.resume();
        s.on('close', () => resolve(answer));
        s.end(body);
      });
    }

    const frame = (text: string, flag = 0): Buffer => {
      const f = encodeFrame(Buffer.from(text));
      f[0] = flag;
      return f;
    };

    it('answers 405 to a GET and 415 to a non-gRPC content type', async () => {
      assert.equal((await send({ ':method': 'GET' }))[':status'], 405);
      assert.equal((await send({ 'content-type': 'application/json' }, Buffer.from('{}')))[':status'], 415);
    });

    it('refuses a compressed message, an unknown grpc-encoding and a malformed grpc-timeout', async () => {
      const c = await send({}, frame('x', 1));
      assert.deepEqual(
        [c['grpc-status'], c['grpc-message']],
        ['13', 'grpc: received a compressed message, but no compression was negotiated'],
      );
      const gz = await send({ 'grpc-encoding': 'gzip' }, frame('x'));
      assert.deepEqual(
        [gz['grpc-status'], gz['grpc-message']],
        ['12', 'grpc: Decompressor is not installed for grpc-encoding "gzip"'],
      );
      const t = await send({ 'grpc-timeout': '1 hour' }, frame('x'));
      assert.deepEqual([t['grpc-status'], t['grpc-message']], ['13', 'malformed grpc-timeout: 1 hour']);
    });

    it('refuses an oversized request before reading it, and a truncated one', async () => {
      const big = await send({}, Buffer.concat([Buffer.from([0, 0, 0, 0, 101])]));
      assert.deepEqual(
        [big['grpc-status'], big['grpc-message']],
        ['8', 'grpc: received message larger than max (101 vs. 100)'],
      );
      const cut = await send({}, frame('whole message').subarray(0, 9));
      assert.deepEqual(
        [cut['grpc-status'], cut['grpc-message']],
        ['13', 'grpc: the stream ended inside a message'],
      );
    });

    it('keeps serving afterwards', async () => {
      const ok = await send({}, frame('fine'));
      assert.equal(ok['grpc-status'], '0');
    });
  });
}
