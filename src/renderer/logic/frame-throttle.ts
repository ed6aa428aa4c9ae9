/**
 * A `schedule` for work that follows a stream of changes (the Compare cards' texts): one run in an
 * animation frame, and no sooner than `interval` ms after the previous run started. While a peer types
 * ~15 keys a second, every window then lays out and paints its cards a few times a second instead of
 * once per key; after the last change the run still comes (within `interval` and a frame), so what the
 * cards show once settled is unchanged. The first change after a quiet spell runs in the next frame.
 */
export interface FrameThrottleOptions {
  /** The least time between the starts of two runs (ms). */
  readonly interval: number;
  /** The clock (ms), e.g. `performance.now`. */
  readonly now: () => number;
  /** Runs its callback before the next paint, e.g. `requestAnimationFrame`. */
  readonly requestFrame: (callback: () => void) => void;
  /** Runs its callback after `ms`, e.g. `setTimeout`. */
  readonly setTimer: (callback: () => void, ms: number) => void;
}

/** The caller asks again only after its run (as `TextComparisons` does): one request is pending at most. */
export function frameThrottle({
  interval,
  now,
  requestFrame,
  setTimer,
}: FrameThrottleOptions): (run: () => void) => void {
  let lastStart = Number.NEGATIVE_INFINITY;
  return (run) => {
    const inFrame = (): void =>
      requestFrame(() => {
        lastStart = now();
        run();
      });
    const wait = lastStart + interval - now();
    if (wait <= 0) inFrame();
    else setTimer(inFrame, wait);
  };
}
