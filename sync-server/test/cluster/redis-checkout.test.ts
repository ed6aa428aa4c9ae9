// The checkout authority's state in the cluster's Redis: a new owner replays it and goes on under a
// larger token, and Redis itself refuses the writes of an owner whose lease has passed.
import { realTimers } from '@converge/protocol';
import { beforeAll, expect, it } from 'vitest';
import {
  firstTokenOf,
  OwnerLeases,
  openRedisCheckout,
  roomTokenOf,
  TOKENS_PER_OWNERSHIP,
} from '../../src/checkout/index.ts';
import { type ClusterRedis, roomKeys } from '../../src/cluster/index.ts';
import type { RoomLease } from '../../src/room-ownership.ts';
import { describeWithRedis, redisServerPerFile } from '../with-redis.ts';
import { clusterRedisPerFile } from './support.ts';

const redisServer = redisServerPerFile();
const connection = clusterRedisPerFile(redisServer);
let redis: ClusterRedis;
beforeAll(() => {
  redis = connection();
});

/** A lease as a node believes it holds it: `held` is its own view; Redis decides what it may write. */
function believed(room: string, nodeId: string, token: number, held = () => true): RoomLease {
  return { room, nodeId, token, isHeld: held, onLost: () => () => {} };
}

async function acquire(room: string, node: string, ttlMs: number): Promise<number> {
  const result = await redis.acquire(room, node, `ws://127.0.0.1/${node}`, ttlMs);
  if (!result.taken) throw new Error(`${node} could not take ${room}`);
  return result.lease.token;
}

const entry = <C>(token: number, command: C) => ({ token, at: Date.now(), command });

describeWithRedis('checkout state in Redis', () => {
  it('is resumed by the next owner, and the expired owner is fenced off by Redis', async () => {
    const room = 'shop-1';
    const t1 = await acquire(room, 'n1', 400);
    const first = await openRedisCheckout(redis, believed(room, 'n1', t1), realTimers);
    const h1 = await first.leases?.acquire('n1/holder', 10_000);
    expect(h1?.token).toBe(firstTokenOf(t1));
    const token1 = h1?.token ?? 0;
    expect((await first.store.execute(entry(token1, { kind: 'fence' }))).ok).toBe(true);
    expect(
      (await first.store.execute(entry(token1, { kind: 'set-stock', product: 'kiwi', quantity: 1 }))).ok,
    ).toBe(true);
    const placed = await first.store.execute(
      entry(token1, { kind: 'place', replica: 'a', key: 'k1', lines: [['kiwi', 1]] }),
    );
    if (!placed.ok) throw new Error(JSON.stringify(placed));
    expect((await first.payment.fence(token1)).kind).toBe('ok');

    // n1 stops renewing (paused); Redis expires its lease and n2 takes the room.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const t2 = await acquire(room, 'n2', 5000);
    expect(t2).toBeGreaterThan(t1);
    const second = await openRedisCheckout(redis, believed(room, 'n2', t2), realTimers);
    const snapshot = await second.store.snapshot();
    expect(snapshot.products).toEqual([['kiwi', expect.objectContaining({ available: 1 })]]);
    expect(snapshot.orders.map((o) => o.key)).toEqual(['k1']);
    const h2 = await second.leases?.acquire('n2/holder', 10_000);
    expect(h2?.token).toBe(firstTokenOf(t2));
    expect(h2?.token).toBeGreaterThan(snapshot.fence);

    // n1 wakes believing it still holds the room: the order's reservation it sends is refused by Redis,
    // and its holder is told the fence the room's tokens have reached.
    const stale = await first.store.execute(entry(token1, { kind: 'reserve', order: placed.value.order.id }));
    expect(stale).toEqual({ ok: false, kind: 'fenced', fence: t2 * TOKENS_PER_OWNERSHIP });
    await expect(first.payment.fence(token1 + 1)).rejects.toThrow(/FENCED|lease/);
    const reserved = await second.store.execute(
      entry(h2?.token ?? 0, { kind: 'reserve', order: placed.value.order.id }),
    );
    expect(reserved.ok).toBe(true);

    // Redis holds nothing of n1's after n2's first write.
    const records = await redis.redis.xrange(roomKeys(room).log('checkout.authority').records, '-', '+');
    const tokens = records.map(([, fields]) => Number(fields[1]));
    expect(tokens.filter((t) => t === t2)).toHaveLength(1);
    expect(tokens.at(-1)).toBe(t2);
    expect(tokens.indexOf(t2)).toBe(tokens.length - 1);
    await first.close();
    await second.close();
  });

  it("hands out holder tokens inside the owner's range, only while the room's lease holds", async () => {
    let held = true;
    const leases = new OwnerLeases(
      believed('r', 'n1', 7, () => held),
      realTimers,
      3 * TOKENS_PER_OWNERSHIP,
    );
    const a = await leases.acquire('h1', 1);
    expect(a?.token).toBe(firstTokenOf(7));
    expect(roomTokenOf(a?.token ?? 0)).toBe(7);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const b = await leases.acquire('h2', 10_000);
    expect(b?.token).toBe(firstTokenOf(7) + 1);
    expect(await leases.acquire('h3', 10_000)).toBeUndefined(); // h2's lease runs
    held = false;
    expect(b && (await leases.renew(b, 10_000))).toBeUndefined();
    expect(await leases.current()).toBeUndefined();
    // Continues above a fence already inside this ownership's range (a holder before a restart).
    const again = new OwnerLeases(believed('r', 'n1', 7), realTimers, firstTokenOf(7) + 5);
    expect((await again.acquire('h', 1000))?.token).toBe(firstTokenOf(7) + 6);
  });
});
