/**
 * Registers protobuf-es services on a grpc-js server: binary codecs from the
 * descriptors, and handler adapters with cancellation, back-pressure and
 * gRPC status errors.
 */
import type { EventEmitter } from 'node:events';

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, DescMethod, Message } from '@bufbuild/protobuf';
import type {
  handleBidiStreamingCall,
  handleClientStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
  Server,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';

import { toRpcError } from './rpc-error.js';
import type { HandlerContext, ServiceRegistration } from './rpc-types.js';
import { methodPath } from './rpc-types.js';

type AnyMessage = Message;
type Unary = (req: AnyMessage, ctx: HandlerContext) => Promise<unknown> | unknown;
type ServerStream = (
  req: AnyMessage,
  send: (m: unknown) => Promise<void>,
  ctx: HandlerContext,
) => Promise<void>;
type ClientStream = (reqs: AsyncIterable<AnyMessage>, ctx: HandlerContext) => Promise<unknown>;
type Bidi = (
  reqs: AsyncIterable<AnyMessage>,
  send: (m: unknown) => Promise<void>,
  ctx: HandlerContext,
) => Promise<void>;

const serializer = (schema: DescMessage) => (value: AnyMessage) => Buffer.from(toBinary(schema, value));
const deserializer = (schema: DescMessage) => (bytes: Buffer) => fromBinary(schema, bytes);

/** A grpc-js service definition (paths and codecs) for a protobuf-es service. */
export function grpcDefinition(methods: readonly DescMethod[]): ServiceDefinition {
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const m of methods) {
    def[m.localName] = {
      path: methodPath(m),
      requestStream: m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming',
      responseStream: m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming',
      requestSerialize: serializer(m.input),
      requestDeserialize: deserializer(m.input),
      responseSerialize: serializer(m.output),
      responseDeserialize: deserializer(m.output),
      originalName: m.name,
    };
  }
  return def;
}

type AnyCall =
  | ServerUnaryCall<AnyMessage, AnyMessage>
  | ServerReadableStream<AnyMessage, AnyMessage>
  | ServerWritableStream<AnyMessage, AnyMessage>
  | ServerDuplexStream<AnyMessage, AnyMessage>;

/**
 * Context for one call: `signal` aborts when the caller cancels or the server
 * stops. The controller and the server-signal listener are made only when a
 * handler reads `signal`, and `done()` (called once the handler settled)
 * removes every listener: grpc-js emits no 'finish'/'close' on unary calls,
 * so anything left attached would pile up for the plugin's lifetime.
 */
function contextFor(
  call: AnyCall,
  method: DescMethod,
  serverSignal: AbortSignal | undefined,
): { ctx: HandlerContext; done(): void } {
  const events = call as unknown as EventEmitter;
  let controller: AbortController | undefined;
  let cancelled = false;
  let listening = false;
  const abort = (): void => {
    cancelled = true;
    controller?.abort(new Error('call cancelled'));
  };
  events.once('cancelled', abort);
  const ctx: HandlerContext = {
    get signal(): AbortSignal {
      if (!controller) {
        controller = new AbortController();
        if (cancelled || serverSignal?.aborted) controller.abort(new Error('call cancelled'));
        else if (serverSignal) {
          serverSignal.addEventListener('abort', abort, { once: true });
          listening = true;
        }
      }
      return controller.signal;
    },
    metadata: call.metadata,
    method: methodPath(method),
    get peer(): string {
      return call.getPeer();
    },
  };
  const done = (): void => {
    events.off('cancelled', abort);
    if (listening) serverSignal!.removeEventListener('abort', abort);
    listening = false;
  };
  return { ctx, done };
}

function writer(
  call: ServerWritableStream<AnyMessage, AnyMessage> | ServerDuplexStream<AnyMessage, AnyMessage>,
  method: DescMethod,
) {
  return (init: unknown): Promise<void> => {
    const msg = create(method.output, init as never);
    if (call.write(msg)) return Promise.resolve();
    return new Promise((resolve) => call.once('drain', resolve));
  };
}

function statusOf(err: unknown): { code: number; details: string } {
  const { code, details } = toRpcError(err);
  return { code, details };
}

/** Ends a streaming call with the error's status (grpc-js reads it from an 'error' event). */
function failStream(
  call: ServerWritableStream<AnyMessage, AnyMessage> | ServerDuplexStream<AnyMessage, AnyMessage>,
  err: unknown,
): void {
  call.emit('error', statusOf(err));
}

function adapt(
  method: DescMethod,
  fn: unknown,
  serverSignal: AbortSignal | undefined,
): UntypedServiceImplementation[string] {
  const respond = (init: unknown): AnyMessage => create(method.output, init as never);
  switch (method.methodKind) {
    case 'unary': {
      const h: handleUnaryCall<AnyMessage, AnyMessage> = (call, callback) => {
        const { ctx, done } = contextFor(call, method, serverSignal);
        Promise.resolve()
          .then(() => (fn as Unary)(call.request, ctx))
          .finally(done)
          .then(
            (res) => callback(null, respond(res)),
            (err) => callback(statusOf(err)),
          );
      };
      return h;
    }
    case 'server_streaming': {
      const h: handleServerStreamingCall<AnyMessage, AnyMessage> = (call) => {
        const { ctx, done } = contextFor(call, method, serverSignal);
        Promise.resolve()
          .then(() => (fn as ServerStream)(call.request, writer(call, method), ctx))
          .finally(done)
          .then(
            () => call.end(),
            (err) => failStream(call, err),
          );
      };
      return h;
    }
    case 'client_streaming': {
      const h: handleClientStreamingCall<AnyMessage, AnyMessage> = (call, callback) => {
        const { ctx, done } = contextFor(call, method, serverSignal);
        Promise.resolve()
          .then(() => (fn as ClientStream)(call, ctx))
          .finally(done)
          .then(
            (res) => callback(null, respond(res)),
            (err) => callback(statusOf(err)),
          );
      };
      return h;
    }
    case 'bidi_streaming': {
      const h: handleBidiStreamingCall<AnyMessage, AnyMessage> = (call) => {
        const { ctx, done } = contextFor(call, method, serverSignal);
        Promise.resolve()
          .then(() => (fn as Bidi)(call, writer(call, method), ctx))
          .finally(done)
          .then(
            () => call.end(),
            (err) => failStream(call, err),
          );
      };
      return h;
    }
  }
}

/**
 * Adds services to a grpc-js server. `serverSignal` (optional) aborts every
 * call's context when the server stops.
 */
export function addServices(
  server: Server,
  registrations: readonly ServiceRegistration[],
  serverSignal?: AbortSignal,
): void {
  for (const { service, impl } of registrations) {
    const handlers: UntypedServiceImplementation = {};
    for (const m of service.methods) {
      const fn = impl[m.localName];
      if (typeof fn !== 'function') {
        throw new TypeError(`service ${service.typeName}: no handler for method ${m.localName}`);
      }
      handlers[m.localName] = adapt(m, (fn as (...args: never[]) => unknown).bind(impl), serverSignal);
    }
    server.addService(grpcDefinition(service.methods), handlers);
  }
}
