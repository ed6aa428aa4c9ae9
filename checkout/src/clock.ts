/**
 * Time as the checkout domain sees it: injected, so the same code runs on real time (relay, app) and on a
 * virtual clock (tests, the scenario simulation). Structurally the replica runtime's `Timers`, so either
 * can be passed without this package depending on where that lives.
 */
export interface Clock {
  /** Milliseconds on this clock. */
  now(): number;
  /** Run `callback` once, `ms` from now; the returned function cancels it. */
  setTimeout(callback: () => void, ms: number): () => void;
}

/** Resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

export type Timed<T> = { readonly kind: 'answer'; readonly value: T } | { readonly kind: 'timeout' };

/**
 * The answer of `promise`, or `timeout` when none came within `ms`. A rejection is passed on. The call
 * itself is not cancelled: a late answer is simply ignored (which is why every call it wraps is idempotent).
 */
export function withTimeout<T>(clock: Clock, promise: Promise<T>, ms: number): Promise<Timed<T>> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const cancel = clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      resolve({ kind: 'timeout' });
    }, ms);
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        cancel();
        resolve({ kind: 'answer', value });
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        cancel();
        reject(error);
      },
    );
  });
}
