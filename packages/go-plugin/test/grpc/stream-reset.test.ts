/**
 * Cancelling a call whose request stream is still open: RST_STREAM CANCEL is
 * the whole message. A server must not read the reset as the client
 * half-closing (a truncated upload would look complete), and a client must
 * not half-close before resetting. Each side is checked against a raw
 * node:http2 peer; Go peers are in interop/ts/test/grpc-wire-*.test.ts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { addAbortSignal } from 'node:stream';
import { after, before, describe, it } from 'node:test';

import { encodeFrame } from '../../src/protocol/grpc/framing.js';
import { GrpcServer } from '../../src/protocol/grpc/server.js';

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('our server, when a client resets a request stream', () => {
  let server: GrpcServer;
  let session: ClientHttp2Session;
  /** How each upload's request stream ended for the handler, by its first message. */
  const uploads = new Map<string, { messages: number; outcome?: string }>();

  before(async () => {
    server = new GrpcServer();
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
    server.http2.listen(0, '127.0.0.1');
    await once(server.http2, 'listening');
    const { port } = server.http2.address() as AddressInfo;
    session = connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
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
