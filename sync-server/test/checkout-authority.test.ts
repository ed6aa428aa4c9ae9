// The room's checkout authority in the relay: windows check out over their own connection (the checkout
// channel), the link table decides who reaches it, operators set stock and inject failures through the
// admin API, and a relay SIGKILLed mid-saga resumes or compensates it after restart — exactly once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuthorityStatus,
  attachCheckout,
  type CheckoutClient,
  type CheckoutEnd,
  LocalAuthorityStore,
  LocalLeaseKeeper,
  SimulatedService,
  UNREACHABLE_REASON,
} from '@converge/checkout';
import { AUTHORITY_NODE_ID, CHECKOUT_CHANNEL, realTimers } from '@converge/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorities } from '../src/checkout/index.ts';
import { createRelay, type Relay } from '../src/index.ts';
import { storagePeers } from '../src/storage/index.ts';
import {
  RawClient,
  type RelayAccess,
  relayTransport,
  remoteRelay,
  startRelayProcess,
  waitFor,
} from './support.ts';

let dataDir: string;
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'converge-checkout-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

async function startRelay(): Promise<Relay> {
  const relay = await createRelay({
    storage: storagePeers(dataDir),
    authority: authorities(dataDir),
    logLevel: 'silent',
  });
  cleanups.push(() => relay.close());
  return relay;
}

/** A window's connection carrying checkout only (the replica's half is started empty). */
function openWindow(relay: RelayAccess, room: string, id: string): CheckoutClient {
  const connection = relayTransport(relay, room, id);
  const { transport, client } = attachCheckout(connection, { clock: realTimers, retryMs: 200 });
  transport.start({ linkUp: () => {}, linkDown: () => {}, message: () => {} });
  cleanups.push(() => {
    client.close();
    transport.close();
  });
  return client;
}

async function control(relay: RelayAccess, room: string, body: unknown): Promise<Response> {
  return fetch(`${relay.adminUrl}/rooms/${room}/checkout`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${relay.adminToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function statusOf(relay: RelayAccess, room: string): Promise<AuthorityStatus> {
  const response = await control(relay, room, undefined);
  expect(response.status).toBe(200);
  return (await response.json()) as AuthorityStatus;
}

const reachesAuthority = (client: CheckoutClient) => () => client.availability().ok;

function endOf(client: CheckoutClient, key: string): Promise<CheckoutEnd> {
  return client.whenFinal(key);
}

describe('the checkout authority in the relay', () => {
  it('sells the last item once: one window confirmed, the other refused with nothing charged', async () => {
    const relay = await startRelay();
    expect(
      (await control(relay, 'shop', { stock: { product: 'kiwi', quantity: 1, price: 250 } })).status,
    ).toBe(200);
    const a = openWindow(relay, 'shop', 'a');
    const b = openWindow(relay, 'shop', 'b');
    await waitFor(() => reachesAuthority(a)() && reachesAuthority(b)(), 'both windows reach the authority');
    const sentA = a.checkout([['kiwi', 1]], 'a-1');
    const sentB = b.checkout([['kiwi', 1]], 'b-1');
    expect(sentA.kind).toBe('sent');
    expect(sentB.kind).toBe('sent');
    const ends = await Promise.all([endOf(a, 'a-1'), endOf(b, 'b-1')]);
    const confirmed = ends.filter((e) => e.kind === 'order' && e.order.phase === 'confirmed');
    const refused = ends.filter((e) => e.kind === 'order' && e.order.phase === 'refused');
    expect(confirmed).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const status = await statusOf(relay, 'shop');
    expect(status.stock).toEqual({ kiwi: 0 });
    expect(status.orders.map((o) => o.charges).sort()).toEqual([0, 1]);
    expect(status.orders.find((o) => o.status === 'refused')?.reason).toMatch(/out of stock/);
    // A retry under the same key is the same order: charged once.
    const winner = confirmed[0]?.kind === 'order' ? confirmed[0].order : undefined;
    const retrying = winner?.replica === 'a' ? a : b;
    retrying.checkout([['kiwi', 1]], winner?.key);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await statusOf(relay, 'shop')).orders.filter((o) => o.charges > 0)).toHaveLength(1);
  }, 30_000);

  it('refuses checkout to a window cut off from the authority, and says why', async () => {
    const relay = await startRelay();
    const a = openWindow(relay, 'cut', 'a');
    const b = openWindow(relay, 'cut', 'b');
    await waitFor(() => reachesAuthority(a)() && reachesAuthority(b)(), 'both windows reach the authority');
    // A split that does not place the authority leaves it with the first group.
    relay.applyLinks('cut', { op: 'split', groups: [['a'], ['b']], storage: 'alone' });
    await waitFor(() => !reachesAuthority(b)(), 'b loses the authority');
    expect(reachesAuthority(a)()).toBe(true);
    expect(b.checkout([['kiwi', 1]])).toEqual({ kind: 'refused', reason: UNREACHABLE_REASON });
    relay.applyLinks('cut', { op: 'heal-all' });
    await waitFor(reachesAuthority(b), 'b reaches the authority again');
  }, 30_000);

  it('compensates when payment fails after the reservation: stock released, nothing charged', async () => {
    const relay = await startRelay();
    await control(relay, 'fail', { stock: { product: 'kiwi', quantity: 2 } });
    // Faults live in memory: they need the room's authority loaded, that is a window in the room.
    const early = await control(relay, 'fail', { fail: { service: 'payment', calls: 5 } });
    expect(early.status).toBe(409);
    const a = openWindow(relay, 'fail', 'a');
    await waitFor(reachesAuthority(a), 'a reaches the authority');
    expect((await control(relay, 'fail', { fail: { service: 'payment', calls: 5 } })).status).toBe(200);
    a.checkout([['kiwi', 1]], 'k1');
    const end = await endOf(a, 'k1');
    expect(end.kind === 'order' && end.order.phase).toBe('compensated');
    const status = await statusOf(relay, 'fail');
    expect(status.stock).toEqual({ kiwi: 2 });
    expect(status.orders[0]?.steps.map((s) => `${s.step}:${s.outcome}`)).toContain('release:done');
    expect(status.orders[0]?.charges).toBe(0);
  }, 30_000);

  it('refuses bad controls and malformed checkout frames, and keeps serving', async () => {
    const relay = await startRelay();
    const bad = await control(relay, 'bad', { stock: { product: 'kiwi', quantity: -1 } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/invalid checkout control/);
    expect((await control(relay, 'bad', { reboot: true })).status).toBe(400);
    const raw = await RawClient.join(relay, 'bad', 'mallory');
    cleanups.push(() => raw.close());
    await waitFor(
      () => relay.room('bad')?.nodes.some((n) => n.id === AUTHORITY_NODE_ID) ?? false,
      'authority',
    );
    raw.data('mallory', AUTHORITY_NODE_ID, CHECKOUT_CHANNEL, new TextEncoder().encode('{"type":'));
    raw.data('mallory', AUTHORITY_NODE_ID, CHECKOUT_CHANNEL, new Uint8Array([0xff, 0xfe]));
    const a = openWindow(relay, 'bad', 'a');
    await waitFor(reachesAuthority(a), 'a reaches the authority');
    await control(relay, 'bad', { stock: { product: 'kiwi', quantity: 1 } });
    a.checkout([['kiwi', 1]], 'after-garbage');
    const end = await endOf(a, 'after-garbage');
    expect(end.kind === 'order' && end.order.phase).toBe('confirmed');
  }, 30_000);

  it('unloads a room without windows, and keeps its stock on disk', async () => {
    const relay = await startRelay();
    await control(relay, 'quiet', { stock: { product: 'kiwi', quantity: 3 } });
    await waitFor(() => relay.room('quiet') === undefined, 'the authority leaves an empty room');
    expect((await control(relay, 'quiet', undefined)).status).toBe(404);
    const a = openWindow(relay, 'quiet', 'a');
    await waitFor(reachesAuthority(a), 'a reaches the authority');
    expect((await statusOf(relay, 'quiet')).stock).toEqual({ kiwi: 3 });
  }, 30_000);
});

describe('the authority seam for the relay cluster', () => {
  it("runs on the store and leases the embedder opens, fenced by the leases' tokens", async () => {
    const opened: string[] = [];
    const relay = await createRelay({
      authority: authorities(dataDir, {
        // A cluster node's leases: the tokens a shared keeper (Redis) has handed out so far continue.
        open: async (room, clock) => {
          opened.push(room);
          return {
            store: new LocalAuthorityStore(),
            payment: new SimulatedService('payment', clock),
            shipment: new SimulatedService('shipment', clock),
            leases: new LocalLeaseKeeper(clock, 41),
            close: async () => {},
          };
        },
      }),
      logLevel: 'silent',
    });
    cleanups.push(() => relay.close());
    const a = openWindow(relay, 'owned', 'a');
    await waitFor(reachesAuthority(a), 'a reaches the authority');
    await control(relay, 'owned', { stock: { product: 'kiwi', quantity: 1 } });
    a.checkout([['kiwi', 1]], 'k');
    const end = await endOf(a, 'k');
    expect(end.kind === 'order' && end.order.token).toBe(42);
    expect(opened).toEqual(['owned']);
    // The store refuses a token below its fence: an ex-owner that lost its lease cannot write.
    const status = await statusOf(relay, 'owned');
    expect(status.fence).toBe(42);
  }, 30_000);
});

describe('shutdown', () => {
  it('abandons an authority still loading when the relay shuts down, without an error', async () => {
    const lines: string[] = [];
    let release: () => void = () => {};
    const opening = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asked = false;
    const relay = await createRelay({
      authority: authorities(dataDir, {
        open: async (_room, clock) => {
          asked = true;
          await opening; // still loading when the relay begins to shut down
          return {
            store: new LocalAuthorityStore(),
            payment: new SimulatedService('payment', clock),
            shipment: new SimulatedService('shipment', clock),
            close: async () => {},
          };
        },
      }),
      logSink: (line) => lines.push(line),
    });
    openWindow(relay, 'late', 'a');
    await waitFor(() => asked, 'the authority loading');
    const closing = relay.close();
    release();
    await closing;
    expect(lines.filter((l) => l.includes('"level":"error"'))).toEqual([]);
    expect(lines.some((l) => l.includes('checkout-authority-load-abandoned'))).toBe(true);
  }, 30_000);
});

describe('relay crash mid-saga', () => {
  const ADMIN_TOKEN = 'checkout-crash-admin-token';

  it('resumes or compensates the saga after a SIGKILL, charging at most once', async () => {
    const first = await startRelayProcess({ port: 0, dataDir, adminToken: ADMIN_TOKEN });
    const relay = remoteRelay(`ws://127.0.0.1:${first.port}`, ADMIN_TOKEN);
    await control(relay, 'crash', { stock: { product: 'kiwi', quantity: 1 } });
    const window = openWindow(relay, 'crash', 'alice');
    await waitFor(reachesAuthority(window), 'the window reaches the authority', 15_000);
    // Every answer of the payment service takes 700 ms: the relay dies while the charge is in flight.
    await control(relay, 'crash', { latency: { service: 'payment', ms: 700 } });
    window.checkout([['kiwi', 1]], 'order-1');
    await waitFor(
      () => window.view().orders.some((o) => o.key === 'order-1' && o.phase === 'charging'),
      'the saga charging',
      15_000,
    );
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await startRelayProcess({ port: first.port, dataDir, adminToken: ADMIN_TOKEN });
    cleanups.push(async () => {
      second.child.kill('SIGTERM');
      await new Promise((resolve) => second.child.once('exit', resolve));
    });
    // The window reconnects by itself and keeps asking under the same key.
    const end = await Promise.race([
      endOf(window, 'order-1'),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('saga did not end')), 20_000)),
    ]);
    expect(end.kind).toBe('order');
    const status = await statusOf(relay, 'crash');
    expect(status.orders).toHaveLength(1);
    const [order] = status.orders;
    expect(order?.charges).toBeLessThanOrEqual(1);
    if (order?.status === 'confirmed') {
      expect([order.charges, order.refunds, order.shipments]).toEqual([1, 0, 1]);
      expect(status.stock).toEqual({ kiwi: 0 });
    } else {
      expect(order?.status).toBe('compensated');
      expect(order?.refunds).toBe(order?.charges);
      expect(status.stock).toEqual({ kiwi: 1 });
    }
    // The restarted authority fenced with a larger token than the one that started the saga.
    expect(status.fence).toBeGreaterThan(order?.steps[0]?.token ?? 0);
  }, 60_000);
});
