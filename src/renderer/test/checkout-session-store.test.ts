import { describe, expect, it } from 'vitest';
import { checkoutSessionKey, keptCheckoutSession } from '../logic/checkout-session-store.ts';

class MapStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('the kept checkout session', () => {
  it('restores what a previous page of the window kept, so keys are not reused', () => {
    const storage = new MapStorage();
    keptCheckoutSession(storage, 'r', 'a').persist({ sent: [], seen: [['o1', 4]], keysIssued: 3 });
    const kept = keptCheckoutSession(storage, 'r', 'a');
    expect(kept.restored).toEqual({ sent: [], seen: [['o1', 4]], keysIssued: 3 });
    expect(keptCheckoutSession(storage, 'r', 'b').restored).toBeUndefined();
  });

  it('sets a damaged entry aside and says so', () => {
    const storage = new MapStorage();
    storage.setItem(checkoutSessionKey('r', 'a'), '{"sent":"nope"}');
    const kept = keptCheckoutSession(storage, 'r', 'a');
    expect(kept.restored).toBeUndefined();
    expect(kept.problem).toMatch(/could not be read/);
    expect(storage.getItem(`${checkoutSessionKey('r', 'a')}.damaged`)).toBe('{"sent":"nope"}');
  });
});
