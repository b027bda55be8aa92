/**
 * Typed clients for protobuf-es services over a {@link Channel}. Every call
 * takes a deadline, an AbortSignal and metadata; failures reject with an
 * {@link RpcError}.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, DescMethod, DescService, Message } from '@bufbuild/protobuf';

import { report } from './call-observer.js';
import type { CallObserver } from './call-observer.js';
import { ClientCall } from './grpc/call.js';
import type { CallStatus, ClientCallOptions } from './grpc/call.js';
import type { Channel } from './grpc/channel.js';
import { MessageQueue } from './grpc/queue.js';
import type { UnaryMethod } from './h2/request-head.js';
import { decodeResponse, failure, settleSingle } from './rpc-outcome.js';
import type { CallEnd, ClientGuard } from './rpc-outcome.js';
import { isRpcError, Status, toRpcError } from './rpc-error.js';
import { h2Unary } from './rpc-unary-h2.js';
import type { BidiCall, CallOptions, Client } from './rpc-types.js';
import { methodPath } from './rpc-types.js';
import { grpcAttributes, isPluginPlumbing, startClientSpan, withTraceMetadata } from './tracing.js';
import type { ActiveSpan, SpanAttributes } from './tracing.js';

export type { ClientGuard } from './rpc-outcome.js';

/** What a client reports its calls to. */
export interface ClientHooks {
  /** Told of every call when it ends (method, status code, duration). */
  observer?: CallObserver;
}

/**
 * One call's instrumentation: the observer's clock and the trace span, both
 * optional. Undefined (no cost beyond the checks) when neither is wanted.
 */
interface Probe extends CallEnd {
  options: CallOptions | undefined;
}

/** A method's name and span attributes, worked out once per client rather than per call. */
interface Site {
  path: string;
  /** Undefined for go-plugin's plumbing (health, stdio, broker, controller): not traced. */
  attributes: SpanAttributes | undefined;
}

function site(m: DescMethod): Site {
  const path = methodPath(m);
  return { path, attributes: isPluginPlumbing(path) ? undefined : grpcAttributes(path) };
}

function probe(
  at: Site,
  options: CallOptions | undefined,
  hooks: ClientHooks | undefined,
): Probe | undefined {
  const observer = hooks?.observer;
  const { path, attributes } = at;
  const span: ActiveSpan | undefined = attributes ? startClientSpan(path.slice(1), attributes) : undefined;
  if (!observer && !span) return undefined;
  const startedAt = observer ? performance.now() : 0;
  let finished = false;
  return {
    options: span ? { ...options, metadata: withTraceMetadata(span, options?.metadata) } : options,
    done(code, message) {
      if (finished) return;
      finished = true;
      span?.end({ code, message, codeAttribute: 'rpc.grpc.status_code', failed: code !== Status.OK });
      if (observer) report(observer, path, code, startedAt);
    },
  };
}

/** The status of an error a call rejects with before it reaches the wire. */
const codeOf = (err: unknown): Status => (isRpcError(err) ? err.code : Status.UNKNOWN);

/** Response messages queued for a streaming consumer before the call stops reading. */
const QUEUE_MARK = 32;

function callOptions(m: DescMethod, options: CallOptions | undefined): ClientCallOptions {
  const d = options?.deadline;
  return {
    path: methodPath(m),
    metadata: options?.metadata,
    deadline: d === undefined ? undefined : typeof d === 'number' ? Date.now() + d : d.getTime(),
    signal: options?.signal,
    singleResponse: m.methodKind === 'unary' || m.methodKind === 'client_streaming',
  };
}

const encode = (schema: DescMessage, init: unknown): Uint8Array =>
  toBinary(schema, create(schema, init as never));

/** Hears a single-response ClientCall (node:http2 transport, client streaming). */
function singleListener(
  m: DescMethod,
  guard: ClientGuard | undefined,
  p: Probe | undefined,
  resolve: (m: Message) => void,
  reject: (e: unknown) => void,
) {
  let response: Buffer | undefined;
  return {
    onMessage: (bytes: Buffer) => {
      response = bytes;
    },
    onStatus: (status: CallStatus) => settleSingle(status, response, m.output, guard, p, resolve, reject),
  };
}

/** Rejects before the call reaches the wire (plugin gone, request not encodable). */
function rejectEarly(p: Probe | undefined, err: unknown): Promise<never> {
  p?.done(codeOf(err), err instanceof Error ? err.message : String(err));
  return Promise.reject(err);
}

function unary(
  channel: Channel,
  m: DescMethod,
  guard: ClientGuard | undefined,
  hooks: ClientHooks | undefined,
) {
  const at = site(m);
  /** The method's request headers on the h2 transport, encoded once. */
  let method: UnaryMethod | undefined;
  return (request: unknown, options?: CallOptions): Promise<Message> => {
    const p = probe(at, options, hooks);
    if (guard?.signal.aborted) return rejectEarly(p, guard.error());
    let bytes: Uint8Array;
    try {
      bytes = encode(m.input, request);
    } catch (err) {
      return rejectEarly(p, toRpcError(err));
    }
    if (channel.transport === 'h2') {
      method ??= channel.unaryMethod(at.path);
      return h2Unary(channel, method, m.output, bytes, p ? p.options : options, guard, p);
    }
    return new Promise((resolve, reject) => {
      const call = new ClientCall(
        channel,
        callOptions(m, p ? p.options : options),
        singleListener(m, guard, p, resolve, reject),
      );
      // Queued before start: the message and END_STREAM leave in one DATA frame.
      call.write(bytes);
      call.end();
      call.start();
    });
  };
}

/** Responses as an async iterable; stopping early cancels the call. */
function responseQueue(
  m: DescMethod,
  guard: ClientGuard | undefined,
  options: CallOptions | undefined,
  channel: Channel,
  p: Probe | undefined,
): { call: ClientCall; queue: MessageQueue<Message> } {
  // `queue` is used only once the call runs, after both exist.
  const call: ClientCall = new ClientCall(channel, callOptions(m, p ? p.options : options), {
    onMessage: (bytes) => {
      try {
        queue.push(decodeResponse(m.output, bytes));
      } catch (err) {
        queue.end(err);
        call.cancel('undecodable response');
      }
    },
    onStatus: (status) => {
      p?.done(status.code, status.message);
      if (status.code === Status.OK) {
        queue.end();
        return;
      }
      const err = failure(status, guard);
      if (err instanceof Promise) void err.then((e) => queue.end(e));
      else queue.end(err);
    },
  });
  const queue = new MessageQueue<Message>(
    QUEUE_MARK,
    () => call.pause(),
    () => call.resume(),
    () => call.cancel('the client stopped reading'),
  );
  return { call, queue };
}

function serverStreaming(
  channel: Channel,
  m: DescMethod,
  guard: ClientGuard | undefined,
  hooks: ClientHooks | undefined,
) {
  const at = site(m);
  return (request: unknown, options?: CallOptions): AsyncIterable<Message> => {
    const p = probe(at, options, hooks);
    const { call, queue } = responseQueue(m, guard, options, channel, p);
    if (guard?.signal.aborted) {
      const err = guard.error();
      p?.done(codeOf(err), err.message);
      queue.end(err);
      return queue;
    }
    call.write(encode(m.input, request));
    call.end();
    call.start();
    return queue;
  };
}

/** Writes every message of `requests`, honouring back-pressure, then half-closes. */
async function pump(
  call: ClientCall,
  m: DescMethod,
  requests: AsyncIterable<unknown> | Iterable<unknown>,
): Promise<void> {
  for await (const r of requests) {
    if (!call.write(encode(m.input, r))) await new Promise<void>((wake) => call.onDrain(wake));
  }
  call.end();
}

function clientStreaming(
  channel: Channel,
  m: DescMethod,
  guard: ClientGuard | undefined,
  hooks: ClientHooks | undefined,
) {
  const at = site(m);
  return (requests: AsyncIterable<unknown> | Iterable<unknown>, options?: CallOptions): Promise<Message> => {
    const p = probe(at, options, hooks);
    if (guard?.signal.aborted) return rejectEarly(p, guard.error());
    return new Promise((resolve, reject) => {
      const call = new ClientCall(
        channel,
        callOptions(m, p ? p.options : options),
        singleListener(m, guard, p, resolve, reject),
      );
      call.start();
      pump(call, m, requests).catch((err: unknown) => {
        call.cancel('the request stream failed');
        reject(toRpcError(err));
      });
    });
  };
}

function bidiStreaming(
  channel: Channel,
  m: DescMethod,
  guard: ClientGuard | undefined,
  hooks: ClientHooks | undefined,
) {
  const at = site(m);
  return (options?: CallOptions): BidiCall<unknown, Message> => {
    const p = probe(at, options, hooks);
    const { call, queue } = responseQueue(m, guard, options, channel, p);
    if (guard?.signal.aborted) {
      const err = guard.error();
      p?.done(codeOf(err), err.message);
      queue.end(err);
    } else call.start();
    return {
      send: (message) =>
        call.write(encode(m.input, message))
          ? Promise.resolve()
          : new Promise<void>((wake) => call.onDrain(wake)),
      end: () => call.end(),
      cancel: () => call.cancel(),
      responses: queue,
    };
  };
}

/** A typed client for `svc` over a channel; `guard` ties its calls to a lifetime. */
export function createClient<S extends DescService>(
  svc: S,
  channel: Channel,
  guard?: ClientGuard,
  hooks?: ClientHooks,
): Client<S> {
  const client: Record<string, unknown> = {};
  for (const m of svc.methods) {
    switch (m.methodKind) {
      case 'unary':
        client[m.localName] = unary(channel, m, guard, hooks);
        break;
      case 'server_streaming':
        client[m.localName] = serverStreaming(channel, m, guard, hooks);
        break;
      case 'client_streaming':
        client[m.localName] = clientStreaming(channel, m, guard, hooks);
        break;
      case 'bidi_streaming':
        client[m.localName] = bidiStreaming(channel, m, guard, hooks);
        break;
    }
  }
  return client as Client<S>;
}
