import { describe, expect, it } from 'vitest';
import {
  applyTransition,
  nextAction,
  type OrderRecord,
  type OrderTransition,
  transitionProblem,
} from '../src/index.ts';

const placed: OrderRecord = {
  id: 'o1',
  replica: 'a',
  key: 'k1',
  lines: [['kiwi', 1]],
  amount: 100,
  placedAt: 0,
  phase: 'placed',
  attempts: { charge: 0, ship: 0 },
  charge: 'none',
  shipment: 'none',
  token: 1,
  version: 1,
  history: [],
};

let version = 1;
function walk(order: OrderRecord, ...transitions: OrderTransition[]): OrderRecord {
  let current = order;
  for (const t of transitions) {
    const problem = transitionProblem(current, t);
    if (problem !== undefined) throw new Error(problem);
    current = applyTransition(current, t, { token: 1, at: 0, version: ++version });
  }
  return current;
}

describe('the order saga', () => {
  it('walks the happy path and asks for each next step', () => {
    let order = placed;
    expect(nextAction(order, 3)).toEqual({ kind: 'reserve' });
    order = walk(order, { kind: 'reserved' });
    expect(nextAction(order, 3)).toEqual({ kind: 'charge', attempt: 1 });
    order = walk(order, { kind: 'charge-started' }, { kind: 'charged', chargeId: 'ch-1' });
    expect(nextAction(order, 3)).toEqual({ kind: 'ship', attempt: 1 });
    order = walk(order, { kind: 'ship-started' }, { kind: 'shipped', shipmentId: 'sh-1' });
    expect(nextAction(order, 3)).toEqual({ kind: 'commit' });
    order = walk(order, { kind: 'committed' });
    expect(order).toMatchObject({ phase: 'confirmed', charge: 'done', shipment: 'done', chargeId: 'ch-1' });
    expect(nextAction(order, 3)).toEqual({ kind: 'none' });
    expect(order.version).toBe(version);
  });

  it('refuses transitions out of order, and anything after the end', () => {
    expect(transitionProblem(placed, { kind: 'charged', chargeId: 'x' })).toBe(
      'order o1 is placed; charged needs charging',
    );
    const confirmed = walk(
      placed,
      { kind: 'reserved' },
      { kind: 'charge-started' },
      { kind: 'charged', chargeId: 'ch-1' },
      { kind: 'ship-started' },
      { kind: 'shipped', shipmentId: 'sh-1' },
      { kind: 'committed' },
    );
    for (const t of [
      { kind: 'refunded' },
      { kind: 'released' },
      { kind: 'charge-started' },
      { kind: 'reserved' },
    ] as OrderTransition[]) {
      expect(transitionProblem(confirmed, t)).toBeDefined();
    }
  });

  it('retries an unanswered charge up to the limit, then gives up', () => {
    let order = walk(
      placed,
      { kind: 'reserved' },
      { kind: 'charge-started' },
      { kind: 'charge-unknown', detail: 'x' },
    );
    expect(nextAction(order, 2)).toEqual({ kind: 'charge', attempt: 2 });
    order = walk(order, { kind: 'charge-started' }, { kind: 'charge-unknown', detail: 'x' });
    expect(nextAction(order, 2)).toEqual({ kind: 'give-up', step: 'charge', attempts: 2 });
  });

  it('a definitive failure of the only attempt leaves nothing to refund', () => {
    const order = walk(
      placed,
      { kind: 'reserved' },
      { kind: 'charge-started' },
      { kind: 'charge-failed', reason: 'declined', definitive: true },
    );
    expect(order).toMatchObject({ phase: 'compensating', charge: 'none', reason: 'declined' });
    expect(nextAction(order, 3)).toEqual({ kind: 'release' });
  });

  it('after an unanswered attempt, even a definitive failure is refunded (the first may have gone through)', () => {
    const order = walk(
      placed,
      { kind: 'reserved' },
      { kind: 'charge-started' },
      { kind: 'charge-unknown', detail: 'timeout' },
      { kind: 'charge-started' },
      { kind: 'charge-failed', reason: 'declined', definitive: true },
    );
    expect(order.charge).toBe('maybe');
    expect(nextAction(order, 3)).toEqual({ kind: 'refund' });
    expect(transitionProblem(order, { kind: 'released' })).toBe('order o1 still has a charge to undo');
  });

  it('a failed shipment is compensated in reverse: cancel, refund, release', () => {
    let order = walk(
      placed,
      { kind: 'reserved' },
      { kind: 'charge-started' },
      { kind: 'charged', chargeId: 'ch-1' },
      { kind: 'ship-started' },
      { kind: 'ship-unknown', detail: 'timeout' },
      { kind: 'ship-started' },
      { kind: 'ship-failed', reason: 'no courier', definitive: true },
    );
    expect(nextAction(order, 3)).toEqual({ kind: 'cancel-shipment' });
    order = walk(order, { kind: 'shipment-cancelled' });
    expect(nextAction(order, 3)).toEqual({ kind: 'refund' });
    order = walk(order, { kind: 'refunded', chargeId: 'ch-1' });
    expect(nextAction(order, 3)).toEqual({ kind: 'release' });
    order = walk(order, { kind: 'released' });
    expect(order.phase).toBe('compensated');
    expect(order.history.map((e) => `${e.step}:${e.outcome}`).slice(-3)).toEqual([
      'cancel-shipment:done',
      'refund:done',
      'release:done',
    ]);
  });
});
