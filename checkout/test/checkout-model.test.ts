/**
 * The model test of issue 20: random runs of windows checking out over a faulty network, with partitions,
 * retries, injected payment and shipment failures, timeouts and latency, paused holders and crashes of
 * the authority's process, checked against the invariants after every step and, once the faults stop,
 * against the liveness properties:
 *
 * - stock at the authority never goes below zero, and what is reserved and sold is exactly what the
 *   orders hold;
 * - no order is ever charged (or shipped) twice; an order's final status never changes;
 * - every failed saga is fully compensated (no charge, no shipment, no reservation left);
 * - every paid order has a shipment and is confirmed;
 * - every checkout a window sent ends, as that window sees it.
 */
import { fcParams } from '@converge/crdt-core/testing';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FaultMode,
  type FinalStatus,
  type GatePoint,
  isFinal,
  type Lines,
  type OrderRecord,
  statusOf,
} from '../src/index.ts';
import { CheckoutWorld } from './support/checkout-world.ts';
import { resolveIn, runFor, runUntil, settle } from './support/virtual-time.ts';

const WINDOWS = ['a', 'b', 'c'] as const;
const PRODUCTS = ['kiwi', 'lamp'] as const;
const POINTS: GatePoint[] = ['reserve', 'charge', 'ship', 'commit', 'refund', 'release', 'record'];

type Op =
  | { op: 'stock'; product: string; quantity: number }
  | { op: 'checkout'; window: string; key: string }
  | { op: 'fail'; service: 'payment' | 'shipment'; calls: number; mode: FaultMode }
  | { op: 'latency'; service: 'payment' | 'shipment'; ms: number }
  | { op: 'cut'; window: string }
  | { op: 'heal'; window: string }
  | { op: 'chaos'; drop: number; duplicate: number }
  | { op: 'pause'; before: GatePoint | undefined }
  | { op: 'resume' }
  | { op: 'crash' }
  | { op: 'wait'; ms: number };

const window = fc.constantFrom(...WINDOWS);
const service = fc.constantFrom('payment' as const, 'shipment' as const);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('stock' as const),
      product: fc.constantFrom(...PRODUCTS),
      quantity: fc.integer({ min: 0, max: 5 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('checkout' as const),
      window,
      key: fc.constantFrom('k1', 'k2', 'k3', 'k4'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('fail' as const),
      service,
      calls: fc.integer({ min: 1, max: 4 }),
      mode: fc.constantFrom<FaultMode>('error', 'timeout'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('latency' as const),
      service,
      ms: fc.constantFrom(0, 0, 100, 800),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('cut' as const), window }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('heal' as const), window }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('chaos' as const),
      drop: fc.constantFrom(0, 0.2, 0.5),
      duplicate: fc.constantFrom(0, 0.3),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('pause' as const),
      before: fc.option(fc.constantFrom(...POINTS), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('resume' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('crash' as const) }) },
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('wait' as const), ms: fc.constantFrom(10, 200, 1000, 5000) }),
  },
);

/** The lines a (window, key) checks out: fixed at its first use, so a repeat is a true retry. */
function linesFor(seed: number, window: string, key: string): Lines {
  const h = [...`${seed}${window}${key}`].reduce((n, ch) => (n * 31 + ch.charCodeAt(0)) >>> 0, 7);
  const lines: [string, number][] = [];
  if (h % 3 !== 1) lines.push(['kiwi', 1 + (h % 2)]);
  if (h % 3 !== 0) lines.push(['lamp', 1]);
  return lines;
}

let world: CheckoutWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function checkSafety(w: CheckoutWorld, finals: Map<string, FinalStatus>, where: string): Promise<void> {
  const snapshot = await w.current.store.snapshot();
  const reserved = new Map<string, number>();
  const sold = new Map<string, number>();
  const holdsStock = (o: OrderRecord): boolean =>
    !['placed', 'refused', 'compensated', 'confirmed'].includes(o.phase);
  for (const order of snapshot.orders) {
    for (const [product, quantity] of order.lines) {
      if (holdsStock(order)) reserved.set(product, (reserved.get(product) ?? 0) + quantity);
      if (order.phase === 'confirmed') sold.set(product, (sold.get(product) ?? 0) + quantity);
    }
    const status = statusOf(order.phase);
    const first = finals.get(order.id);
    if (first !== undefined) expect(status, `${where}: ${order.id} was ${first}`).toBe(first);
    else if (status !== 'in-progress') finals.set(order.id, status);
    expect(w.current.payment.effectsFor(order.id), `${where}: ${order.id} charged twice`).toBeLessThanOrEqual(
      1,
    );
    expect(
      w.current.shipment.effectsFor(order.id),
      `${where}: ${order.id} shipped twice`,
    ).toBeLessThanOrEqual(1);
  }
  for (const [product, stock] of snapshot.products) {
    expect(stock.available, `${where}: ${product} below zero`).toBeGreaterThanOrEqual(0);
    expect(stock.reserved, `${where}: ${product} reserved`).toBe(reserved.get(product) ?? 0);
    expect(stock.sold, `${where}: ${product} sold`).toBe(sold.get(product) ?? 0);
  }
}

async function checkSettled(w: CheckoutWorld, sent: Map<string, Set<string>>): Promise<void> {
  const snapshot = await w.current.store.snapshot();
  const charges = w.current.payment.effects();
  const shipments = w.current.shipment.effects();
  const live = (effects: typeof charges, orderId: string) =>
    effects.filter((e) => e.orderId === orderId && e.status === 'live').length;
  for (const order of snapshot.orders) {
    expect(isFinal(order.phase), `${order.id} is still ${order.phase}`).toBe(true);
    if (order.phase === 'confirmed') {
      expect(live(charges, order.id), `${order.id} confirmed: one charge`).toBe(1);
      expect(live(shipments, order.id), `${order.id} confirmed: one shipment`).toBe(1);
    } else {
      expect(live(charges, order.id), `${order.id} ${order.phase}: nothing charged`).toBe(0);
      expect(live(shipments, order.id), `${order.id} ${order.phase}: nothing shipped`).toBe(0);
    }
  }
  // Every live charge belongs to a confirmed order with a live shipment.
  for (const charge of charges.filter((c) => c.status === 'live')) {
    expect(live(shipments, charge.orderId), `charge ${charge.id} without a shipment`).toBe(1);
  }
  for (const [, stock] of snapshot.products) expect(stock.reserved).toBe(0);
  for (const [windowId, keys] of sent) {
    const client = w.clients.get(windowId);
    for (const key of keys) {
      const order = client?.session.ownOrder(key);
      const refused = client?.view().pending.find((p) => p.key === key)?.refused;
      expect(
        (order !== undefined && isFinal(order.phase)) || refused !== undefined,
        `${windowId}'s checkout ${key} never ended for it`,
      ).toBe(true);
      if (order !== undefined) {
        const truth = snapshot.orders.find((o) => o.id === order.id);
        expect(order.version, `${windowId} shows ${order.id} as the authority has it`).toBe(truth?.version);
      }
    }
  }
}

async function run(seed: number, ops: Op[]): Promise<void> {
  const w = new CheckoutWorld(seed, WINDOWS);
  world = w;
  await w.boot();
  const finals = new Map<string, FinalStatus>();
  const sent = new Map<string, Set<string>>();
  for (const [index, op] of ops.entries()) {
    const where = `op ${index + 1} ${JSON.stringify(op)}`;
    switch (op.op) {
      case 'stock':
        // Through the authority, like any write: it may have to wait for a new holder.
        await resolveIn(w.clock, w.current.host.setStock(op.product, op.quantity), 30_000);
        break;
      case 'checkout': {
        const start = w.checkout(op.window, op.key, linesFor(seed, op.window, op.key));
        if (start.kind === 'sent') {
          const keys = sent.get(op.window) ?? new Set();
          keys.add(op.key);
          sent.set(op.window, keys);
        }
        break;
      }
      case 'fail':
        w.current[op.service].faults.failNext(op.calls, op.mode);
        break;
      case 'latency':
        w.current[op.service].faults.setLatency(op.ms);
        break;
      case 'cut':
        w.net.setCut(op.window, true);
        break;
      case 'heal':
        w.net.setCut(op.window, false);
        break;
      case 'chaos':
        w.net.faults = { drop: op.drop, duplicate: op.duplicate, maxDelayMs: 30 };
        break;
      case 'pause':
        w.pause(op.before);
        break;
      case 'resume':
        w.resume();
        break;
      case 'crash':
        await w.crash();
        break;
      case 'wait':
        await runFor(w.clock, op.ms);
        break;
    }
    await settle();
    await checkSafety(w, finals, where);
  }
  // The faults stop: every saga must end, every window must learn how its checkouts ended.
  w.net.healAll();
  w.net.faults = { drop: 0, duplicate: 0, maxDelayMs: 5 };
  w.resume();
  for (const service of [w.current.payment, w.current.shipment]) {
    service.faults.clear();
    service.faults.setLatency(0);
  }
  const done = async (): Promise<boolean> => {
    const snapshot = await w.current.store.snapshot();
    if (!snapshot.orders.every((o) => isFinal(o.phase))) return false;
    for (const [windowId, keys] of sent) {
      const client = w.clients.get(windowId);
      for (const key of keys) {
        const order = client?.session.ownOrder(key);
        const ended =
          (order !== undefined && isFinal(order.phase)) ||
          client?.view().pending.find((p) => p.key === key)?.refused !== undefined;
        if (!ended) return false;
        const truth = snapshot.orders.find((o) => o.id === order?.id);
        if (order !== undefined && truth !== undefined && order.version !== truth.version) return false;
      }
    }
    return true;
  };
  let finished = false;
  await runUntil(
    w.clock,
    () => {
      void done().then((d) => {
        finished = d;
      });
      return finished;
    },
    300_000,
  );
  await checkSafety(w, finals, 'after the faults stopped');
  await checkSettled(w, sent);
}

describe('checkout under partitions, crashes, retries and failures (model)', () => {
  it('keeps every invariant and ends every saga', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.array(opArb, { minLength: 5, maxLength: 40 }),
        run,
      ),
      fcParams(25, 2000),
    );
  });

  it('ends every saga when the authority crashes at every point of one checkout', async () => {
    // Crash after 1, 2, … virtual ms: somewhere in each step of the saga, including mid-charge.
    for (let at = 0; at <= 40; at += 2) {
      await run(at + 1, [
        { op: 'stock', product: 'kiwi', quantity: 5 },
        { op: 'stock', product: 'lamp', quantity: 5 },
        { op: 'latency', service: 'payment', ms: 7 },
        { op: 'latency', service: 'shipment', ms: 7 },
        { op: 'checkout', window: 'a', key: 'k1' },
        { op: 'wait', ms: at },
        { op: 'crash' },
        { op: 'wait', ms: 5000 },
      ]);
      await world?.close();
      world = undefined;
    }
  });
});
