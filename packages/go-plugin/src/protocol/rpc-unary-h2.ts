/**
 * A typed unary call straight on a channel's h2 transport: a host's hot path.
 * ClientCall serves every call kind on both transports; through it a unary
 * call cost ~11 KB of garbage (bench/findings.md §27). Here one object holds
 * the call's state, and is also what the connection, the deadline timer and
 * the abort signal call back, so a call allocates no closures of its own.
 */
import type { DescMessage, Message } from '@bufbuild/protobuf';

import type { CallStatus } from './grpc/call.js';
import type { Channel, H2User } from './grpc/channel.js';
import { encodeFrame } from './grpc/framing.js';
import type { Metadata } from './grpc/metadata.js';
import { encodeTimeout } from './grpc/timeout.js';
import type { H2Connection } from './h2/connection.js';
import { H2Call } from './h2/call.js';
import type { H2CallListener } from './h2/call.js';
import type { UnaryMethod } from './h2/request-head.js';
import { Status } from './rpc-error.js';
import { settleSingle } from './rpc-outcome.js';
import type { CallEnd, ClientGuard } from './rpc-outcome.js';
import type { CallOptions } from './rpc-types.js';

const ONCE = { once: true } as const;

function expire(req: H2UnaryRequest): void {
  req.call.cancel(Status.DEADLINE_EXCEEDED, 'context deadline exceeded');
}

class H2UnaryRequest implements H2CallListener, H2User {
  readonly call: H2Call;
  private timer: NodeJS.Timeout | undefined;
  private timeout: string | undefined;
  private body: Buffer | undefined;
  private metadata: Metadata | undefined;
  private signal: AbortSignal | undefined;

  constructor(
    channel: Channel,
    private readonly method: UnaryMethod,
    private readonly output: DescMessage,
    private readonly guard: ClientGuard | undefined,
    private readonly end: CallEnd | undefined,
    private readonly resolve: (m: Message) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    this.call = new H2Call(this, channel.maxReceiveMessageBytes);
  }

  /** In ClientCall's order: the message's size, the signal, the deadline; then the connection. */
  start(channel: Channel, bytes: Uint8Array, options: CallOptions | undefined): void {
    const max = channel.maxSendMessageBytes;
    if (bytes.length > max) {
      return this.call.cancel(
        Status.RESOURCE_EXHAUSTED,
        `trying to send message larger than max (${bytes.length} vs. ${max})`,
      );
    }
    const signal = options?.signal;
    if (signal?.aborted) {
      this.signal = signal;
      return this.handleEvent();
    }
    const d = options?.deadline;
    if (d !== undefined) {
      const left = typeof d === 'number' ? d : d.getTime() - Date.now();
      if (!(left > 0)) return this.call.cancel(Status.DEADLINE_EXCEEDED, 'context deadline exceeded');
      this.timeout = encodeTimeout(left);
      this.timer = setTimeout(expire, left, this);
      this.timer.unref();
    }
    if (signal) {
      this.signal = signal;
      signal.addEventListener('abort', this, ONCE);
    }
    this.body = encodeFrame(bytes);
    this.metadata = options?.metadata;
    channel.withH2(this);
  }

  /** @internal H2User: the connection (at once when one is up), or why there is none. */
  useConnection(conn: H2Connection | Error): void {
    const call = this.call;
    if (call.finished) return;
    if (conn instanceof Error) return call.noConnection(conn);
    call.start(conn, this.method, this.body!, this.timeout, this.metadata);
    this.body = undefined;
  }

  /** @internal the signal's abort. */
  handleEvent(): void {
    const reason: unknown = this.signal?.reason;
    this.call.cancel(
      Status.CANCELLED,
      `call cancelled: ${reason instanceof Error ? reason.message : String(reason ?? 'aborted')}`,
    );
  }

  /** @internal H2CallListener: how the call ended. */
  onCallEnd(status: CallStatus, message: Buffer | undefined): void {
    if (this.timer) clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this);
    this.body = undefined;
    settleSingle(status, message, this.output, this.guard, this.end, this.resolve, this.reject);
  }
}

/** One unary call of a typed client on the h2 transport; `bytes` is the encoded request. */
export function h2Unary(
  channel: Channel,
  method: UnaryMethod,
  output: DescMessage,
  bytes: Uint8Array,
  options: CallOptions | undefined,
  guard: ClientGuard | undefined,
  end: CallEnd | undefined,
): Promise<Message> {
  return new Promise((resolve, reject) =>
    new H2UnaryRequest(channel, method, output, guard, end, resolve, reject).start(channel, bytes, options),
  );
}
