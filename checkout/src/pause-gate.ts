/**
 * Pausing a holder, as a stop-the-world pause (a long GC, SIGSTOP, a VM migration) does: every effect a
 * holder makes passes the gate first; once paused, nothing passes until resumed — not its saga steps,
 * not its lease renewals — and then everything continues as if no time had passed. The holder checks its
 * lease before the gate, so a pause right there is exactly the case fencing exists for.
 */
import { SAGA_STEPS } from './order.ts';

/** Where a holder passes the gate: before a saga step's effect, or before recording an outcome. */
export const GATE_POINTS = [...SAGA_STEPS, 'record', 'take-over', 'set-stock'] as const;
export type GatePoint = (typeof GATE_POINTS)[number];

export class PauseGate {
  /** Asked to pause: at once (no point), or when it next reaches `before`. */
  private armed: { readonly before: GatePoint | undefined } | undefined;
  /** Paused: where it froze (undefined: at once, wherever it was). */
  private frozen: { readonly at: GatePoint | undefined } | undefined;
  private waiters: (() => void)[] = [];

  pause(before?: GatePoint): void {
    this.armed = { before };
    if (before === undefined) this.frozen ??= { at: undefined };
  }

  resume(): void {
    this.armed = undefined;
    this.frozen = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Frozen: nothing passes. */
  isPaused(): boolean {
    return this.frozen !== undefined;
  }

  /** Where it froze, while paused at a point. */
  pausedAt(): GatePoint | undefined {
    return this.frozen?.at;
  }

  /** A pause is asked for that has not yet taken effect (it waits for its point). */
  isArmed(): boolean {
    return this.armed !== undefined && this.frozen === undefined;
  }

  /** Resolves at once, or — paused, or reaching the point a pause waits for — when resumed. */
  pass(point: GatePoint): Promise<void> {
    if (this.frozen === undefined && this.armed !== undefined && this.armed.before === point)
      this.frozen = { at: point };
    if (this.frozen === undefined) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
