/**
 * How our end of an HTTP/2 connection says goodbye, seen by a scripted peer on
 * a real TCP socket: close() tells the peer (GOAWAY NO_ERROR, then FIN);
 * abandon(), for a peer known to be gone (a plugin whose process exited),
 * writes nothing more. Either way the calls in flight fail UNAVAILABLE.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Status } from '../../../src/protocol/grpc/status.js';
import { H2Code, H2Error } from '../../../src/protocol/h2/errors.js';
import { Flag, FrameType } from '../../../src/protocol/h2/frames.js';
import { UnaryMethod } from '../../../src/protocol/h2/request-head.js';
import { unaryCall } from '../../../src/protocol/h2/unary.js';
import { RawPeer } from '../../support/h2-peer.js';
import { rejection } from '../../support/rejection.js';

const METHOD = new UnaryMethod('/t.S/M');

describe('h2 connection: our end of it', () => {
  it('close() sends GOAWAY NO_ERROR before closing; the call in flight fails UNAVAILABLE', async () => {
    const peer = await RawPeer.start();
    const call = unaryCall(peer.conn, METHOD, Buffer.from('ping'));
    await peer.frameOf(FrameType.HEADERS, 1);
    peer.conn.close();
    const err = await rejection(call);
    assert.equal(err.code, Status.UNAVAILABLE);
    const goaway = await peer.frameOf(FrameType.GOAWAY);
    assert.equal(goaway.payload.readUInt32BE(0), 0, 'last stream id: a client takes no pushed streams');
    assert.equal(goaway.payload.readUInt32BE(4), H2Code.NO_ERROR);
    await peer.closed();
    await peer.stop();
  });

  it('abandon() closes without another frame; calls fail UNAVAILABLE and new ones at once', async () => {
    const peer = await RawPeer.start();
    const call = unaryCall(peer.conn, METHOD, Buffer.from('ping'));
    await peer.frameOf(FrameType.HEADERS, 1);
    // Our ACK of the peer's SETTINGS is the last frame the exchange calls for.
    await peer.frame((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0);
    const before = peer.frames.length;
    peer.conn.abandon();
    const err = await rejection(call);
    assert.equal(err.code, Status.UNAVAILABLE);
    assert.ok(err.cause instanceof H2Error);
    assert.equal(err.cause.code, 'CONNECTION_LOST');
    await peer.closed();
    assert.deepEqual(
      peer.frames.slice(before).map((f) => f.type),
      [],
      'frames written after abandon()',
    );
    const after = await rejection(unaryCall(peer.conn, METHOD, Buffer.from('x')));
    assert.equal(after.code, Status.UNAVAILABLE);
    peer.conn.abandon(); // idempotent
    await peer.stop();
  });
});
