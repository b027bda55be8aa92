/**
 * A typed client whose calls go to whichever process a supervisor is
 * running when the call is made: each call first acquires the current
 * incarnation's client (at once when it is ready, else after waiting for a
 * restart, bounded by the call's deadline and the supervisor's cap).
 */
import type { DescMethod, DescService } from '@bufbuild/protobuf';

import type { BidiCall, CallOptions, Client } from '../protocol/rpc-types.js';

/** The client to use and the options to call it with (the deadline less the time spent waiting). */
export interface Acquired {
  client: Client<DescService>;
  options: CallOptions | undefined;
}

export type Acquire = (
  svc: DescService,
  options: CallOptions | undefined,
  method: DescMethod,
) => Acquired | Promise<Acquired>;

type AnyMethod = (...args: unknown[]) => unknown;

function invoke(acquired: Acquired, method: string, args: unknown[]): unknown {
  return (acquired.client as unknown as Record<string, AnyMethod>)[method]!(...args, acquired.options);
}

/** Calls `next` with the value now if it is not a promise (the common, ready case), else once it settles. */
function then<T, R>(value: T | Promise<T>, next: (v: T) => R | Promise<R>): Promise<R> {
  if (value instanceof Promise) return value.then(next);
  try {
    return Promise.resolve(next(value));
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

export function supervisedClient<S extends DescService>(svc: S, acquire: Acquire): Client<S> {
  const stub: Record<string, unknown> = {};
  for (const m of svc.methods) {
    const name = m.localName;
    switch (m.methodKind) {
      case 'unary':
      case 'client_streaming':
        stub[name] = (input: unknown, options?: CallOptions) =>
          then(acquire(svc, options, m), (a) => invoke(a, name, [input]) as Promise<unknown>);
        break;
      case 'server_streaming':
        stub[name] = (request: unknown, options?: CallOptions) =>
          (async function* () {
            const a = await acquire(svc, options, m);
            yield* invoke(a, name, [request]) as AsyncIterable<unknown>;
          })();
        break;
      case 'bidi_streaming':
        stub[name] = (options?: CallOptions) => bidi(acquire, svc, m, options);
        break;
    }
  }
  return stub as Client<S>;
}

/** A bidi call usable at once: sends wait for the underlying call; cancel also ends the wait. */
function bidi(
  acquire: Acquire,
  svc: DescService,
  m: DescMethod,
  options: CallOptions | undefined,
): BidiCall<unknown, unknown> {
  const name = m.localName;
  const cancelled = new AbortController();
  const signal = options?.signal ? AbortSignal.any([options.signal, cancelled.signal]) : cancelled.signal;
  const call = then(
    acquire(svc, { ...options, signal }, m),
    (a) => invoke(a, name, []) as BidiCall<unknown, unknown>,
  );
  // Failures surface through send() and responses; an unused call must not crash the process.
  call.catch(() => {});
  return {
    send: (message) => call.then((c) => c.send(message)),
    end: () =>
      void call.then(
        (c) => c.end(),
        () => {},
      ),
    cancel: () => {
      cancelled.abort(new Error('cancelled by the caller'));
      void call.then(
        (c) => c.cancel(),
        () => {},
      );
    },
    responses: (async function* () {
      yield* (await call).responses;
    })(),
  };
}
