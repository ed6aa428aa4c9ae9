import { afterEach, describe, expect, it } from 'vitest';
import { type AuthorityHost, isFinal, type OrderRecord } from '../src/index.ts';
import { startAuthority, type TestAuthority } from './support/authority.ts';
import { resolveIn, runFor, runUntil } from './support/virtual-time.ts';

let running: TestAuthority | undefined;
afterEach(async () => {
  await running?.host.close();
  running = undefined;
});

async function start(policy?: Parameters<typeof startAuthority>[0]): Promise<TestAuthority> {
  running = await startAuthority(policy);
  return running;
}

async function orderOf(host: AuthorityHost, id: string): Promise<OrderRecord> {
  const order = (await host.view()).orders.find((o) => o.id === id);
  if (order === undefined) throw new Error(`no order ${id}`);
  return order;
}

async function finish(a: TestAuthority, id: string): Promise<OrderRecord> {
  let order: OrderRecord | undefined;
  await runUntil(
    a.clock,
    () => {
      void orderOf(a.host, id).then((o) => {
        order = o;
      });
      return order !== undefined && isFinal(order.phase);
    },
    120_000,
  );
  return order as OrderRecord;
}

const stockOf = async (host: AuthorityHost, product: string) =>
  (await host.view()).products.find(([p]) => p === product)?.[1];

const steps = (order: OrderRecord) => order.history.map((e) => `${e.step}:${e.outcome}`);

describe('the authority', () => {
  it('confirms a checkout: reserve, charge, ship, commit', async () => {
    const a = await start();
    await resolveIn(a.clock, a.host.setStock('kiwi', 3, 250));
    const reply = await resolveIn(a.clock, a.host.checkout('a', 'k1', [['kiwi', 2]]));
    expect(reply.kind).toBe('placed');
    const order = await finish(a, 'o1');
    expect(order.phase).toBe('confirmed');
    expect(order.amount).toBe(500);
    expect(steps(order)).toEqual([
      'place:done',
      'reserve:done',
      'charge:started',
      'charge:done',
      'ship:started',
      'ship:done',
      'commit:done',
    ]);
    expect(await stockOf(a.host, 'kiwi')).toEqual({ available: 1, reserved: 0, sold: 2, price: 250 });
    expect(a.payment.effectsFor('o1')).toBe(1);
    expect(a.shipment.effectsFor('o1')).toBe(1);
  });

  it('sells the last item once: the second checkout is refused and charged nothing', async () => {
    const a = await start();
    await resolveIn(a.clock, a.host.setStock('kiwi', 1));
    const [first, second] = await resolveIn(
      a.clock,
      Promise.all([a.host.checkout('a', 'k1', [['kiwi', 1]]), a.host.checkout('b', 'k1', [['kiwi', 1]])]),
    );
    expect(first.kind === 'placed' && second.kind === 'placed').toBe(true);
    const o1 = await finish(a, 'o1');
    const o2 = await finish(a, 'o2');
    expect(o1.phase).toBe('confirmed');
    expect(o2.phase).toBe('refused');
    expect(o2.reason).toBe('out of stock: kiwi: 0 in stock, 1 wanted');
    expect(a.payment.effectsFor('o2')).toBe(0);
    expect(await stockOf(a.host, 'kiwi')).toMatchObject({ available: 0, reserved: 0, sold: 1 });
  });

  it('a retry under the same key finds the same order and charges once', async () => {
    const a = await start();
    await resolveIn(a.clock, a.host.setStock('kiwi', 5));
    await resolveIn(a.clock, a.host.checkout('a', 'k1', [['kiwi', 1]]));
    await finish(a, 'o1');
    const again = await resolveIn(a.clock, a.host.checkout('a', 'k1', [['kiwi', 1]]));
    expect(again).toMatchObject({ kind: 'placed', created: false, order: { id: 'o1', phase: 'confirmed' } });
    const other = await resolveIn(a.clock, a.host.checkout('a', 'k1', [['kiwi', 2]]));
    expect(other).toEqual({
      kind: 'refused',
      reason: 'key k1 was used for another cart (1 × kiwi); that order stands',
    });
    expect(a.payment.effectsFor('o1')).toBe(1);
    expect((await a.host.view()).orders).toHaveLength(1);
  });

  it('releases the stock when the payment fails after the reservation', async () => {
    const a = await start();
    await resolveIn(a.clock, a.host.setStock('kiwi', 1));
    a.payment.faults.failNext(1);
    await resolveIn(a.clock, a.host.checkout('a', 'k1', [['kiwi', 1]]));
    const order = await finish(a, 'o1');
    expect(order.phase).toBe('compensated');
    expect(steps(order)).toEqual([
      'place:done',
      'reserve:done',
      'charge:started',
      'charge:failed',
      'release:done',
    ]);
    expect(order.charge).toBe('none');
    expect(await stockOf(a.host, 'kiwi')).toMatchObject({ available: 1, reserved: 0, sold: 0 });
    expect(a.payment.effectsFor('o1')).toBe(0);
  });

  it('refunds and releases when the shipment fails after the charge', async () => {
    const a = await start();
    await resolveIn(a.clock, a.host.setStock('kiwi', 1));
    a.shipment.faults.failNext(1);
    await resolveIn(a.clock, a.host.checkout('a', 'k1', [['kiwi', 1]]));
    const order = await finish(a, 'o1');
    expect(order.phase).toBe('compensated');
    expect(steps(order).slice(-3)).toEqual(['ship:failed', 'refund:done', 'release:done']);
    expect(a.payment.effects()).toMatchObject([{ orderId: 'o1', status: 'reversed' }]);
    expect(await stockOf(a.host, 'kiwi')).toMatchObject({ available: 1, reserved: 0 });
  });

  it('asks again with the same key after a timeout: charged once', async () => {
    const a = await start();
    await resolveIn(a.clock, a.host.setStock('kiwi', 1));
    a.payment.faults.failNext(1, 'timeout');
    await resolveIn(a.clock, a.host.checkout('a', 'k1', [['kiwi', 1]]));
    const order = await finish(a, 'o1');
    expect(order.phase).toBe('confirmed');
    expect(steps(order)).toContain('charge:unknown');
    expect(order.attempts.charge).toBe(2);
    expect(a.payment.effectsFor('o1')).toBe(1);
  });

  it('compensates after too many unanswered charges, refunding what may have been charged', async () => {
    const a = await start();
    await resolveIn(a.clock, a.host.setStock('kiwi', 1));
    a.payment.faults.failNext(3, 'timeout');
    await resolveIn(a.clock, a.host.checkout('a', 'k1', [['kiwi', 1]]));
    const order = await finish(a, 'o1');
    expect(order.phase).toBe('compensated');
    expect(a.payment.effects()).toMatchObject([{ orderId: 'o1', status: 'reversed' }]);
    expect(await stockOf(a.host, 'kiwi')).toMatchObject({ available: 1, reserved: 0 });
  });

  it('fences off a holder paused past its lease: the payment service and the store refuse it', async () => {
    const a = await start();
    await resolveIn(a.clock, a.host.setStock('kiwi', 1));
    a.host.pause('charge');
    const placed = a.host.checkout('a', 'k1', [['kiwi', 1]]);
    await runFor(a.clock, 100);
    expect(a.host.holderInfo()[0]).toMatchObject({
      token: 1,
      state: 'paused',
      detail: 'paused before charge',
    });
    // The lease runs out; holder 2 takes over and finishes the saga.
    const order = await finish(a, 'o1');
    expect(order.phase).toBe('confirmed');
    expect(a.host.holderInfo().map((h) => [h.token, h.state])).toEqual([
      [1, 'paused'],
      [2, 'serving'],
    ]);
    await resolveIn(a.clock, placed);
    // Holder 1 wakes up and carries on with the charge it was about to make.
    a.host.resume();
    await runFor(a.clock, 100);
    const view = await a.host.view();
    expect(view.fenced).toMatchObject([
      { token: 1, resource: 'payment', point: 'charge', orderId: 'o1', fence: 2 },
    ]);
    expect(a.host.holderInfo()[0]).toMatchObject({ token: 1, state: 'retired' });
    expect(a.payment.effectsFor('o1')).toBe(1);
    expect(view.orders[0]?.history.filter((e) => e.step === 'charge' && e.outcome === 'done')).toHaveLength(
      1,
    );
  });
});
