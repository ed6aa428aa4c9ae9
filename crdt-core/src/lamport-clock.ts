import { requireNonNegativeSafeInteger } from './safe-integer.ts';

/**
 * Lamport's logical clock: a counter that ticks on every local event and jumps past any time it
 * receives, so an event always carries a larger time than every event it could know about.
 * MUTABLE.
 */
export class LamportClock {
  private current: number;

  constructor(start = 0) {
    this.current = requireNonNegativeSafeInteger(start, 'start time');
  }

  /** The time of the latest event (0 before any). */
  get time(): number {
    return this.current;
  }

  /** A local event: returns its time. */
  tick(): number {
    return this.advanceTo(this.current + 1);
  }

  /** Receiving a message stamped `remote`: the receive event's time, above both clocks. */
  observe(remote: number): number {
    requireNonNegativeSafeInteger(remote, 'remote time');
    return this.advanceTo(Math.max(this.current, remote) + 1);
  }

  private advanceTo(time: number): number {
    if (!Number.isSafeInteger(time)) throw new RangeError('Lamport time would overflow');
    this.current = time;
    return time;
  }
}
