/**
 * Time for tests that drive a replica on a virtual clock, so what they check does not depend on the
 * machine's speed.
 */
import type { VirtualClock } from '@converge/protocol';

/** `ms` of timers, with the promise chains run between them as an event loop runs them between tasks. */
export async function runTimers(clock: VirtualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    clock.advance(100);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A monotonic clock that moves on `stepMs` at every reading: what the runtime measures of an edit (whether
 * an engine falls behind on it, the pieces it catches up in) is the same on every machine.
 */
export function steppedNow(stepMs: number): () => number {
  let now = 0;
  return () => {
    now += stepMs;
    return now;
  };
}
