/**
 * Time as the replica runtime sees it: a clock and one-shot timers, injected so that the same code runs
 * on real time (app, relay) and on a virtual clock (tests, the simulated network, the scenario runner).
 */

/** Cancels a scheduled callback; calling it after the callback ran (or twice) does nothing. */
export type Cancel = () => void;

export interface Timers {
  /** Milliseconds on this clock (wall clock for real timers, virtual time for VirtualClock). */
  now(): number;
  /** Run `callback` once, `ms` milliseconds from now (negative counts as 0). */
  setTimeout(callback: () => void, ms: number): Cancel;
}

/** Real time: Date.now and the host's setTimeout (present in browsers and Node alike). */
export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = globalThis.setTimeout(callback, Math.max(0, ms));
    return () => globalThis.clearTimeout(handle);
  },
};

/**
 * Run `callback` every `ms` milliseconds until cancelled. Each round is scheduled after the previous one
 * ran, so a slow round delays the next instead of piling rounds up.
 */
export function every(timers: Timers, ms: number, callback: () => void): Cancel {
  if (!(ms > 0)) throw new RangeError(`interval must be positive, got ${ms}`);
  let cancelled = false;
  let cancelCurrent: Cancel = () => {};
  const arm = (): void => {
    cancelCurrent = timers.setTimeout(() => {
      if (cancelled) return;
      arm();
      callback();
    }, ms);
  };
  arm();
  return () => {
    cancelled = true;
    cancelCurrent();
  };
}

interface VirtualTimer {
  readonly at: number;
  /** Insertion order: timers due at the same time run in the order they were scheduled. */
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A virtual clock for deterministic tests: time moves only when the test advances it, and due timers run
 * in (time, scheduling order). Nothing here reads the real clock.
 */
export class VirtualClock implements Timers {
  private time: number;
  private seq = 0;
  private live = 0;
  /** Binary min-heap on (at, seq); cancelled timers are removed lazily when they surface. */
  private readonly heap: VirtualTimer[] = [];

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): Cancel {
    const timer: VirtualTimer = {
      at: this.time + Math.max(0, Number.isFinite(ms) ? ms : 0),
      seq: this.seq++,
      callback,
      cancelled: false,
    };
    this.push(timer);
    this.live++;
    return () => {
      if (timer.cancelled) return;
      timer.cancelled = true;
      this.live--;
    };
  }

  /** Timers scheduled and neither run nor cancelled. */
  pending(): number {
    return this.live;
  }

  /** When the next timer is due, or undefined when none is pending. */
  nextAt(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.at;
  }

  /** Run the next due timer (moving time to it); false when nothing is pending. */
  step(): boolean {
    this.dropCancelled();
    const timer = this.pop();
    if (timer === undefined) return false;
    timer.cancelled = true;
    this.live--;
    this.time = Math.max(this.time, timer.at);
    timer.callback();
    return true;
  }

  /** Move time forward by `ms`, running every timer that falls due on the way (including ones they schedule). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance by ${ms}`);
    const until = this.time + ms;
    for (;;) {
      const at = this.nextAt();
      if (at === undefined || at > until) break;
      this.step();
    }
    this.time = until;
  }

  /**
   * Step until `done()` holds, checking before each step. Throws if it does not hold within `maxMs` of
   * virtual time, so a test that never settles fails instead of spinning.
   */
  runUntil(done: () => boolean, maxMs: number): void {
    const deadline = this.time + maxMs;
    while (!done()) {
      const at = this.nextAt();
      if (at === undefined)
        throw new Error(`virtual clock idle at ${this.time} ms before the condition held`);
      if (at > deadline) throw new Error(`condition did not hold within ${maxMs} virtual ms`);
      this.step();
    }
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && (this.heap[0] as VirtualTimer).cancelled) this.pop();
  }

  private push(timer: VirtualTimer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(timer, heap[parent] as VirtualTimer)) break;
      heap[i] = heap[parent] as VirtualTimer;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): VirtualTimer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && earlier(heap[right] as VirtualTimer, heap[left] as VirtualTimer)
          ? right
          : left;
      if (!earlier(heap[child] as VirtualTimer, last)) break;
      heap[i] = heap[child] as VirtualTimer;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function earlier(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
