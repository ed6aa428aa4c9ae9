/**
 * A window keeps its checkout session (the keys it issued, the checkouts it sent, the order versions it
 * has shown) in localStorage, per room and replica, so a reload neither reuses an idempotency key for
 * another cart nor shows an order older than before (read-your-writes and monotonic reads hold across
 * reloads). A damaged entry is reported and set aside, never half-read.
 */
import { parseSessionSnapshot, type SessionSnapshot } from '@converge/checkout';

/** The part of the Web Storage API used here. */
export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem'>;

export interface KeptCheckoutSession {
  readonly restored?: SessionSnapshot;
  /** Why the kept session could not be read (it is set aside under another key). */
  readonly problem?: string;
  persist(snapshot: SessionSnapshot): void;
}

export function checkoutSessionKey(room: string, replica: string): string {
  return `converge.checkout-session.${room}.${replica}`;
}

export function keptCheckoutSession(
  storage: KeyValueStorage | undefined,
  room: string,
  replica: string,
): KeptCheckoutSession {
  const key = checkoutSessionKey(room, replica);
  const persist = (snapshot: SessionSnapshot): void => {
    try {
      storage?.setItem(key, JSON.stringify(snapshot));
    } catch {
      // Storage full or denied: the session still works for this page, it just is not kept.
    }
  };
  const text = storage?.getItem(key) ?? null;
  if (text === null) return { persist };
  try {
    return { restored: parseSessionSnapshot(JSON.parse(text)), persist };
  } catch (error) {
    storage?.setItem(`${key}.damaged`, text);
    return {
      persist,
      problem: `the checkout session kept for this window could not be read (kept aside): ${(error as Error).message}`,
    };
  }
}
