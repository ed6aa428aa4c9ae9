import { describe, expect, it } from 'vitest';
import {
  type AuthorityCommand,
  type AuthorityState,
  decide,
  emptyAuthorityState,
  type StoreReply,
  snapshotOf,
  stateOf,
} from '../src/index.ts';

function exec(state: AuthorityState, token: number, command: AuthorityCommand): StoreReply<unknown> {
  const decision = decide(state, { token, at: 5, command });
  decision.install?.(state);
  return decision.reply;
}

describe('the authority state', () => {
  it('refuses tokens below the fence and raises the fence with larger ones', () => {
    const state = emptyAuthorityState();
    expect(exec(state, 2, { kind: 'fence' })).toMatchObject({ ok: true, value: { fence: 2 } });
    expect(exec(state, 1, { kind: 'set-stock', product: 'kiwi', quantity: 1 })).toEqual({
      ok: false,
      kind: 'fenced',
      fence: 2,
    });
    expect(exec(state, 3, { kind: 'set-stock', product: 'kiwi', quantity: 1 }).ok).toBe(true);
    expect(state.fence).toBe(3);
    // Reads that change nothing are fenced too: a stale holder learns it is stale at once.
    expect(exec(state, 2, { kind: 'reserve', order: 'o9' })).toMatchObject({ kind: 'fenced' });
  });

  it('reserves all lines of an order or none', () => {
    const state = emptyAuthorityState();
    exec(state, 1, { kind: 'set-stock', product: 'kiwi', quantity: 2 });
    exec(state, 1, { kind: 'set-stock', product: 'lamp', quantity: 0 });
    exec(state, 1, {
      kind: 'place',
      replica: 'a',
      key: 'k1',
      lines: [
        ['kiwi', 1],
        ['lamp', 1],
      ],
    });
    const reply = exec(state, 1, { kind: 'reserve', order: 'o1' });
    expect(reply).toMatchObject({
      ok: true,
      value: { order: { phase: 'refused', reason: 'out of stock: lamp: 0 in stock, 1 wanted' }, stock: [] },
    });
    expect(state.products.get('kiwi')).toMatchObject({ available: 2, reserved: 0 });
  });

  it('keeps stock at or above zero, and refuses bad quantities', () => {
    const state = emptyAuthorityState();
    expect(exec(state, 1, { kind: 'set-stock', product: 'kiwi', quantity: -1 })).toMatchObject({
      kind: 'invalid',
    });
    expect(exec(state, 1, { kind: 'set-stock', product: 'kiwi', quantity: 1.5 })).toMatchObject({
      kind: 'invalid',
    });
    exec(state, 1, { kind: 'set-stock', product: 'kiwi', quantity: 1 });
    exec(state, 1, { kind: 'place', replica: 'a', key: 'k1', lines: [['kiwi', 1]] });
    exec(state, 1, { kind: 'place', replica: 'b', key: 'k1', lines: [['kiwi', 1]] });
    exec(state, 1, { kind: 'reserve', order: 'o1' });
    exec(state, 1, { kind: 'reserve', order: 'o2' });
    expect(state.products.get('kiwi')).toMatchObject({ available: 0, reserved: 1 });
    expect(state.orders.get('o2')?.phase).toBe('refused');
  });

  it('places an order once per (replica, key) and refuses the key for another cart', () => {
    const state = emptyAuthorityState();
    const first = exec(state, 1, { kind: 'place', replica: 'a', key: 'k1', lines: [['kiwi', 1]] });
    expect(first).toMatchObject({ ok: true, value: { created: true, order: { id: 'o1', amount: 100 } } });
    const seq = state.seq;
    expect(exec(state, 1, { kind: 'place', replica: 'a', key: 'k1', lines: [['kiwi', 1]] })).toMatchObject({
      ok: true,
      value: { created: false, order: { id: 'o1' } },
    });
    expect(state.seq).toBe(seq);
    expect(exec(state, 1, { kind: 'place', replica: 'b', key: 'k1', lines: [['kiwi', 1]] })).toMatchObject({
      value: { order: { id: 'o2' } },
    });
    expect(exec(state, 1, { kind: 'place', replica: 'a', key: 'k1', lines: [['kiwi', 3]] })).toMatchObject({
      kind: 'invalid',
    });
    expect(exec(state, 1, { kind: 'place', replica: 'a', key: 'k2', lines: [] })).toEqual({
      ok: false,
      kind: 'invalid',
      reason: 'the cart is empty',
    });
  });

  it('commits and releases exactly once', () => {
    const state = emptyAuthorityState();
    exec(state, 1, { kind: 'set-stock', product: 'kiwi', quantity: 3 });
    exec(state, 1, { kind: 'place', replica: 'a', key: 'k1', lines: [['kiwi', 2]] });
    exec(state, 1, { kind: 'reserve', order: 'o1' });
    exec(state, 1, { kind: 'advance', order: 'o1', transition: { kind: 'charge-started' } });
    exec(state, 1, {
      kind: 'advance',
      order: 'o1',
      transition: { kind: 'charge-failed', reason: 'no', definitive: true },
    });
    expect(exec(state, 1, { kind: 'commit', order: 'o1' })).toMatchObject({ kind: 'invalid' });
    exec(state, 1, { kind: 'release', order: 'o1' });
    const seq = state.seq;
    expect(exec(state, 1, { kind: 'release', order: 'o1' })).toMatchObject({
      ok: true,
      value: { stock: [] },
    });
    expect(state.seq).toBe(seq);
    expect(state.products.get('kiwi')).toMatchObject({ available: 3, reserved: 0, sold: 0 });
  });

  it('round-trips through a snapshot', () => {
    const state = emptyAuthorityState();
    exec(state, 4, { kind: 'set-stock', product: 'kiwi', quantity: 3, price: 250 });
    exec(state, 4, { kind: 'place', replica: 'a', key: 'k1', lines: [['kiwi', 2]] });
    const copy = stateOf(snapshotOf(state));
    expect(snapshotOf(copy)).toEqual(snapshotOf(state));
    expect(exec(copy, 4, { kind: 'place', replica: 'a', key: 'k1', lines: [['kiwi', 2]] })).toMatchObject({
      value: { created: false },
    });
  });
});
