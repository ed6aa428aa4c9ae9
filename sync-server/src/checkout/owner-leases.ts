/**
 * The checkout authority's leases on a cluster node: derived from the node's lease on the room (Redis,
 * ../cluster), so the authority's fencing tokens grow with every change of owner. A holder's token is
 * `roomToken × TOKENS_PER_OWNERSHIP + n`: every holder of a later owner outranks every holder of an
 * earlier one, and within one ownership each new holder (after a pause, say) outranks the one before.
 * A lease runs only while the room's lease holds; the shared storage refuses a write under a room token
 * that is not the live one anyway (the Lua check), so this is the node's own early stop.
 */
import { type FencingToken, type Lease, type LeaseKeeper, leaseRuns } from '@converge/checkout';
import type { Timers } from '@converge/protocol';
import type { RoomLease } from '../room-ownership.ts';

/** How many holders one ownership of a room may start; far more than leases and pauses ever need. */
export const TOKENS_PER_OWNERSHIP = 1_000_000;

/** The first checkout token an ownership with room token `roomToken` hands out. */
export function firstTokenOf(roomToken: number): FencingToken {
  return roomToken * TOKENS_PER_OWNERSHIP + 1;
}

/** The room token a checkout token was handed out under. */
export function roomTokenOf(token: FencingToken): number {
  return Math.floor((token - 1) / TOKENS_PER_OWNERSHIP);
}

export class OwnerLeases implements LeaseKeeper {
  private lease: Lease | undefined;
  private next: FencingToken;

  /** `fence`: the largest token the room's checkout state has seen (a holder always starts above it). */
  constructor(
    private readonly room: RoomLease,
    private readonly clock: Pick<Timers, 'now'>,
    fence: FencingToken,
  ) {
    if (!Number.isSafeInteger(firstTokenOf(room.token) + TOKENS_PER_OWNERSHIP))
      throw new RangeError(`room token ${room.token} is too large for checkout tokens`);
    this.next = Math.max(firstTokenOf(room.token), fence + 1);
  }

  async acquire(holder: string, ttlMs: number): Promise<Lease | undefined> {
    const now = this.clock.now();
    if (!this.room.isHeld() || leaseRuns(this.lease, now)) return undefined;
    if (roomTokenOf(this.next) !== this.room.token)
      throw new RangeError(
        `room ${this.room.room} ran out of checkout tokens for room token ${this.room.token}`,
      );
    this.lease = { holder, token: this.next++, expiresAt: now + ttlMs };
    return this.lease;
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    const now = this.clock.now();
    if (!this.room.isHeld() || this.lease?.token !== lease.token || !leaseRuns(this.lease, now))
      return undefined;
    this.lease = { ...lease, expiresAt: now + ttlMs };
    return this.lease;
  }

  async current(): Promise<Lease | undefined> {
    return this.room.isHeld() && leaseRuns(this.lease, this.clock.now()) ? this.lease : undefined;
  }
}
