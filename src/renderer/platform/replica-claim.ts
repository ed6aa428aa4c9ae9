/**
 * One live writer per replica id in a browser. The browser's "Duplicate tab" copies the URL, ?replica=
 * included; two tabs writing as one replica number their edits alike (the converge and lww engines then
 * drop one tab's edits as duplicates) and take each other's relay connection. So a tab holds its replica
 * id for as long as it lives, and a tab whose id is taken becomes a new replica.
 *
 * The hold is a Web Lock (navigator.locks) named after the id: the browser releases it when the tab
 * closes, crashes or navigates away, and grants it to exactly one tab. Where Web Locks are missing (a page
 * that is not a secure context) tabs ask each other over a BroadcastChannel instead: a claim is answered
 * by the tab holding the id, and two tabs claiming at once settle it by their random nonces.
 */

/** The part of the Web Locks API used here (`navigator.locks`). */
export interface LockManagerLike {
  request(
    name: string,
    options: { ifAvailable: true },
    callback: (lock: unknown) => unknown,
  ): Promise<unknown>;
}

/** The part of `BroadcastChannel` used here. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

/** Holds replica ids for this tab: `hold(id)` answers whether it got it (and then keeps it). */
export interface ReplicaHolds {
  hold(replicaId: string): Promise<boolean>;
}

export interface ClaimedReplica {
  readonly replicaId: string;
  /** The id the page asked for when another tab holds it (this tab then hosts `replicaId` instead). */
  readonly taken?: string;
}

const LOCK_PREFIX = 'converge-replica:';
const MAX_ATTEMPTS = 20;

/** The replica this tab hosts: `wanted` if no other tab holds it, else a fresh id (held from now on). */
export async function claimReplica(
  holds: ReplicaHolds,
  wanted: string,
  fresh: () => string,
): Promise<ClaimedReplica> {
  if (await holds.hold(wanted)) return { replicaId: wanted };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const replicaId = fresh();
    if (replicaId !== wanted && (await holds.hold(replicaId))) return { replicaId, taken: wanted };
  }
  throw new Error(`replica ${wanted} is open in another tab and no free replica id was found`);
}

/** Message for the user when this tab could not have the replica it was opened with. */
export function takenNotice(claim: ClaimedReplica): string | undefined {
  if (claim.taken === undefined) return undefined;
  return `Replica ${claim.taken} is already open in another tab, so this tab is a new replica, ${claim.replicaId}, with its own data; it syncs with ${claim.taken} through the relay.`;
}

/** Holds as Web Locks, kept until the tab goes away. */
export function webLockHolds(locks: LockManagerLike): ReplicaHolds {
  return {
    hold: (replicaId) =>
      new Promise<boolean>((resolve, reject) => {
        locks
          .request(`${LOCK_PREFIX}${replicaId}`, { ifAvailable: true }, (lock) => {
            if (lock === null) {
              resolve(false);
              return undefined;
            }
            resolve(true);
            // Never settles: the lock is held until the page is gone.
            return new Promise<never>(() => {});
          })
          .catch(reject);
      }),
  };
}

type ClaimMessage =
  | { readonly kind: 'claim'; readonly replicaId: string; readonly nonce: number }
  | { readonly kind: 'taken'; readonly replicaId: string; readonly nonce: number };

function isClaimMessage(value: unknown): value is ClaimMessage {
  const m = value as Partial<ClaimMessage> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    (m.kind === 'claim' || m.kind === 'taken') &&
    typeof m.replicaId === 'string' &&
    typeof m.nonce === 'number'
  );
}

/**
 * Holds announced over a channel every tab of the origin shares. A claim waits `waitMs` for an answer:
 * the holder of the id answers "taken"; another tab claiming the same id meanwhile loses if its nonce is
 * higher. Weaker than a lock (a tab too busy to answer in time is missed), so only the fallback.
 */
export function broadcastHolds(
  channel: ChannelLike,
  options: { readonly waitMs: number; readonly nonce: () => number },
): ReplicaHolds {
  const held = new Set<string>();
  const pending = new Map<string, { readonly nonce: number; lost: boolean }>();
  channel.addEventListener('message', ({ data }) => {
    if (!isClaimMessage(data)) return;
    const mine = pending.get(data.replicaId);
    if (data.kind === 'taken') {
      if (mine !== undefined && mine.nonce === data.nonce) mine.lost = true;
      return;
    }
    if (held.has(data.replicaId)) {
      channel.postMessage({ kind: 'taken', replicaId: data.replicaId, nonce: data.nonce });
    } else if (mine !== undefined && data.nonce !== mine.nonce) {
      // Two tabs claim at once: the lower nonce wins.
      if (data.nonce < mine.nonce) mine.lost = true;
      else channel.postMessage({ kind: 'taken', replicaId: data.replicaId, nonce: data.nonce });
    }
  });
  return {
    hold: async (replicaId) => {
      if (held.has(replicaId)) return false;
      const claim = { nonce: options.nonce(), lost: false };
      pending.set(replicaId, claim);
      channel.postMessage({ kind: 'claim', replicaId, nonce: claim.nonce });
      await new Promise((resolve) => setTimeout(resolve, options.waitMs));
      pending.delete(replicaId);
      if (claim.lost) return false;
      held.add(replicaId);
      return true;
    },
  };
}
