/**
 * Cancelling a call whose request stream is still open: RST_STREAM CANCEL is
 * the whole message. A server must not read the reset as the client
 * half-closing (a truncated upload would look complete), and a client must
 * not half-close before resetting. Each side is checked against a raw
 * node:http2 peer; Go peers are in interop/ts/test/grpc-wire-*.test.ts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http2';
import type { ClientHttp2Session, Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { addAbortSignal } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import { dialChannel } from '../../src/protocol/dial.js';
import { ClientCall } from '../../src/protocol/grpc/call.js';
import type { CallStatus, ClientCallOptions } from '../../src/protocol/grpc/call.js';
import { encodeFrame } from '../../src/protocol/grpc/framing.js';
import { GrpcServer } from '../../src/protocol/grpc/server.js';
import { Status } from '../../src/protocol/grpc/status.js';
import { localSession } from '../support/local-session.js';

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

for (const transport of ['h2', 'node-http2'] as const) {
  describe(`our server, when a client resets a request stream (${transport} server)`, () => {
    let server: GrpcServer;
    let session: ClientHttp2Session;
    /** How each upload's request stream ended for the handler, by its first message. */
    const uploads = new Map<string, { messages: number; outcome?: string }>();

    before(async () => {
      server = new GrpcServer({ transport });
      server.register('/t.T/Upload', 'client_streaming', (c) => {
        let tag = '';
        void (async () => {
          for await (const m of c.readStream()) {
            if (!tag) uploads.set((tag = m.toString()), { messages: 0 });
            uploads.get(tag)!.messages++;
          }
          uploads.get(tag)!.outcome = 'complete';
          c.sendUnary(Buffer.from('stored'));
        })().catch(() => (uploads.get(tag)!.outcome = `broken (${(c.signal.reason as Error).message})`));
      });
      session = await localSession(server);
    });
    after(async () => {
      session.destroy();
      await server.stop(0);
    });

    it('cancels the call: the handler sees the stream break, not complete', async () => {
      const s = session.request({
        ':method': 'POST',
        ':path': '/t.T/Upload',
        'content-type': 'application/grpc',
      });
      s.on('error', () => {});
      s.write(encodeFrame(Buffer.from('reset-upload')));
      await waitFor(() => uploads.get('reset-upload')?.messages === 1);
      // RST_STREAM CANCEL with no END_STREAM before it, as grpc-go clients cancel.
      addAbortSignal(AbortSignal.abort(), s);
      await waitFor(() => uploads.get('reset-upload')?.outcome !== undefined);
      assert.equal(uploads.get('reset-upload')!.outcome, 'broken (call cancelled by the client)');
    });

    it('still completes an upload the client half-closes', async () => {
      const s = session.request({
        ':method': 'POST',
        ':path': '/t.T/Upload',
        'content-type': 'application/grpc',
      });
      s.on('error', () => {});
      s.resume();
      s.write(encodeFrame(Buffer.from('whole-upload')));
      s.end(encodeFrame(Buffer.from('more')));
      await once(s, 'close');
      assert.deepEqual(uploads.get('whole-upload'), { messages: 2, outcome: 'complete' });
    });
  });
}

describe('our client, when it cancels a call whose request stream is open', () => {
  let raw: Http2Server;
  let port: number;
  /** What a raw server saw on each stream, in order, by path. */
  const events = new Map<string, string[]>();

  before(async () => {
    raw = createServer();
    raw.on('stream', (stream, headers) => {
      const seen: string[] = [];
      events.set(String(headers[':path']), seen);
      stream.on('error', () => {});
      stream.on('data', () => seen.push('data'));
      stream.on('aborted', () => seen.push('reset'));
      // After a reset Node ends the readable side too; only an 'end' before it is END_STREAM.
      stream.on('end', () => seen.push(stream.aborted ? 'end (reset)' : 'END_STREAM'));
      stream.on('close', () => seen.push(`close ${stream.rstCode}`));
    });
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    port = (raw.address() as AddressInfo).port;
  });
  after(() => raw.close());

  /** Starts a streaming call to the raw server, sends one message, and ends it by `stop`. */
  async function cancelled(
    path: string,
    options: Partial<ClientCallOptions>,
    stop: (c: ClientCall) => void,
  ): Promise<CallStatus> {
    const channel = dialChannel({ network: 'tcp', address: `127.0.0.1:${port}` }, undefined);
    try {
      return await new Promise<CallStatus>((resolve) => {
        const c = new ClientCall(
          channel,
          { path, singleResponse: true, ...options },
          { onMessage: () => {}, onStatus: resolve },
        );
        c.start();
        c.write(Buffer.from('part 1'));
        stop(c);
      });
    } finally {
      await waitFor(() => events.get(path)?.some((e) => e.startsWith('close')) === true);
      channel.close();
    }
  }

  it('sends RST_STREAM CANCEL alone on cancel()', async () => {
    const status = await cancelled('/cancel', {}, (c) => {
      void waitFor(() => events.get('/cancel')?.includes('data') === true).then(() => c.cancel('stop'));
    });
    assert.deepEqual([status.code, status.message], [Status.CANCELLED, 'stop']);
    assert.deepEqual(events.get('/cancel'), ['data', 'reset', 'end (reset)', 'close 8']);
  });

  it('sends RST_STREAM CANCEL alone at the deadline', async () => {
    const status = await cancelled('/deadline', { deadline: Date.now() + 200 }, () => {});
    assert.deepEqual([status.code, status.message], [Status.DEADLINE_EXCEEDED, 'context deadline exceeded']);
    assert.deepEqual(events.get('/deadline'), ['data', 'reset', 'end (reset)', 'close 8']);
  });

  it('sends no END_STREAM either when cancelled before the stream was open', async () => {
    const status = await cancelled('/early', {}, (c) => c.cancel('at once'));
    assert.equal(status.code, Status.CANCELLED);
    assert.ok(!events.get('/early')!.includes('END_STREAM'), JSON.stringify(events.get('/early')));
  });
});
