/**
 * Leases on a room's authority: one holder at a time, for a limited time, each lease with a fencing token
 * larger than every one before it. A holder renews its lease while it runs; one that stops (paused,
 * partitioned, crashed) loses it when it runs out, and the next holder gets the next token.
 *
 * In one relay the keeper is local (`LocalLeaseKeeper`); in a cluster it is shared (a Redis key set with
 * NX and PX, the token from INCR), behind the same interface.
 */
import type { Clock } from './clock.ts';
import type { FencingToken } from './fencing.ts';

export interface Lease {
  readonly holder: string;
  readonly token: FencingToken;
  /** On the keeper's clock. */
  readonly expiresAt: number;
}

export interface LeaseKeeper {
  /** A new lease for `holder`, or undefined while another holder's lease runs. */
  acquire(holder: string, ttlMs: number): Promise<Lease | undefined>;
  /** The same lease (same token) for another `ttlMs`, or undefined when it was lost. */
  renew(lease: Lease, ttlMs: number): Promise<Lease | undefined>;
  /** The lease that runs now, if any. */
  current(): Promise<Lease | undefined>;
}

export function leaseRuns(lease: Lease | undefined, now: number): lease is Lease {
  return lease !== undefined && now < lease.expiresAt;
}

/**
 * Leases in one process. Tokens continue from `lastToken` — the largest fence the room's stores have
 * seen (read at startup), so tokens keep growing across restarts.
 */
export class LocalLeaseKeeper implements LeaseKeeper {
  private lease: Lease | undefined;

  constructor(
    private readonly clock: Clock,
    private lastToken: FencingToken = 0,
  ) {}

  async acquire(holder: string, ttlMs: number): Promise<Lease | undefined> {
    const now = this.clock.now();
    if (leaseRuns(this.lease, now)) return undefined;
    this.lastToken++;
    this.lease = { holder, token: this.lastToken, expiresAt: now + ttlMs };
    return this.lease;
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const now = this.clock.now();
    if (this.lease?.token !== lease.token || !leaseRuns(this.lease, now)) return undefined;
    this.lease = { ...lease, expiresAt: now + ttlMs };
    return this.lease;
  }

  async current(): Promise<Lease | undefined> {
    return leaseRuns(this.lease, this.clock.now()) ? this.lease : undefined;
  }
}
