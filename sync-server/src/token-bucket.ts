/**
 * A token bucket: `rate` tokens per second refill up to `burst`; each frame takes one.
 * Pure: the caller passes the time, so a manual clock drives it in tests.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Take one token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Take `count` more tokens for what was already let through (a bundle's other entries), into debt if
   * need be: the frames that follow wait until the bucket has refilled past it.
   */
  charge(now: number, count: number): void {
    this.refill(now);
    this.tokens -= count;
  }

  /** Whether the bucket has refilled completely (nothing taken recently). */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    // A clock that steps backwards refills nothing rather than draining the bucket.
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
  }
}
