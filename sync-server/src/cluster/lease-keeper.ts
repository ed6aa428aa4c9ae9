/**
 * Keeping a room's lease: renew it on a clock, and decide when this node may no longer count on it.
 * Pure logic over injected timers and an injected `renew` (a Redis call in the cluster), so tests run
 * it on a virtual clock.
 *
 * The lease is valid until the send time of the last renewal the storage confirmed, plus the lease's
 * time to live, minus a margin for clock rate differences: the storage started its TTL after it got the
 * request, so by our clock it expires no earlier than that. Each round checks expiry before renewing, so
 * a node that wakes from a pause (SIGSTOP, a long GC) gives the lease up instead of trusting it. That is
 * only this node's view: the storage's fencing check is what actually keeps a stale owner out.
 */
import type { Cancel, Timers } from '@converge/protocol';

export interface LeaseTerms {
  /** How long the storage keeps a lease nobody renews. */
  readonly ttlMs: number;
  /** How often the owner renews. */
  readonly renewEveryMs: number;
  /** How much earlier than the storage this node considers the lease gone. */
  readonly marginMs: number;
}

/** Renew three times per TTL; stop trusting the lease a tenth of the TTL (at least 50 ms) early. */
export function leaseTerms(ttlMs: number): LeaseTerms {
  if (!Number.isInteger(ttlMs) || ttlMs < 300)
    throw new RangeError(`a lease lasts at least 300 ms, got ${ttlMs}`);
  return { ttlMs, renewEveryMs: Math.floor(ttlMs / 3), marginMs: Math.max(50, Math.floor(ttlMs / 10)) };
}

/** Why a lease ended. */
export type LeaseEnd = 'expired' | 'taken' | 'released';

/** The result of one renewal: confirmed, refused (someone else holds it now), or unknown (the call failed). */
export type RenewOutcome = 'renewed' | 'refused' | 'failed';

export class LeaseKeeper {
  private validUntil: number;
  private ended: LeaseEnd | undefined;
  private renewing = false;
  private cancelRound: Cancel = () => {};
  private cancelExpiry: Cancel = () => {};

  /**
   * `acquiredAt`: when the request that took the lease was sent (by `clock`). `renew` asks the storage to
   * extend it; `onEnd` is called once, when the lease expires by this clock, is refused, or is released.
   */
  constructor(
    private readonly terms: LeaseTerms,
    private readonly clock: Timers,
    acquiredAt: number,
    private readonly renew: () => Promise<RenewOutcome>,
    private readonly onEnd: (why: LeaseEnd) => void,
  ) {
    this.validUntil = acquiredAt + terms.ttlMs - terms.marginMs;
    this.armExpiry();
    this.armRound();
  }

  /** Whether this node may still act as the owner (by its own clock). */
  isHeld(): boolean {
    return this.ended === undefined && this.clock.now() < this.validUntil;
  }

  /** Until when (this clock) the lease holds, as far as this node knows. */
  heldUntil(): number {
    return this.validUntil;
  }

  /** How the lease ended, if it did. */
  end(): LeaseEnd | undefined {
    return this.ended;
  }

  /**
   * Stop renewing (the room was released); `onEnd('released')` runs, or `onEnd('expired')` when the lease
   * had already run out by this clock (a node woken from a pause may empty the room before its expiry
   * timer fires): the room moved on, and nothing of ours is left to hand back.
   */
  release(): void {
    if (!this.checkExpiry()) this.finish('released');
  }

  private armRound(): void {
    this.cancelRound = this.clock.setTimeout(() => this.round(), this.terms.renewEveryMs);
  }

  private armExpiry(): void {
    this.cancelExpiry();
    this.cancelExpiry = this.clock.setTimeout(() => this.checkExpiry(), this.validUntil - this.clock.now());
  }

  private checkExpiry(): boolean {
    if (this.ended !== undefined) return true;
    if (this.clock.now() < this.validUntil) return false;
    this.finish('expired');
    return true;
  }

  private round(): void {
    if (this.checkExpiry()) return;
    this.armRound();
    if (this.renewing) return; // the previous renewal is still out; its expiry timer covers a hang
    this.renewing = true;
    const sentAt = this.clock.now();
    this.renew().then(
      (outcome) => {
        this.renewing = false;
        if (this.ended !== undefined) return;
        if (outcome === 'refused') this.finish('taken');
        else if (outcome === 'renewed') this.extend(sentAt + this.terms.ttlMs - this.terms.marginMs);
      },
      () => {
        this.renewing = false;
      },
    );
  }

  private extend(until: number): void {
    if (this.checkExpiry()) return; // the confirmation came too late: the lease may already be gone
    if (until <= this.validUntil) return;
    this.validUntil = until;
    this.armExpiry();
  }

  private finish(why: LeaseEnd): void {
    if (this.ended !== undefined) return;
    this.ended = why;
    this.cancelRound();
    this.cancelExpiry();
    this.onEnd(why);
  }
}
