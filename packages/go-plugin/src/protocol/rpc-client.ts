/**
 * Typed clients for protobuf-es services over one shared grpc-js connection.
 * Every call takes a deadline and an AbortSignal; failures reject with an
 * {@link RpcError}.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, DescMethod, DescService, Message } from '@bufbuild/protobuf';
import { Metadata } from '@grpc/grpc-js';
import type {
  CallOptions as GrpcCallOptions,
  Client as GrpcClient,
  ClientReadableStream,
  ClientWritableStream,
  ClientDuplexStream,
  ServiceError,
} from '@grpc/grpc-js';

import { RpcError, Status, toRpcError } from './rpc-error.js';
import type { BidiCall, CallOptions, Client } from './rpc-types.js';
import { methodPath } from './rpc-types.js';

const serialize = (schema: DescMessage) => (init: unknown) =>
  Buffer.from(toBinary(schema, create(schema, init as never)));
const deserialize = (schema: DescMessage) => (bytes: Buffer) => fromBinary(schema, bytes);

function grpcOptions(options: CallOptions | undefined): GrpcCallOptions {
  const deadline = options?.deadline;
  if (deadline === undefined) return {};
  return { deadline: typeof deadline === 'number' ? Date.now() + deadline : deadline };
}

/**
 * Ties every call of a client to a lifetime (e.g. the plugin process): once
 * `signal` aborts, calls in flight and new calls reject with `error()`.
 */
export interface ClientGuard {
  signal: AbortSignal;
  error(): Error;
}

/** An UNAVAILABLE often arrives a moment before the process exit is noticed: wait this long for it. */
const SETTLE_MS = 250;

function abortedWithin(signal: AbortSignal, ms: number): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** One signal for the caller's and the guard's, and the error to report when a call fails. */
function combine(
  options: CallOptions | undefined,
  guard: ClientGuard | undefined,
): CallOptions & { failure(err: unknown): Promise<Error> } {
  const signals = [options?.signal, guard?.signal].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  return {
    ...options,
    signal,
    failure: async (err) => {
      if (guard?.signal.aborted) return guard.error();
      if (options?.signal?.aborted) return cancelledError(options.signal);
      const rpc = toRpcError(err);
      if (guard && rpc.code === Status.UNAVAILABLE && (await abortedWithin(guard.signal, SETTLE_MS)))
        return guard.error();
      return rpc;
    },
  };
}

const cancelledError = (signal: AbortSignal): RpcError =>
  new RpcError(
    Status.CANCELLED,
    `call cancelled: ${signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted')}`,
  );

/** Cancels `call` when `signal` aborts; returns the detach function. */
function linkSignal(signal: AbortSignal | undefined, call: { cancel(): void }): () => void {
  if (!signal) return () => {};
  const onAbort = (): void => call.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

async function* readAll<T>(
  stream: ClientReadableStream<T> | ClientDuplexStream<unknown, T>,
  detach: () => void,
  failure: (err: unknown) => Promise<Error>,
): AsyncGenerator<T> {
  let finished = false;
  try {
    for await (const message of stream as AsyncIterable<T>) yield message;
    finished = true;
  } catch (err) {
    finished = true;
    throw await failure(err);
  } finally {
    detach();
    // The consumer stopped early: tell the server.
    if (!finished) stream.cancel();
  }
}

function unary(conn: GrpcClient, m: DescMethod, guard: ClientGuard | undefined) {
  return (request: unknown, callOptions?: CallOptions): Promise<Message> => {
    const options = combine(callOptions, guard);
    const signal = options.signal;
    if (signal?.aborted) return options.failure(undefined).then((e) => Promise.reject(e));
    return new Promise((resolve, reject) => {
      let detach = (): void => {};
      const call = conn.makeUnaryRequest(
        methodPath(m),
        serialize(m.input),
        deserialize(m.output),
        request,
        options.metadata ?? new Metadata(),
        grpcOptions(options),
        (err: ServiceError | null, value?: Message) => {
          detach();
          if (err) void options.failure(err).then(reject);
          else resolve(value!);
        },
      );
      detach = linkSignal(signal, call);
    });
  };
}

function serverStreaming(conn: GrpcClient, m: DescMethod, guard: ClientGuard | undefined) {
  return (request: unknown, callOptions?: CallOptions): AsyncIterable<Message> => {
    const options = combine(callOptions, guard);
    const stream = conn.makeServerStreamRequest(
      methodPath(m),
      serialize(m.input),
      deserialize(m.output),
      request,
      options.metadata ?? new Metadata(),
      grpcOptions(options),
    );
    if (options.signal?.aborted) stream.cancel();
    return readAll<Message>(stream, linkSignal(options.signal, stream), options.failure);
  };
}

function clientStreaming(conn: GrpcClient, m: DescMethod, guard: ClientGuard | undefined) {
  return (
    requests: AsyncIterable<unknown> | Iterable<unknown>,
    callOptions?: CallOptions,
  ): Promise<Message> =>
    new Promise((resolve, reject) => {
      const options = combine(callOptions, guard);
      if (options.signal?.aborted) return void options.failure(undefined).then(reject);
      let detach = (): void => {};
      const call: ClientWritableStream<unknown> = conn.makeClientStreamRequest(
        methodPath(m),
        serialize(m.input),
        deserialize(m.output),
        options.metadata ?? new Metadata(),
        grpcOptions(options),
        (err: ServiceError | null, value?: Message) => {
          detach();
          if (err) void options.failure(err).then(reject);
          else resolve(value!);
        },
      );
      detach = linkSignal(options.signal, call);
      void (async () => {
        for await (const r of requests) {
          if (!call.write(r)) await new Promise((ok) => call.once('drain', ok));
        }
        call.end();
      })().catch((err: unknown) => {
        call.cancel();
        reject(toRpcError(err));
      });
    });
}

function bidiStreaming(conn: GrpcClient, m: DescMethod, guard: ClientGuard | undefined) {
  return (callOptions?: CallOptions): BidiCall<unknown, Message> => {
    const options = combine(callOptions, guard);
    const call = conn.makeBidiStreamRequest(
      methodPath(m),
      serialize(m.input),
      deserialize(m.output),
      options.metadata ?? new Metadata(),
      grpcOptions(options),
    );
    if (options.signal?.aborted) call.cancel();
    const detach = linkSignal(options.signal, call);
    // Errors surface through `responses`; keep an unconsumed stream from crashing the process.
    call.on('error', () => {});
    return {
      send: (message) =>
        call.write(message) ? Promise.resolve() : new Promise<void>((ok) => call.once('drain', () => ok())),
      end: () => call.end(),
      cancel: () => call.cancel(),
      responses: readAll<Message>(call, detach, options.failure),
    };
  };
}

/** A typed client for `svc` over an existing grpc-js connection. */
export function createClient<S extends DescService>(
  svc: S,
  conn: GrpcClient,
  guard?: ClientGuard,
): Client<S> {
  const client: Record<string, unknown> = {};
  for (const m of svc.methods) {
    switch (m.methodKind) {
      case 'unary':
        client[m.localName] = unary(conn, m, guard);
        break;
      case 'server_streaming':
        client[m.localName] = serverStreaming(conn, m, guard);
        break;
      case 'client_streaming':
        client[m.localName] = clientStreaming(conn, m, guard);
        break;
      case 'bidi_streaming':
        client[m.localName] = bidiStreaming(conn, m, guard);
        break;
    }
  }
  return client as Client<S>;
}
