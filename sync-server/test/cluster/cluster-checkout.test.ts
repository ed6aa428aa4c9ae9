// The checkout authority in a cluster of relay processes: it runs on the room's owner, windows on any
// node reach it, its state lives in Redis under the owner's lease. SIGKILL the owner mid-saga and the
// next owner resumes or compensates it, never selling the last item twice; SIGSTOP it past its lease and
// it writes nothing after it wakes.
import {
  type AuthorityStatus,
  attachCheckout,
  type CheckoutClient,
  type CheckoutEnd,
} from '@converge/checkout';
import { realTimers } from '@converge/protocol';
import { expect, it } from 'vitest';
import { CHECKOUT_LOGS, roomTokenOf } from '../../src/checkout/index.ts';
import { roomKeys } from '../../src/cluster/index.ts';
import { cleanupsAfterEach, type RelayAccess, waitFor } from '../support.ts';
import { describeWithRedis, redisServerPerFile } from '../with-redis.ts';
import { clusterProcesses, type Node } from './processes.ts';
import { failoverTransport } from './support.ts';

const redis = redisServerPerFile();
const { startNode, leaseHolder, waitMoved } = clusterProcesses(redis);
const cleanups = cleanupsAfterEach();

/** A window's connection carrying checkout only, failing over along `nodes`. */
function checkoutWindow(nodes: readonly RelayAccess[], room: string, id: string): CheckoutClient {
  const { transport, client } = attachCheckout(
    failoverTransport(() => nodes, room, id),
    {
      clock: realTimers,
      retryMs: 200,
    },
  );
  transport.start({ linkUp: () => {}, linkDown: () => {}, message: () => {} });
  cleanups.push(() => {
    client.close();
    transport.close();
  });
  return client;
}

async function checkoutAdmin(node: RelayAccess, room: string, body?: unknown): Promise<Response> {
  for (;;) {
    const response = await fetch(`${node.adminUrl}/rooms/${room}/checkout`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // 503: the room is changing owner; ask again, as an operator would.
    if (response.status !== 503) return response;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function statusOf(node: RelayAccess, room: string): Promise<AuthorityStatus> {
  const response = await checkoutAdmin(node, room);
  expect(response.status).toBe(200);
  return (await response.json()) as AuthorityStatus;
}

function reached(client: CheckoutClient): Promise<void> {
  return waitFor(() => client.availability().ok, 'the window to reach the authority', 30_000);
}

function ended(client: CheckoutClient, key: string, timeoutMs = 45_000): Promise<CheckoutEnd> {
  return Promise.race([
    client.whenFinal(key),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${key} never ended`)), timeoutMs)),
  ]);
}

const charging = (client: CheckoutClient, key: string) => () =>
  client.view().orders.some((o) => o.key === key && o.phase === 'charging');

/** The room tokens of a checkout log's records in Redis, in the order they were written. */
async function writeTokens(room: string, log: string): Promise<number[]> {
  const records = await redis().client().xrange(roomKeys(room).log(log).records, '-', '+');
  return records.map(([, fields]) => Number(fields[1]));
}

/** The last item is sold at most once, and nobody paid for what they did not get. */
function expectSoldAtMostOnce(status: AuthorityStatus): void {
  const [, kiwi] = status.products.find(([product]) => product === 'kiwi') ?? [];
  expect(kiwi).toBeDefined();
  expect((kiwi?.available ?? 0) + (kiwi?.reserved ?? 0) + (kiwi?.sold ?? 0)).toBe(1);
  const confirmed = status.orders.filter((o) => o.status === 'confirmed');
  expect(confirmed.length).toBeLessThanOrEqual(1);
  expect(kiwi?.sold).toBe(confirmed.length);
  for (const order of status.orders) {
    expect(order.charges).toBeLessThanOrEqual(1);
    expect(order.charges - order.refunds).toBe(order.status === 'confirmed' ? 1 : 0);
    expect(order.shipments).toBe(order.status === 'confirmed' ? 1 : 0);
  }
}

describeWithRedis('checkout in a relay cluster', () => {
  it("reaches the owner's authority from a window on another node", async () => {
    const [n1, n2] = (await Promise.all(['n1', 'n2'].map(startNode))) as [Node, Node];
    const room = 'shop-forwarded';
    const owner = checkoutWindow([n1], room, 'on-owner');
    await reached(owner);
    const lease = await leaseHolder(room);
    expect(lease?.node).toBe('n1');
    // An admin call on n2 is answered by the owner, n1.
    expect(
      (await checkoutAdmin(n2, room, { stock: { product: 'kiwi', quantity: 1, price: 300 } })).status,
    ).toBe(200);
    const buyer = checkoutWindow([n2], room, 'buyer');
    await reached(buyer);
    expect(buyer.checkout([['kiwi', 1]], 'k-1').kind).toBe('sent');
    const end = await ended(buyer, 'k-1');
    expect(end.kind === 'order' && end.order.phase).toBe('confirmed');
    const status = await statusOf(n2, room);
    expect(status.stock).toEqual({ kiwi: 0 });
    expect(status.orders.map((o) => [o.replica, o.status, o.charges])).toEqual([['buyer', 'confirmed', 1]]);
    // Written by n1 under its lease: the holder's token is in the range of n1's room token.
    expect(roomTokenOf(status.orders[0]?.token ?? 0)).toBe(lease?.token);
    expect(await writeTokens(room, CHECKOUT_LOGS.store)).not.toHaveLength(0);
    expect(new Set(await writeTokens(room, CHECKOUT_LOGS.store))).toEqual(new Set([lease?.token]));
  }, 120_000);

  it('resumes or compensates a saga whose owner was SIGKILLed, selling the last item once', async () => {
    const [n1, n2, n3] = (await Promise.all(['n1', 'n2', 'n3'].map(startNode))) as [Node, Node, Node];
    const room = 'shop-killed';
    const a = checkoutWindow([n1, n2, n3], room, 'a');
    await reached(a);
    const first = await leaseHolder(room);
    expect(first?.node).toBe('n1');
    const b = checkoutWindow([n2, n3], room, 'b');
    await reached(b);
    expect((await checkoutAdmin(n3, room, { stock: { product: 'kiwi', quantity: 1 } })).status).toBe(200);
    // Every answer of the payment service takes 1.5 s: the owner dies while a's charge is in flight.
    expect((await checkoutAdmin(n2, room, { latency: { service: 'payment', ms: 1500 } })).status).toBe(200);
    expect(a.checkout([['kiwi', 1]], 'a-1').kind).toBe('sent');
    await waitFor(charging(a, 'a-1'), "a's saga charging", 30_000);
    n1.child.kill('SIGKILL');

    const next = await waitMoved(room, 'n1');
    expect(next.token).toBeGreaterThan(first?.token ?? 0);
    // b wants the same last item through the new owner.
    await reached(b);
    expect(b.checkout([['kiwi', 1]], 'b-1').kind).toBe('sent');
    const [endA, endB] = await Promise.all([ended(a, 'a-1'), ended(b, 'b-1')]);
    expect(endA.kind).toBe('order');
    expect(endB.kind).toBe('order');
    const status = await statusOf(n2, room);
    expectSoldAtMostOnce(status);
    const orderA = status.orders.find((o) => o.key === 'a-1');
    expect(['confirmed', 'compensated']).toContain(orderA?.status);
    // The saga was finished by a later owner, under its own larger token.
    expect(roomTokenOf(orderA?.token ?? 0)).toBeGreaterThan(first?.token ?? 0);
    expect(status.fence).toBeGreaterThan(orderA?.steps[0]?.token ?? 0);
  }, 180_000);

  it('resumes a saga whose owner died with nobody left in the room', async () => {
    const [n1, n2] = (await Promise.all(['n1', 'n2'].map(startNode))) as [Node, Node];
    const room = 'shop-abandoned';
    const a = checkoutWindow([n1], room, 'a');
    await reached(a);
    expect((await leaseHolder(room))?.node).toBe('n1');
    expect((await checkoutAdmin(n2, room, { stock: { product: 'kiwi', quantity: 1 } })).status).toBe(200);
    expect((await checkoutAdmin(n2, room, { latency: { service: 'payment', ms: 1500 } })).status).toBe(200);
    expect(a.checkout([['kiwi', 1]], 'a-1').kind).toBe('sent');
    await waitFor(charging(a, 'a-1'), "a's saga charging", 30_000);
    n1.child.kill('SIGKILL');
    for (const cleanup of cleanups.splice(0)) await cleanup(); // the window goes too: nobody will rejoin

    // n2 finds the room unowned with a saga under way, takes it, drives the saga to its end and, the
    // room being empty, lets it go again.
    const adopted = () => n2.logs().findIndex((l) => l.event === 'checkout-saga-adopted' && l.room === room);
    await waitFor(
      () =>
        adopted() >= 0 &&
        n2
          .logs()
          .some((l, i) => i > adopted() && l.event === 'checkout-authority-unloaded' && l.room === room),
      'n2 to adopt the saga and finish it',
      30_000,
    );
    expect(n2.logs().some((l, i) => i > adopted() && l.event === 'lease-released' && l.room === room)).toBe(
      true,
    );
    // A window that comes later finds the order ended.
    const later = checkoutWindow([n2], room, 'later');
    await reached(later);
    const status = await statusOf(n2, room);
    expect(status.orders.map((o) => o.status)).not.toContain('in-progress');
    expectSoldAtMostOnce(status);
  }, 120_000);

  it('fences off an owner SIGSTOPped mid-saga: it writes no checkout state after it wakes', async () => {
    const [n1, n2] = (await Promise.all(['n1', 'n2'].map(startNode))) as [Node, Node];
    const room = 'shop-paused';
    const onOwner = checkoutWindow([n1], room, 'on-owner');
    await reached(onOwner);
    const first = await leaseHolder(room);
    expect(first?.node).toBe('n1');
    const a = checkoutWindow([n2], room, 'a');
    await reached(a);
    expect((await checkoutAdmin(n2, room, { stock: { product: 'kiwi', quantity: 1 } })).status).toBe(200);
    expect((await checkoutAdmin(n2, room, { latency: { service: 'payment', ms: 2000 } })).status).toBe(200);
    expect(a.checkout([['kiwi', 1]], 'a-1').kind).toBe('sent');
    await waitFor(charging(a, 'a-1'), "a's saga charging", 30_000);
    n1.child.kill('SIGSTOP');

    // n2 stops forwarding to the paused owner once its lease passed; a reconnects and n2 takes the room.
    const next = await waitMoved(room, 'n1');
    expect(next.node).toBe('n2');
    const endA = await ended(a, 'a-1');
    expect(endA.kind).toBe('order');

    n1.child.kill('SIGCONT');
    await waitFor(
      () => n1.logs().some((l) => l.event === 'lease-lost'),
      'n1 to see it lost the lease',
      30_000,
    );
    await waitFor(
      () => n1.logs().some((l) => l.event === 'checkout-authority-unloaded' && l.room === room),
      "n1 to unload the room's authority",
      30_000,
    );
    // Give n1's overdue timers (the payment answer it was waiting for) time to run into the fence.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const log of Object.values(CHECKOUT_LOGS)) {
      const tokens = await writeTokens(room, log);
      // Nothing of n1's came after the first write of n2.
      for (let i = 1; i < tokens.length; i++)
        expect(tokens[i]).toBeGreaterThanOrEqual(tokens[i - 1] as number);
    }
    // n2 wrote under its own tokens (it may have let the room go and taken it again since: a new token).
    const firstToken = first?.token ?? 0;
    expect((await writeTokens(room, CHECKOUT_LOGS.store)).some((t) => t > firstToken)).toBe(true);
    const status = await statusOf(n2, room);
    expectSoldAtMostOnce(status);
    expect(roomTokenOf(status.orders[0]?.token ?? 0)).toBeGreaterThan(firstToken);
  }, 180_000);
});
