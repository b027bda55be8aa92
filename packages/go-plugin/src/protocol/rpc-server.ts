/**
 * Registers protobuf-es services on a {@link GrpcServer}: binary codecs from
 * the descriptors, and handler adapters with cancellation, back-pressure and
 * gRPC status errors.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { DescMessage, DescMethod, Message } from '@bufbuild/protobuf';

import type { GrpcServer, ServerCall } from './grpc/server.js';
import type { Metadata } from './grpc/metadata.js';
import { RpcError, Status, toRpcError } from './rpc-error.js';
import type { HandlerContext, ServiceRegistration } from './rpc-types.js';
import { methodPath } from './rpc-types.js';
import {
  grpcAttributes,
  isPluginPlumbing,
  startServerSpan,
  traceHeadersOf,
  tracingActive,
} from './tracing.js';
import type { ActiveSpan, SpanAttributes, TraceSpan } from './tracing.js';
import { messageOf } from './errors.js';

type Unary = (req: Message, ctx: HandlerContext) => unknown;
type ServerStream = (req: Message, send: (m: unknown) => Promise<void>, ctx: HandlerContext) => Promise<void>;
type ClientStream = (reqs: AsyncIterable<Message>, ctx: HandlerContext) => Promise<unknown>;
type Bidi = (
  reqs: AsyncIterable<Message>,
  send: (m: unknown) => Promise<void>,
  ctx: HandlerContext,
) => Promise<void>;

/**
 * A call's server span (when a tracer provider is registered) and the status
 * it ended with, recorded where the status is sent.
 */
interface Traced {
  active: ActiveSpan;
  code?: Status;
  message?: string;
}

/** The handler's view of its call; signal and metadata are made only if read. */
class CallContext implements HandlerContext {
  constructor(
    private readonly call: ServerCall,
    private readonly traced: Traced | undefined,
  ) {}
  get span(): TraceSpan | undefined {
    return this.traced?.active.span;
  }
  get signal(): AbortSignal {
    return this.call.signal;
  }
  get metadata(): Metadata {
    return this.call.metadata;
  }
  get method(): string {
    return this.call.method;
  }
  get peer(): string {
    return this.call.peer;
  }
  get deadline(): number | undefined {
    return this.call.deadline;
  }
}

function fail(call: ServerCall, err: unknown, t?: Traced): void {
  const rpc = toRpcError(err);
  if (t && !call.done) {
    t.code = rpc.code;
    t.message = rpc.details;
  }
  call.sendStatus({
    code: rpc.code,
    message: rpc.details,
    details: rpc.statusDetails,
    trailers: rpc.metadata.size > 0 ? rpc.metadata : undefined,
  });
}

function decode(schema: DescMessage, bytes: Uint8Array): Message {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new RpcError(Status.INTERNAL, `grpc: error unmarshalling request: ${messageOf(err)}`);
  }
}

const encode = (schema: DescMessage, init: unknown): Uint8Array =>
  toBinary(schema, create(schema, init as never));

/** The one request message of a unary or server-streaming call. */
function single(call: ServerCall, schema: DescMessage, then: (req: Message) => void): void {
  call.readAll((message, count) => {
    if (count !== 1) {
      call.sendStatus({
        code: Status.INTERNAL,
        message:
          count === 0
            ? 'grpc: the client sent no request message'
            : `grpc: the client sent ${count} request messages to a method taking one`,
      });
      return;
    }
    let req: Message;
    try {
      req = decode(schema, message!);
    } catch (err) {
      fail(call, err);
      return;
    }
    then(req);
  });
}

async function* decodeAll(source: AsyncIterable<Buffer>, schema: DescMessage): AsyncGenerator<Message> {
  for await (const bytes of source) yield decode(schema, bytes);
}

function sender(call: ServerCall, schema: DescMessage) {
  return (init: unknown): Promise<void> => call.send(encode(schema, init));
}

function respondUnary(call: ServerCall, schema: DescMessage, result: unknown, t?: Traced): void {
  let bytes: Uint8Array;
  try {
    bytes = encode(schema, result);
  } catch (err) {
    fail(call, new RpcError(Status.INTERNAL, `grpc: error while marshaling: ${messageOf(err)}`), t);
    return;
  }
  if (t && !call.done) t.code = Status.OK;
  call.sendUnary(bytes);
}

const ok = { code: Status.OK, message: '' };

function succeed(call: ServerCall, t: Traced | undefined): void {
  if (t && !call.done) t.code = Status.OK;
  call.sendStatus(ok);
}

/** Runs the handler with its span active, so the calls it makes continue the trace. */
function invoke<T>(t: Traced | undefined, fn: () => T): T {
  return t ? t.active.run(fn) : fn();
}

/**
 * Starts the call's server span, a child of the caller's when its metadata
 * carries a traceparent; ended when the call ends, however it ends.
 * Undefined when no tracer provider is registered.
 */
function traceCall(call: ServerCall, name: string, attributes: SpanAttributes): Traced | undefined {
  const active = startServerSpan(name, () => traceHeadersOf(call.metadata), attributes);
  if (!active) return undefined;
  const t: Traced = { active };
  call.onEnd(() =>
    active.end({
      code: t.code ?? Status.CANCELLED,
      message: t.code === undefined ? 'the call ended before the handler answered' : t.message,
      codeAttribute: 'rpc.grpc.status_code',
      failed: t.code !== Status.OK,
    }),
  );
  return t;
}

function handlerFor(m: DescMethod, fn: unknown): (call: ServerCall) => void {
  const path = methodPath(m);
  const name = path.slice(1);
  // go-plugin's own services are plumbing: no spans.
  const attributes = isPluginPlumbing(path) ? undefined : grpcAttributes(path);
  // The check first: no closure is made per call unless spans are.
  const trace = (call: ServerCall): Traced | undefined =>
    attributes && tracingActive() ? traceCall(call, name, attributes) : undefined;
  switch (m.methodKind) {
    case 'unary':
      return (call) => {
        const t = trace(call);
        single(call, m.input, (req) => {
          let result: unknown;
          try {
            // Without a span, no closure: this is every plugin's hot path.
            result = t
              ? invoke(t, () => (fn as Unary)(req, new CallContext(call, t)))
              : (fn as Unary)(req, new CallContext(call, undefined));
          } catch (err) {
            fail(call, err, t);
            return;
          }
          if (result instanceof Promise)
            result.then(
              (res) => respondUnary(call, m.output, res, t),
              (err) => fail(call, err, t),
            );
          else respondUnary(call, m.output, result, t);
        });
      };
    case 'server_streaming':
      return (call) => {
        const t = trace(call);
        single(call, m.input, (req) => {
          invoke(t, () =>
            Promise.resolve()
              .then(() => (fn as ServerStream)(req, sender(call, m.output), new CallContext(call, t)))
              .then(
                () => succeed(call, t),
                (err) => fail(call, err, t),
              ),
          );
        });
      };
    case 'client_streaming':
      return (call) => {
        const t = trace(call);
        const reqs = decodeAll(call.readStream(), m.input);
        invoke(t, () =>
          Promise.resolve()
            .then(() => (fn as ClientStream)(reqs, new CallContext(call, t)))
            .then(
              (res) => respondUnary(call, m.output, res, t),
              (err) => fail(call, err, t),
            ),
        );
      };
    case 'bidi_streaming':
      return (call) => {
        const t = trace(call);
        const reqs = decodeAll(call.readStream(), m.input);
        invoke(t, () =>
          Promise.resolve()
            .then(() => (fn as Bidi)(reqs, sender(call, m.output), new CallContext(call, t)))
            .then(
              () => succeed(call, t),
              (err) => fail(call, err, t),
            ),
        );
      };
  }
}

/** Adds services to a server; every method of each service needs a handler. */
export function addServices(server: GrpcServer, registrations: readonly ServiceRegistration[]): void {
  for (const { service, impl } of registrations) {
    for (const m of service.methods) {
      const fn = impl[m.localName];
      if (typeof fn !== 'function') {
        throw new TypeError(`service ${service.typeName}: no handler for method ${m.localName}`);
      }
      server.register(
        methodPath(m),
        m.methodKind,
        handlerFor(m, (fn as (...a: never[]) => unknown).bind(impl)),
      );
    }
  }
}
