import type { ClientView, OrderRecord } from '@converge/checkout';
import { describe, expect, it } from 'vitest';
import { counterOversell, orderRows, stockRows } from '../logic/checkout-view.ts';

const order = (over: Partial<OrderRecord>): OrderRecord => ({
  id: 'o1',
  replica: 'a',
  key: 'k1',
  lines: [['kiwi', 1]],
  amount: 100,
  placedAt: 1,
  phase: 'compensated',
  attempts: { charge: 1, ship: 0 },
  charge: 'none',
  shipment: 'none',
  reason: 'payment failed (injected failure)',
  token: 2,
  version: 9,
  history: [
    { step: 'place', outcome: 'done', token: 1, at: 1 },
    { step: 'charge', outcome: 'failed', token: 2, at: 2, detail: 'payment failed (injected failure)' },
    { step: 'release', outcome: 'done', token: 2, at: 3 },
  ],
  ...over,
});

const view = (over: Partial<ClientView>): ClientView => ({
  availability: { ok: true },
  pending: [],
  orders: [],
  stock: [],
  holders: [],
  fenced: [],
  session: { staleIgnored: 0 },
  malformed: 0,
  ...over,
});

describe('the checkout view', () => {
  it("lists this window's unanswered checkouts first, then the orders with their steps", () => {
    const rows = orderRows(
      view({
        pending: [{ key: 'a-2', lines: [['lamp', 2]], sentAt: 5 }],
        orders: [order({}), order({ id: 'o2', replica: 'b' })],
      }),
      'a',
    );
    expect(rows.map((r) => [r.id, r.mine, r.status])).toEqual([
      ['a-2', true, 'sending'],
      ['o1', true, 'compensated'],
      ['o2', false, 'compensated'],
    ]);
    expect(rows[0]?.lines).toBe('2 × lamp');
    expect(rows[1]).toMatchObject({
      amount: '1.00',
      token: 2,
      consistency: 'strong',
      reason: 'payment failed (injected failure)',
    });
    expect(rows[1]?.steps.map((s) => [s.step, s.compensation, s.token])).toEqual([
      ['place', false, 1],
      ['charge', false, 2],
      ['release', true, 2],
    ]);
  });

  it('puts the stock at the authority beside every engine, with the oversell a CRDT alone allows', () => {
    const rows = stockRows([['kiwi', { available: 0, reserved: 0, sold: 1, price: 100 }]], {
      converge: { kiwi: 2 },
      lww: { kiwi: 1, lamp: -1 },
    });
    expect(rows).toEqual([
      {
        product: 'kiwi',
        authority: { available: 0, reserved: 0, sold: 1, price: 100 },
        carts: { converge: 2, lww: 1 },
        oversell: { converge: 1, lww: 0 },
      },
      { product: 'lamp', carts: { converge: 0, lww: 0 }, oversell: { converge: 0, lww: 0 } },
    ]);
    expect(counterOversell(-1)).toBe(1);
    expect(counterOversell(3)).toBe(0);
  });
});
