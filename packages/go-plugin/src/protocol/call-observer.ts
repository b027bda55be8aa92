/**
 * A hook on the outgoing gRPC calls of a client: one event per call, when it
 * ends, with the method, its status code and how long it took. For metrics
 * (the Quorum manager feeds Prometheus from it); unset, it costs nothing.
 */
import type { Status } from './grpc/status.js';

export interface CallEvent {
  /** `/package.Service/Method`. */
  method: string;
  /** The final status: OK, the peer's status, or the local one (deadline, cancel, plugin gone). */
  code: Status;
  /** From the call to its status, in milliseconds (fractional). */
  durationMs: number;
}

/** Called once per call, after it ended. Must not throw (it is not awaited; errors are dropped). */
export type CallObserver = (event: CallEvent) => void;

/** Reports to `observer`, never letting its failure reach the call. */
export function report(observer: CallObserver, method: string, code: Status, startedAt: number): void {
  try {
    observer({ method, code, durationMs: performance.now() - startedAt });
  } catch {
    // An observer's bug must not change the call's outcome.
  }
}
