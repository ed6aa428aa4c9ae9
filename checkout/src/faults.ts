/**
 * Failures injected into a simulated service: the next N calls fail (answered with a failure, nothing
 * done) or time out (done, but the answer never arrives — the case idempotency keys exist for), and a
 * latency added to every answer.
 */
export const FAULT_MODES = ['error', 'timeout'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export class FaultPlan {
  private readonly queue: FaultMode[] = [];
  private latency = 0;

  /** The next `calls` calls fail in `mode` (after those already planned). */
  failNext(calls: number, mode: FaultMode = 'error'): void {
    if (!Number.isSafeInteger(calls) || calls < 0) throw new RangeError(`calls must be a whole number ≥ 0`);
    for (let i = 0; i < calls; i++) this.queue.push(mode);
  }

  /** Every answer arrives `ms` after the call. */
  setLatency(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`latency must be ≥ 0 ms`);
    this.latency = ms;
  }

  get latencyMs(): number {
    return this.latency;
  }

  /** Failures still planned. */
  pending(): number {
    return this.queue.length;
  }

  /** The fault for the call being made now, if one is planned. */
  take(): FaultMode | undefined {
    return this.queue.shift();
  }

  clear(): void {
    this.queue.length = 0;
  }
}
