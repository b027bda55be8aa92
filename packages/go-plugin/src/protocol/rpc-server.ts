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

type Unary = (req: Message, ctx: HandlerContext) => unknown;
type ServerStream = (req: Message, send: (m: unknown) => Promise<void>, ctx: HandlerContext) => Promise<void>;
type ClientStream = (reqs: AsyncIterable<Message>, ctx: HandlerContext) => Promise<unknown>;
type Bidi = (
  reqs: AsyncIterable<Message>,
  send: (m: unknown) => Promise<void>,
  ctx: HandlerContext,
) => Promise<void>;

/** The handler's view of its call; signal and metadata are made only if read. */
class CallContext implements HandlerContext {
  constructor(private readonly call: ServerCall) {}
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

function fail(call: ServerCall, err: unknown): void {
  const rpc = toRpcError(err);
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
    throw new RpcError(Status.INTERNAL, `grpc: error unmarshalling request: ${(err as Error).message}`);
  }
}

const encode = (schema: DescMessage, init: unknown): Uint8Array =>
  toBinary(schema, create(schema, init as never));

/** The one request message of a unary or server-streaming call. */
function single(call: ServerCall, schema: DescMessage, then: (req: Message) => void): void {
  call.readAll((messages) => {
    if (messages.length !== 1) {
      call.sendStatus({
        code: Status.INTERNAL,
        message:
          messages.length === 0
            ? 'grpc: the client sent no request message'
            : `grpc: the client sent ${messages.length} request messages to a method taking one`,
      });
      return;
    }
    let req: Message;
    try {
      req = decode(schema, messages[0]!);
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

function respondUnary(call: ServerCall, schema: DescMessage, result: unknown): void {
  let bytes: Uint8Array;
  try {
    bytes = encode(schema, result);
  } catch (err) {
    call.sendStatus({
      code: Status.INTERNAL,
      message: `grpc: error while marshaling: ${(err as Error).message}`,
    });
    return;
  }
  call.sendUnary(bytes);
}

const ok = { code: Status.OK, message: '' };

function handlerFor(m: DescMethod, fn: unknown): (call: ServerCall) => void {
  switch (m.methodKind) {
    case 'unary':
      return (call) =>
        single(call, m.input, (req) => {
          let result: unknown;
          try {
            result = (fn as Unary)(req, new CallContext(call));
          } catch (err) {
            fail(call, err);
            return;
          }
          if (result instanceof Promise)
            result.then(
              (res) => respondUnary(call, m.output, res),
              (err) => fail(call, err),
            );
          else respondUnary(call, m.output, result);
        });
    case 'server_streaming':
      return (call) =>
        single(call, m.input, (req) => {
          Promise.resolve()
            .then(() => (fn as ServerStream)(req, sender(call, m.output), new CallContext(call)))
            .then(
              () => call.sendStatus(ok),
              (err) => fail(call, err),
            );
        });
    case 'client_streaming':
      return (call) => {
        const reqs = decodeAll(call.readStream(), m.input);
        Promise.resolve()
          .then(() => (fn as ClientStream)(reqs, new CallContext(call)))
          .then(
            (res) => respondUnary(call, m.output, res),
            (err) => fail(call, err),
          );
      };
    case 'bidi_streaming':
      return (call) => {
        const reqs = decodeAll(call.readStream(), m.input);
        Promise.resolve()
          .then(() => (fn as Bidi)(reqs, sender(call, m.output), new CallContext(call)))
          .then(
            () => call.sendStatus(ok),
            (err) => fail(call, err),
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
