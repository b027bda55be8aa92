/**
 * Typed clients for protobuf-es services over one shared grpc-js connection.
 * Every call takes a deadline and an AbortSignal; failures reject with an
 * {@link RpcError}.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, DescMethod, DescService, Message } from '@bufbuild/protobuf';
import { Metadata } from '@grpc/grpc-js';
import type { CallOptions as GrpcCallOptions, Client as GrpcClient, ClientReadableStream, ClientWritableStream, ClientDuplexStream, ServiceError } from '@grpc/grpc-js';

import { RpcError, Status, toRpcError } from './rpc-error.js';
import type { BidiCall, CallOptions, Client } from './rpc-types.js';
import { methodPath } from './rpc-types.js';

const serialize = (schema: DescMessage) => (init: unknown) => Buffer.from(toBinary(schema, create(schema, init as never)));
const deserialize = (schema: DescMessage) => (bytes: Buffer) => fromBinary(schema, bytes);

function grpcOptions(options: CallOptions | undefined): GrpcCallOptions {
  const deadline = options?.deadline;
  if (deadline === undefined) return {};
  return { deadline: typeof deadline === 'number' ? Date.now() + deadline : deadline };
}

const cancelledError = (signal: AbortSignal): RpcError =>
  new RpcError(Status.CANCELLED, `call cancelled: ${signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted')}`);

/** Cancels `call` when `signal` aborts; returns the detach function. */
function linkSignal(signal: AbortSignal | undefined, call: { cancel(): void }): () => void {
  if (!signal) return () => {};
  const onAbort = (): void => call.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

async function* readAll<T>(stream: ClientReadableStream<T> | ClientDuplexStream<unknown, T>, detach: () => void): AsyncGenerator<T> {
  let finished = false;
  try {
    for await (const message of stream as AsyncIterable<T>) yield message;
    finished = true;
  } catch (err) {
    finished = true;
    throw toRpcError(err);
  } finally {
    detach();
    // The consumer stopped early: tell the server.
    if (!finished) stream.cancel();
  }
}

function unary(conn: GrpcClient, m: DescMethod) {
  return (request: unknown, options?: CallOptions): Promise<Message> => {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(cancelledError(signal));
    return new Promise((resolve, reject) => {
      let detach = (): void => {};
      const call = conn.makeUnaryRequest(
        methodPath(m),
        serialize(m.input),
        deserialize(m.output),
        request,
        options?.metadata ?? new Metadata(),
        grpcOptions(options),
        (err: ServiceError | null, value?: Message) => {
          detach();
          if (err) reject(signal?.aborted ? cancelledError(signal) : toRpcError(err));
          else resolve(value!);
        },
      );
      detach = linkSignal(signal, call);
    });
  };
}

function serverStreaming(conn: GrpcClient, m: DescMethod) {
  return (request: unknown, options?: CallOptions): AsyncIterable<Message> => {
    const stream = conn.makeServerStreamRequest(
      methodPath(m),
      serialize(m.input),
      deserialize(m.output),
      request,
      options?.metadata ?? new Metadata(),
      grpcOptions(options),
    );
    return readAll<Message>(stream, linkSignal(options?.signal, stream));
  };
}

function clientStreaming(conn: GrpcClient, m: DescMethod) {
  return (requests: AsyncIterable<unknown> | Iterable<unknown>, options?: CallOptions): Promise<Message> =>
    new Promise((resolve, reject) => {
      let detach = (): void => {};
      const call: ClientWritableStream<unknown> = conn.makeClientStreamRequest(
        methodPath(m),
        serialize(m.input),
        deserialize(m.output),
        options?.metadata ?? new Metadata(),
        grpcOptions(options),
        (err: ServiceError | null, value?: Message) => {
          detach();
          if (err) reject(toRpcError(err));
          else resolve(value!);
        },
      );
      detach = linkSignal(options?.signal, call);
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

function bidiStreaming(conn: GrpcClient, m: DescMethod) {
  return (options?: CallOptions): BidiCall<unknown, Message> => {
    const call = conn.makeBidiStreamRequest(
      methodPath(m),
      serialize(m.input),
      deserialize(m.output),
      options?.metadata ?? new Metadata(),
      grpcOptions(options),
    );
    const detach = linkSignal(options?.signal, call);
    // Errors surface through `responses`; keep an unconsumed stream from crashing the process.
    call.on('error', () => {});
    return {
      send: (message) =>
        call.write(message) ? Promise.resolve() : new Promise<void>((ok) => call.once('drain', () => ok())),
      end: () => call.end(),
      cancel: () => call.cancel(),
      responses: readAll<Message>(call, detach),
    };
  };
}

/** A typed client for `svc` over an existing grpc-js connection. */
export function createClient<S extends DescService>(svc: S, conn: GrpcClient): Client<S> {
  const client: Record<string, unknown> = {};
  for (const m of svc.methods) {
    switch (m.methodKind) {
      case 'unary':
        client[m.localName] = unary(conn, m);
        break;
      case 'server_streaming':
        client[m.localName] = serverStreaming(conn, m);
        break;
      case 'client_streaming':
        client[m.localName] = clientStreaming(conn, m);
        break;
      case 'bidi_streaming':
        client[m.localName] = bidiStreaming(conn, m);
        break;
    }
  }
  return client as Client<S>;
}
