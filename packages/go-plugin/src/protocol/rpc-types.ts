/**
 * Types tying protobuf-es service descriptors to handler and client
 * signatures, so application services are typed end to end without `any`.
 */
import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape,
} from '@bufbuild/protobuf';
import type { Metadata } from './grpc/metadata.js';
import type { TraceSpan } from './tracing.js';

/** The methods of a generated service, by local (camelCase) name. */
export type MethodsOf<S extends DescService> = S extends { method: infer M } ? M : never;

type InputOf<M> = M extends { input: infer I extends DescMessage } ? I : never;
type OutputOf<M> = M extends { output: infer O extends DescMessage } ? O : never;

export type In<M> = MessageShape<InputOf<M>>;
export type InInit<M> = MessageInitShape<InputOf<M>>;
export type Out<M> = MessageShape<OutputOf<M>>;
export type OutInit<M> = MessageInitShape<OutputOf<M>>;

/** What a handler learns about its call. */
export interface HandlerContext {
  /** Aborted when the caller cancels, the deadline passes or the server stops. */
  signal: AbortSignal;
  metadata: Metadata;
  /** Full method path, e.g. `/proto.PluginGreeting/Greeting`. */
  method: string;
  peer: string;
  /** The caller's deadline (ms since the epoch), if it set one. */
  deadline: number | undefined;
  /**
   * This call's span when the plugin registered an OpenTelemetry tracer
   * provider (a child of the caller's span when it sent a `traceparent`);
   * it is also the active span while the handler runs. Undefined otherwise.
   */
  span: TraceSpan | undefined;
}

/** Sends one message on a server stream; resolves when the transport can take more. */
export type Send<M> = (message: OutInit<M>) => Promise<void>;

export type HandlerFor<M> = M extends { methodKind: 'unary' }
  ? (request: In<M>, ctx: HandlerContext) => Promise<OutInit<M>> | OutInit<M>
  : M extends { methodKind: 'server_streaming' }
    ? (request: In<M>, send: Send<M>, ctx: HandlerContext) => Promise<void>
    : M extends { methodKind: 'client_streaming' }
      ? (requests: AsyncIterable<In<M>>, ctx: HandlerContext) => Promise<OutInit<M>>
      : M extends { methodKind: 'bidi_streaming' }
        ? (requests: AsyncIterable<In<M>>, send: Send<M>, ctx: HandlerContext) => Promise<void>
        : never;

/** An implementation of every method of a service. */
export type ServiceImpl<S extends DescService> = {
  [K in keyof MethodsOf<S>]: HandlerFor<MethodsOf<S>[K]>;
};

/** A service paired with its implementation, ready to register on a server. */
export interface ServiceRegistration {
  readonly service: DescService;
  readonly impl: Readonly<Record<string, unknown>>;
}

/** Pairs a generated service with a typed implementation. */
export function service<S extends DescService>(desc: S, impl: ServiceImpl<S>): ServiceRegistration {
  return { service: desc, impl: impl as Readonly<Record<string, unknown>> };
}

/** Options for one outgoing call. */
export interface CallOptions {
  /** Absolute deadline, or a timeout in ms from now. */
  deadline?: Date | number;
  signal?: AbortSignal;
  metadata?: Metadata;
}

export type ClientMethodFor<M> = M extends { methodKind: 'unary' }
  ? (request: InInit<M>, options?: CallOptions) => Promise<Out<M>>
  : M extends { methodKind: 'server_streaming' }
    ? (request: InInit<M>, options?: CallOptions) => AsyncIterable<Out<M>>
    : M extends { methodKind: 'client_streaming' }
      ? (requests: AsyncIterable<InInit<M>> | Iterable<InInit<M>>, options?: CallOptions) => Promise<Out<M>>
      : M extends { methodKind: 'bidi_streaming' }
        ? (options?: CallOptions) => BidiCall<InInit<M>, Out<M>>
        : never;

export interface BidiCall<I, O> {
  send(message: I): Promise<void>;
  end(): void;
  cancel(): void;
  responses: AsyncIterable<O>;
}

/** A typed client: one method per RPC of the service. */
export type Client<S extends DescService> = {
  [K in keyof MethodsOf<S>]: ClientMethodFor<MethodsOf<S>[K]>;
};

export const methodPath = (method: DescMethod): string => `/${method.parent.typeName}/${method.name}`;
