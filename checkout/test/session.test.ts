import { describe, expect, it } from 'vitest';
import { type OrderRecord, OrderSession } from '../src/index.ts';

const order = (version: number, phase: OrderRecord['phase'], replica = 'a'): OrderRecord => ({
  id: 'o1',
  replica,
  key: 'k1',
  lines: [['kiwi', 1]],
  amount: 100,
  placedAt: 10,
  phase,
  attempts: { charge: 0, ship: 0 },
  charge: 'none',
  shipment: 'none',
  token: 1,
  version,
  history: [],
});

describe('session guarantees', () => {
  it('read-your-writes: a sent checkout is shown until its order arrives, then the order', () => {
    const session = new OrderSession('a');
    session.recordSent('k1', [['kiwi', 1]], 5);
    expect(session.pending()).toEqual([{ key: 'k1', lines: [['kiwi', 1]], sentAt: 5 }]);
    expect(session.acceptOrder(order(3, 'placed'))).toBe(true);
    expect(session.pending()).toEqual([]);
    expect(session.ownOrder('k1')?.phase).toBe('placed');
  });

  it("another window's order does not settle this window's checkout under the same key", () => {
    const session = new OrderSession('a');
    session.recordSent('k1', [['kiwi', 1]], 5);
    session.acceptOrder(order(3, 'placed', 'b'));
    expect(session.pending()).toHaveLength(1);
    expect(session.ownOrder('k1')).toBeUndefined();
  });

  it('monotonic reads: an older view of an order or of stock is ignored and counted', () => {
    const session = new OrderSession('a');
    expect(session.acceptOrder(order(7, 'confirmed'))).toBe(true);
    expect(session.acceptOrder(order(4, 'charging'))).toBe(false);
    expect(session.acceptOrder(order(7, 'confirmed'))).toBe(false); // a duplicate, not stale
    expect(session.ownOrder('k1')?.phase).toBe('confirmed');
    const stock = { available: 1, reserved: 0, sold: 0, price: 100 };
    expect(session.acceptStock('kiwi', { ...stock, available: 0 }, 9)).toBe(true);
    expect(session.acceptStock('kiwi', stock, 8)).toBe(false);
    expect(session.stockShown()).toEqual([['kiwi', { ...stock, available: 0 }]]);
    expect(session.stats()).toEqual({ staleIgnored: 2 });
  });

  it('keeps both guarantees across a reload from its snapshot', () => {
    const before = new OrderSession('a');
    before.recordSent('k2', [['lamp', 1]], 5);
    before.acceptOrder(order(7, 'confirmed'));
    const key = before.nextKey();
    const after = new OrderSession('a', JSON.parse(JSON.stringify(before.snapshot())));
    expect(after.pending().map((p) => p.key)).toEqual(['k2']);
    expect(after.acceptOrder(order(5, 'charging'))).toBe(false);
    expect(after.acceptOrder(order(7, 'confirmed'))).toBe(true); // the record itself comes back
    expect(after.nextKey()).not.toBe(key);
  });
});
