/**
 * OpenTelemetry's SDK set up for a test process (the host, or a plugin):
 * every finished span kept by the SDK's in-memory exporter, the active span
 * carried across awaits by the AsyncLocalStorage context manager. Spans are
 * turned into plain records so that a plugin can hand its own to the test.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import type { SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface SpanRecord {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  traceState: string | undefined;
  attributes: Record<string, unknown>;
  /** 0 unset, 1 ok, 2 error. */
  status: number;
  /** Which process made it (set by the test). */
  process?: string;
}

export interface InMemoryTracing {
  exporter: InMemorySpanExporter;
  records(): SpanRecord[];
  shutdown(): Promise<void>;
}

/** Registers a tracer provider and context manager globally for this process. */
export function registerInMemoryTracing(): InMemoryTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return {
    exporter,
    records: () => exporter.getFinishedSpans().map(toRecord),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

export function toRecord(span: ReadableSpan): SpanRecord {
  const sc = span.spanContext();
  return {
    name: span.name,
    kind: span.kind,
    traceId: sc.traceId,
    spanId: sc.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    traceState: sc.traceState?.serialize(),
    attributes: { ...span.attributes },
    status: span.status.code,
  };
}

const KIND = ['internal', 'server', 'client', 'producer', 'consumer'];

/** The spans as an indented tree (children under their parent), one line each. */
export function formatSpanTree(spans: readonly SpanRecord[], rootParent?: string): string {
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    for (const s of spans.filter((x) => x.parentSpanId === parent)) {
      const status = s.status === 2 ? ' ERROR' : '';
      lines.push(
        `${'  '.repeat(depth)}${s.name} [${KIND[s.kind] ?? s.kind}${s.process ? `, ${s.process}` : ''}${status}] span ${s.spanId}`,
      );
      walk(s.spanId, depth + 1);
    }
  };
  walk(rootParent, 0);
  return lines.join('\n');
}
