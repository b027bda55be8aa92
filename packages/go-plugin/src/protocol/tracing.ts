/**
 * Trace context across the plugin boundary, on OpenTelemetry's API when the
 * application registered a tracer provider, and on nothing otherwise.
 *
 * `@opentelemetry/api` is an optional peer dependency: it is never imported
 * up front. Each call looks at the API's global registry (one property read
 * on globalThis); only when a tracer provider is registered there is the API
 * loaded (once) and used to make spans. The trace context travels as W3C
 * `traceparent` / `tracestate` gRPC metadata (and HTTP headers at the
 * JSON-RPC gateway), whatever propagator the application registered, so Go
 * plugins and hosts can read it with any OpenTelemetry SDK.
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type * as OtelApi from '@opentelemetry/api';

import { Metadata } from './grpc/metadata.js';

type Api = typeof OtelApi;

/** Where @opentelemetry/api 1.x keeps its registered globals. */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');
const TRACER_NAME = '@qplugin/go-plugin';

interface OtelGlobal {
  trace?: object;
}

let api: Api | null | undefined;
let tracerFor: object | undefined;
let tracer: OtelApi.Tracer | undefined;

/**
 * Uses `api` (the `@opentelemetry/api` module) instead of loading it. For
 * bundled applications (`qplugin pack`), where the API is inside the bundle
 * and cannot be found by name at run time: `setOpenTelemetryApi(await
 * import('@opentelemetry/api'))` once at start-up.
 */
export function setOpenTelemetryApi(module: object): void {
  api = module as Api;
  tracerFor = undefined;
}

/**
 * The application's copy of the API, resolved from its main script (or the
 * working directory): the API keeps its state in globalThis, so any 1.x copy
 * serves, and the application's is the one that registered the provider.
 * Not from this module's own URL: `import.meta` is empty in a CommonJS
 * bundle, and `qplugin pack` code-caches a plugin only when nothing it
 * bundles reads `import.meta`.
 */
function load(): Api | null {
  const main = process.argv[1];
  for (const from of [main ? resolve(main) : undefined, join(process.cwd(), 'index.js')]) {
    if (from === undefined) continue;
    try {
      return createRequire(from)('@opentelemetry/api') as Api;
    } catch {
      // Not found from there.
    }
  }
  // A tracer provider registered by an application that bundles the API: see setOpenTelemetryApi.
  return null;
}

/** The API when a tracer provider is registered; undefined (at the cost of one lookup) otherwise. */
function active(): Api | undefined {
  const registered = (globalThis as Record<symbol, OtelGlobal | undefined>)[GLOBAL_KEY]?.trace;
  if (registered === undefined) return undefined;
  if (api === undefined) api = load();
  if (api === null) return undefined;
  if (tracerFor !== registered) {
    tracer = api.trace.getTracer(TRACER_NAME);
    tracerFor = registered;
  }
  return api;
}

/** True when spans are being made (a tracer provider is registered and the API could be loaded). */
export function tracingActive(): boolean {
  return active() !== undefined;
}

// ---- W3C trace context -----------------------------------------------------

export interface TraceParent {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

const HEX = /^[0-9a-f]+$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Parses a `traceparent` value as the W3C Trace Context spec says a receiver
 * must: version `00` exactly 55 characters, later versions may append fields,
 * `ff` and all-zero ids are invalid. Anything else is undefined (start anew).
 */
export function parseTraceparent(value: string | undefined): TraceParent | undefined {
  if (value === undefined || value.length < 55 || value.length > 512) return undefined;
  const v = value.trim();
  const version = v.slice(0, 2);
  if (!HEX.test(version) || version === 'ff') return undefined;
  if (version === '00' ? v.length !== 55 : v.length > 55 && v[55] !== '-') return undefined;
  if (v[2] !== '-' || v[35] !== '-' || v[52] !== '-') return undefined;
  const traceId = v.slice(3, 35);
  const spanId = v.slice(36, 52);
  const flags = v.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(spanId) || !HEX.test(flags)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) };
}

export function formatTraceparent(p: TraceParent): string {
  return `00-${p.traceId}-${p.spanId}-${(p.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** tracestate as received: printable ASCII, bounded (the spec allows 32 members of up to 256 characters). */
function cleanTracestate(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value.length > 8192) return undefined;
  return /^[\x20-\x7e]*$/.test(value) ? value : undefined;
}

/** The W3C headers of a trace context, as carried in metadata or HTTP headers. */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

// ---- spans -------------------------------------------------------------------

/** The part of an OpenTelemetry span a handler may use, typed without the API. */
export interface TraceSpan {
  spanContext(): { traceId: string; spanId: string; traceFlags: number };
  setAttribute(key: string, value: string | number | boolean): unknown;
  addEvent(name: string, attributes?: Record<string, string | number | boolean>): unknown;
  isRecording(): boolean;
}

export interface SpanEnd {
  /** A gRPC status code, a JSON-RPC error code, or nothing for success. */
  code?: number;
  /** Status text of a failure. */
  message?: string;
  /** The code as a span attribute (e.g. `rpc.grpc.status_code`). */
  codeAttribute?: string;
  /** Whether `code` is a failure. Default: any code given. */
  failed?: boolean;
}

/** A span in progress and the context it is active in. */
export interface ActiveSpan {
  readonly span: TraceSpan;
  /** Runs `fn` with this span as the active one (so calls it makes are its children). */
  run<T>(fn: () => T): T;
  /** The W3C headers that make a remote peer continue this span's trace. */
  headers(): TraceHeaders;
  end(result?: SpanEnd): void;
}

export type SpanAttributes = Record<string, string | number | boolean>;

class Span implements ActiveSpan {
  private ended = false;

  constructor(
    private readonly otel: Api,
    readonly span: OtelApi.Span,
    private readonly ctx: OtelApi.Context,
  ) {}

  run<T>(fn: () => T): T {
    return this.otel.context.with(this.ctx, fn);
  }

  headers(): TraceHeaders {
    const sc = this.span.spanContext();
    if (!this.otel.trace.isSpanContextValid(sc)) return {};
    const out: TraceHeaders = { traceparent: formatTraceparent(sc) };
    const state = sc.traceState?.serialize();
    if (state) out.tracestate = state;
    return out;
  }

  end(result?: SpanEnd): void {
    if (this.ended) return;
    this.ended = true;
    if (result?.code !== undefined && result.codeAttribute)
      this.span.setAttribute(result.codeAttribute, result.code);
    if (result?.code !== undefined && (result.failed ?? true)) {
      this.span.setStatus({
        code: this.otel.SpanStatusCode.ERROR,
        ...(result.message ? { message: result.message } : {}),
      });
    }
    this.span.end();
  }
}

/**
 * Starts a span for work that came from a remote caller (a gRPC call a
 * plugin or brokered server handles, a JSON-RPC request): its parent is the
 * caller's span when `incoming` carries a valid `traceparent`, else it is a
 * root span. Undefined when no tracer provider is registered.
 */
export function startServerSpan(
  name: string,
  incoming: () => TraceHeaders,
  attributes?: SpanAttributes,
): ActiveSpan | undefined {
  const otel = active();
  if (!otel) return undefined;
  const { traceparent, tracestate } = incoming();
  const parent = parseTraceparent(traceparent);
  let base = otel.ROOT_CONTEXT;
  if (parent) {
    const state = cleanTracestate(tracestate);
    base = otel.trace.setSpanContext(base, {
      ...parent,
      isRemote: true,
      ...(state ? { traceState: otel.createTraceState(state) } : {}),
    });
  }
  const span = tracer!.startSpan(name, { kind: otel.SpanKind.SERVER, attributes }, base);
  return new Span(otel, span, otel.trace.setSpan(base, span));
}

/**
 * Starts a span for a call to a remote peer, child of the active span (or a
 * root span). Undefined when no tracer provider is registered.
 */
export function startClientSpan(name: string, attributes?: SpanAttributes): ActiveSpan | undefined {
  const otel = active();
  if (!otel) return undefined;
  const parent = otel.context.active();
  const span = tracer!.startSpan(name, { kind: otel.SpanKind.CLIENT, attributes }, parent);
  return new Span(otel, span, otel.trace.setSpan(parent, span));
}

// ---- gRPC --------------------------------------------------------------------

/** go-plugin's own services (health, controller, stdio, broker): plumbing, not traced. */
export function isPluginPlumbing(path: string): boolean {
  return path.startsWith('/plugin.') || path.startsWith('/grpc.health.v1.');
}

/** OpenTelemetry's RPC semantic conventions for a `/package.Service/Method` path. */
export function grpcAttributes(path: string): SpanAttributes {
  const slash = path.lastIndexOf('/');
  return {
    'rpc.system': 'grpc',
    'rpc.service': path.slice(1, slash),
    'rpc.method': path.slice(slash + 1),
  };
}

/** `metadata` (copied, never changed) with the span's trace context added. */
export function withTraceMetadata(span: ActiveSpan, metadata: Metadata | undefined): Metadata | undefined {
  const { traceparent, tracestate } = span.headers();
  if (!traceparent) return metadata;
  const md = metadata ? metadata.clone() : new Metadata();
  md.set('traceparent', traceparent);
  if (tracestate) md.set('tracestate', tracestate);
  else md.remove('tracestate');
  return md;
}

/** The trace context a gRPC call carries. */
export function traceHeadersOf(metadata: Metadata): TraceHeaders {
  const parent = metadata.get('traceparent')[0];
  const state = metadata.get('tracestate');
  return {
    traceparent: typeof parent === 'string' ? parent : undefined,
    // Several tracestate headers are one list (W3C).
    tracestate: state.length > 0 ? state.filter((s) => typeof s === 'string').join(',') : undefined,
  };
}
