/**
 * A deadline per scenario. A scenario that hangs (a harness that never
 * prints, a gateway that never answers) fails by name with the processes it
 * was running, they and their descendants are killed (Go programs first asked
 * for their goroutine stacks), and the run goes on: the CI smoke run ends
 * with a reason instead of its test's timeout.
 */
import { killTracked } from './proc.js';

/** How long a scenario may still take to settle (its `finally`: servers stopped, temp dirs removed). */
const SETTLE_MS = 20_000;

export class ScenarioTimeoutError extends Error {
  override name = 'ScenarioTimeoutError';
}

/**
 * Runs `work` with a deadline. On expiry: kills every tracked child (and its
 * descendants), waits up to `settleMs` for `work` to settle, and rejects with
 * a ScenarioTimeoutError naming the scenario, its last step, what was killed
 * and the error `work` then failed with (a killed harness's stderr: a Go
 * program's stacks).
 */
export function withDeadline<T>(
  name: string,
  ms: number,
  work: () => Promise<T>,
  lastStep: () => string | undefined,
  settleMs = SETTLE_MS,
): Promise<T> {
  const running = work();
  return new Promise<T>((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      const step = lastStep();
      void killTracked().then((killed) => {
        let said = false;
        const fail = (outcome: string): void => {
          if (said) return;
          said = true;
          clearTimeout(settle);
          reject(
            new ScenarioTimeoutError(
              `${name} did not finish in ${ms / 1000} s; last step: ${step ?? '(none logged)'}; ` +
                `killed: ${killed.length > 0 ? killed.join('; ') : 'no process (it hung in the bench process)'}` +
                outcome,
            ),
          );
        };
        const settle = setTimeout(
          () => fail(`; it had not settled ${settleMs / 1000} s after that`),
          settleMs,
        );
        running.then(
          () => fail(''),
          (err: unknown) => fail(`; then it failed with: ${(err as Error).message ?? String(err)}`),
        );
      });
    }, ms);
    running.then(
      (value) => {
        if (expired) return;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (expired) return;
        clearTimeout(timer);
        reject(err as Error);
      },
    );
  });
}
