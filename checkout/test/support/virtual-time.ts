/** Running checkout code on a virtual clock: timers fire in order, with promise work between them. */
import { VirtualClock } from '@converge/protocol';

export { VirtualClock };

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Let promise work settle without moving time. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await nextTick();
}

/** Move time forward by `ms`, running each due timer and letting promise work happen after it. */
export async function runFor(clock: VirtualClock, ms: number): Promise<void> {
  const until = clock.now() + ms;
  await settle();
  for (let at = clock.nextAt(); at !== undefined && at <= until; at = clock.nextAt()) {
    clock.step();
    await settle();
  }
  clock.advance(until - clock.now());
  await settle();
}

/** Run time until `done()` holds; throws after `maxMs` of virtual time. */
export async function runUntil(clock: VirtualClock, done: () => boolean, maxMs = 60_000): Promise<void> {
  const deadline = clock.now() + maxMs;
  await settle();
  while (!done()) {
    const at = clock.nextAt();
    if (at === undefined || at > deadline)
      throw new Error(`condition did not hold within ${maxMs} virtual ms`);
    clock.step();
    await settle();
  }
}

/** Resolve `promise` by running time (it needs timers to settle). */
export async function resolveIn<T>(clock: VirtualClock, promise: Promise<T>, maxMs = 60_000): Promise<T> {
  let result: { value: T } | { error: unknown } | undefined;
  promise.then(
    (value) => {
      result = { value };
    },
    (error: unknown) => {
      result = { error };
    },
  );
  await runUntil(clock, () => result !== undefined, maxMs);
  const settled = result as { value: T } | { error: unknown };
  if ('error' in settled) throw settled.error;
  return settled.value;
}
