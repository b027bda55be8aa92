/**
 * A geth-style JSON-RPC 2.0 endpoint over HTTP(S): POST only, JSON only,
 * batches, a body limit, per-call timeouts, namespaces enabled by an
 * `--http.api` list, optional bearer-token authentication per request, and a
 * shutdown that lets in-flight calls finish.
 */
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { messageOf } from '@qplugin/go-plugin/protocol';
import { startServerSpan, tracingActive } from '@qplugin/go-plugin/internal';
import { silentLogger } from '@qplugin/go-plugin/protocol';
import type { Logger } from '@qplugin/go-plugin/protocol';

import { stringifyJson } from '../json-text.js';
import { http } from '../node-http.js';
import { CallDeadlines, CallTimeoutError } from './deadlines.js';
import type { CallScope, Clock } from './deadlines.js';
import {
  errorResponse,
  ErrorCode,
  nestsDeeperThan,
  parseMessage,
  RpcMethodError,
  splitMethod,
} from './jsonrpc.js';
import type { JsonRpcRequest, JsonRpcResponse } from './jsonrpc.js';

export interface CallContext {
  /**
   * Aborted when the call times out or the server stops. Made when first read:
   * handlers that do not need it cost nothing for it. A call that runs past
   * its time limit is answered `request timed out` whether or not its handler
   * reads the signal.
   */
  readonly signal: AbortSignal;
}

export type RpcHandler = (params: unknown, ctx: CallContext) => Promise<unknown>;

/** A namespace of methods, e.g. `plugin@helloworld` with `greeting`. */
export interface RpcApi {
  namespace: string;
  methods: Readonly<Record<string, RpcHandler>>;
}

/** Checks one call against what the request's token allows; throws an RpcMethodError (-32001) to refuse. */
export type AccessCheck = (namespace: string, method: string) => void;

export interface RpcAuth {
  /** Called once per HTTP request with its Authorization header. */
  authenticate(authorization: string | undefined): Promise<AccessCheck>;
}

/** One answered call, for metrics. */
export interface GatewayCallEvent {
  /** The method called; undefined when the gateway does not serve it (unbounded names stay out of labels). */
  method: string | undefined;
  /** The JSON-RPC error code of the answer; undefined for a result. */
  code: number | undefined;
  /** From the call's dispatch to its answer, in milliseconds (fractional). */
  durationMs: number;
}

/** Told of every call (each call of a batch) when it is answered. Must be cheap; must not throw. */
export type GatewayObserver = (event: GatewayCallEvent) => void;

export interface JsonRpcGatewayOptions {
  apis: readonly RpcApi[];
  /** Namespaces to expose, like geth's --http.api (e.g. `admin,plugin@helloworld`). */
  enabled: readonly string[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8545; 0 picks a free port. */
  port?: number;
  /** HTTPS when set (the security plugin's TLS configuration). */
  tls?: HttpsOptions;
  auth?: RpcAuth;
  /** Request body limit. Default 5 MiB, geth's. */
  bodyLimit?: number;
  /** Largest batch. Default 1000, geth's. */
  batchLimit?: number;
  /** Per-call time limit. Default 30 s. */
  callTimeoutMs?: number;
  /** How long stop() waits for in-flight requests. Default 5 s. */
  drainTimeoutMs?: number;
  logger?: Logger;
  /** Time source and timer of the call time limits (tests inject one). */
  clock?: Clock;
  /** Metrics hook: every call that names a method, when answered. */
  observer?: GatewayObserver;
}

/** A method with its name split once, at construction, not per call. */
interface Method {
  handler: RpcHandler;
  namespace: string;
  method: string;
  /** Its span attributes, made once (used only when tracing). */
  attributes: Record<string, string>;
}

type Access = () => Promise<AccessCheck | undefined>;
const NO_AUTH: Access = () => Promise.resolve(undefined);

const JSON_TYPE = 'application/json';

function reply(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) }).end(body);
}

/** The media type of a Content-Type header, lower case, without parameters. */
function mediaType(header: string | undefined): string {
  if (header === undefined) return '';
  if (header === JSON_TYPE) return header;
  return header.split(';')[0]!.trim().toLowerCase();
}

export class JsonRpcGateway {
  private server: Server | undefined;
  private readonly methods = new Map<string, Method>();
  /** HTTP requests being handled, and who waits for them to reach 0 (stop). */
  private active = 0;
  private drained: (() => void) | undefined;
  private readonly stopping = new AbortController();
  private readonly deadlines: CallDeadlines;
  private readonly logger: Logger;

  constructor(private readonly options: JsonRpcGatewayOptions) {
    this.logger = options.logger ?? silentLogger;
    this.deadlines = new CallDeadlines(options.callTimeoutMs ?? 30_000, options.clock);
    const enabled = new Set(options.enabled);
    for (const api of options.apis) {
      if (!enabled.has(api.namespace)) continue;
      for (const [name, handler] of Object.entries(api.methods)) {
        const full = `${api.namespace}_${name}`;
        const parts = splitMethod(full);
        // A name geth could not route (e.g. an empty method) stays unreachable, as before.
        if (parts) this.methods.set(full, { handler, ...parts, attributes: spanAttributes(parts) });
      }
    }
  }

  /** Starts listening; resolves with the URL. */
  async start(): Promise<string> {
    const done = (): void => {
      if (--this.active === 0) this.drained?.();
    };
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.active++;
      this.handle(req, res).then(done, (err: unknown) => {
        this.logger.error('JSON-RPC request failed', { error: err });
        if (!res.headersSent) res.writeHead(500).end();
        done();
      });
    };
    const server = this.options.tls
      ? createHttpsServer(this.options.tls, handler)
      : http.createServer(handler);
    server.requestTimeout = (this.options.callTimeoutMs ?? 30_000) + 10_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 8545, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const { address, port } = server.address() as AddressInfo;
    const url = `${this.options.tls ? 'https' : 'http'}://${address}:${port}`;
    this.logger.info('HTTP server started', { endpoint: url, apis: [...this.options.enabled] });
    return url;
  }

  /** Stops accepting requests, lets in-flight ones finish (bounded), then closes connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const drained =
      this.active === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.drained = resolve));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.drainTimeoutMs ?? 5000);
    });
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    this.drained = undefined;
    this.stopping.abort();
    this.deadlines.abortAll(this.stopping.signal.reason);
    server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return reply(res, 405, 'method not allowed\n');
    if (mediaType(req.headers['content-type']) !== JSON_TYPE)
      return reply(res, 415, 'invalid content type, only application/json is supported\n');
    const limit = this.options.bodyLimit ?? 5 * 1024 * 1024;
    if (Number(req.headers['content-length'] ?? 0) > limit)
      return reply(res, 413, 'content length too large\n');
    const body = await readBody(req, limit);
    if (body === undefined) {
      res.setHeader('connection', 'close');
      return reply(res, 413, 'content length too large\n');
    }

    const answer = await this.answer(body, req.headers);
    if (answer === undefined) return reply(res, 200, '', JSON_TYPE);
    const text = Array.isArray(answer) ? `[${answer.map(encodeResponse).join(',')}]` : encodeResponse(answer);
    reply(res, 200, text + '\n', JSON_TYPE);
  }

  /** The response body for a request body: one response, an array, or nothing (only notifications). */
  private async answer(
    body: string,
    headers: IncomingHttpHeaders,
  ): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return errorResponse(null, ErrorCode.parse, 'parse error');
    }
    if (nestsDeeperThan(body)) return errorResponse(null, ErrorCode.parse, 'parse error');
    const access = this.access(headers.authorization);
    if (!Array.isArray(value)) return this.one(value, access, headers);
    if (value.length === 0) return errorResponse(null, ErrorCode.invalidRequest, 'empty batch');
    if (value.length > (this.options.batchLimit ?? 1000)) {
      return errorResponse(null, ErrorCode.server, 'batch too large');
    }
    const results = await Promise.all(value.map((v) => this.one(v, access, headers)));
    const responses = results.filter((r): r is JsonRpcResponse => r !== undefined);
    return responses.length > 0 ? responses : undefined;
  }

  /** Authenticates lazily: only requests that reach a method need a token. */
  private access(authorization: string | undefined): Access {
    const auth = this.options.auth;
    if (!auth) return NO_AUTH;
    let check: Promise<AccessCheck> | undefined;
    return () => (check ??= auth.authenticate(authorization));
  }

  private async one(
    value: unknown,
    access: Access,
    headers: IncomingHttpHeaders,
  ): Promise<JsonRpcResponse | undefined> {
    const parsed = parseMessage(value);
    if (parsed.kind === 'invalid') return parsed.response;
    const { request, notification } = parsed;
    const response = await this.observed(request, access, headers);
    return notification ? undefined : response;
  }

  /**
   * The call, with its span (continuing the request's `traceparent`) when a
   * tracer provider is registered and its event when an observer is set;
   * neither costs more than a check otherwise.
   */
  private observed(
    request: JsonRpcRequest,
    access: Access,
    headers: IncomingHttpHeaders,
  ): Promise<JsonRpcResponse> {
    const method = this.methods.get(request.method);
    const observer = this.options.observer;
    const span =
      method && tracingActive()
        ? startServerSpan(request.method, () => traceHeaders(headers), method.attributes)
        : undefined;
    if (!observer && !span) return this.call(request, method, access);
    const startedAt = performance.now();
    const answered = span
      ? span.run(() => this.call(request, method, access))
      : this.call(request, method, access);
    return answered.then((response) => {
      const code = response.error?.code;
      span?.end({ code, message: response.error?.message, codeAttribute: 'rpc.jsonrpc.error_code' });
      if (observer) {
        try {
          observer({ method: method && request.method, code, durationMs: performance.now() - startedAt });
        } catch {
          // A metrics bug must not change the answer.
        }
      }
      return response;
    });
  }

  private async call(
    request: JsonRpcRequest,
    method: Method | undefined,
    access: Access,
  ): Promise<JsonRpcResponse> {
    const id = request.id ?? null;
    if (!method) {
      return errorResponse(
        id,
        ErrorCode.methodNotFound,
        `the method ${request.method} does not exist/is not available`,
      );
    }
    // The time limit covers authentication too.
    const scope: CallScope = this.deadlines.start(this.stopping.signal);
    try {
      const check = await access();
      check?.(method.namespace, method.method);
      const result = await scope.settle(method.handler(request.params, scope));
      return { jsonrpc: '2.0', id, result: result === undefined ? null : result };
    } catch (err) {
      if (err instanceof RpcMethodError) return errorResponse(id, err.code, err.message, err.data);
      if (err instanceof CallTimeoutError || scope.timedOut)
        return errorResponse(id, ErrorCode.server, 'request timed out');
      // Plugin errors (gRPC statuses) and everything else: geth's generic -32000 with the error text.
      const message = messageOf(err);
      return errorResponse(id, ErrorCode.server, message);
    } finally {
      this.deadlines.finish(scope);
    }
  }
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The W3C trace context of an HTTP request (several tracestate headers are one list). */
function traceHeaders(headers: IncomingHttpHeaders): { traceparent?: string; tracestate?: string } {
  const state = headers.tracestate;
  return {
    traceparent: first(headers.traceparent),
    tracestate: Array.isArray(state) ? state.join(',') : state,
  };
}

function spanAttributes(method: { namespace: string; method: string }): Record<string, string> {
  return {
    'rpc.system': 'jsonrpc',
    'rpc.jsonrpc.version': '2.0',
    'rpc.service': method.namespace,
    'rpc.method': method.method,
  };
}

/**
 * One response as JSON text. Results and error data can nest as deep as a
 * request may (10,000 levels, past JSON.stringify's reach), hence
 * stringifyJson; what JSON cannot hold (a BigInt, a cycle from a handler)
 * becomes that call's internal error instead of failing the whole reply.
 */
function encodeResponse(response: JsonRpcResponse): string {
  try {
    return stringifyJson(response) ?? 'null';
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return JSON.stringify(
      errorResponse(response.id, ErrorCode.internal, `response could not be encoded: ${why}`),
    );
  }
}

/** Reads the body up to `limit` bytes; undefined when it is larger. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    // Small JSON-RPC bodies arrive in one chunk: keep it as it is, no array, no copy.
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Drain and drop the rest so the 413 can still be written.
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      if (first === undefined) first = chunk;
      else (more ??= [first]).push(chunk);
    });
    req.once('end', () => {
      const body = more ? Buffer.concat(more, size) : first;
      resolve(body === undefined ? '' : body.toString('utf8'));
    });
    req.once('error', reject);
  });
}
