// Leases and fenced writes against a real redis-server: tokens only grow, and Redis itself refuses a
// write whose token is not the live lease's (taken over, or simply expired by Redis's clock).
import { beforeAll, expect, it } from 'vitest';
import { type ClusterRedis, FencedLog, FencedOutError, roomKeys } from '../../src/cluster/index.ts';
import type { RoomLease } from '../../src/room-ownership.ts';
import { describeWithRedis, redisServerPerFile } from '../with-redis.ts';
import { clusterRedisPerFile } from './support.ts';

const redisServer = redisServerPerFile();
const connection = clusterRedisPerFile(redisServer);
let redis: ClusterRedis;
beforeAll(() => {
  redis = connection();
});
let room = 0;
const nextRoom = (): string => `room-${++room}`;

/** A lease as a node believes it holds it (the local belief does not matter: Redis decides). */
function believed(roomId: string, nodeId: string, token: number): RoomLease {
  return { room: roomId, nodeId, token, isHeld: () => true, onLost: () => () => {} };
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describeWithRedis('leases and fencing in Redis', () => {
  it('gives one owner at a time, with a token that grows at every change of owner', async () => {
    const r = nextRoom();
    const first = await redis.acquire(r, 'n1', 'ws://127.0.0.1:1', 5000);
    expect(first).toEqual({ taken: true, lease: { node: 'n1', token: 1, url: 'ws://127.0.0.1:1' } });
    expect(await redis.acquire(r, 'n2', 'ws://127.0.0.1:2', 5000)).toEqual({
      taken: false,
      holder: { node: 'n1', token: 1, url: 'ws://127.0.0.1:1' },
    });
    expect(await redis.renew(r, 'n2', 1, 5000)).toBe(false);
    expect(await redis.release(r, 'n2', 1)).toBe(false);
    expect(await redis.release(r, 'n1', 1)).toBe(true);
    const second = await redis.acquire(r, 'n2', 'ws://127.0.0.1:2', 5000);
    expect(second.taken && second.lease.token).toBe(2);
    // A node restarted under the same id takes its old lease over with a new token: its former
    // incarnation's writes are fenced off too.
    const again = await redis.acquire(r, 'n2', 'ws://127.0.0.1:3', 5000);
    expect(again.taken && again.lease.token).toBe(3);
    expect(await redis.renew(r, 'n2', 2, 5000)).toBe(false);
    expect(await redis.renew(r, 'n2', 3, 5000)).toBe(true);
  });

  it('refuses the writes of an owner whose lease expired, whether or not anyone took the room', async () => {
    const r = nextRoom();
    const taken = await redis.acquire(r, 'n1', 'ws://127.0.0.1:1', 300);
    expect(taken.taken).toBe(true);
    const log = new FencedLog(redis, believed(r, 'n1', 1), 'storage');
    await log.open();
    await log.append(bytes(1));
    await new Promise((resolve) => setTimeout(resolve, 400)); // the lease passes by Redis's clock
    await expect(log.append(bytes(2))).rejects.toThrow(FencedOutError);
    await expect(log.compact(bytes(9))).rejects.toThrow(FencedOutError);
    const next = await redis.acquire(r, 'n2', 'ws://127.0.0.1:2', 5000);
    expect(next.taken && next.lease.token).toBe(2);
    const successor = new FencedLog(redis, believed(r, 'n2', 2), 'storage');
    expect((await successor.open()).records).toEqual([bytes(1)]);
    await successor.append(bytes(3));
    // The ex-owner wakes up and writes with its old token: refused, and the log is unchanged.
    await expect(log.append(bytes(4))).rejects.toThrow(/fencing token 1/);
    const stream = await redisServer().client().xrange(roomKeys(r).log('storage').records, '-', '+');
    expect(stream.map(([, fields]) => fields[1])).toEqual(['1', '2']); // each record's token
    expect((await new FencedLog(redis, believed(r, 'n2', 2), 'storage').open()).records).toEqual([
      bytes(1),
      bytes(3),
    ]);
  });

  it('keeps a log through compactions, with the previous snapshot one compaction longer', async () => {
    const r = nextRoom();
    await redis.acquire(r, 'n1', 'u://1', 5000);
    const log = new FencedLog(redis, believed(r, 'n1', 1), 'inventory');
    await log.open();
    await log.append(bytes(1));
    await log.compact(bytes(10));
    await log.append(bytes(2));
    await log.compact(bytes(20));
    await log.append(bytes(3));
    const reopened = await new FencedLog(redis, believed(r, 'n1', 1), 'inventory').open();
    expect(reopened).toEqual({
      snapshot: bytes(20),
      records: [bytes(3)],
      damage: [],
      previous: { snapshot: bytes(10), records: [bytes(2), bytes(3)] },
    });
  });

  it('skips and reports what fails its checksum, and recovers a damaged snapshot from the previous one', async () => {
    const r = nextRoom();
    await redis.acquire(r, 'n1', 'u://1', 5000);
    const log = new FencedLog(redis, believed(r, 'n1', 1), 'storage');
    await log.open();
    await log.append(bytes(1));
    await log.compact(bytes(10));
    await log.append(bytes(2));
    const keys = roomKeys(r).log('storage');
    const raw = redisServer().client();
    await raw.xadd(keys.records, '*', 't', '1', 'c', '12345', 'r', 'x'); // a torn or tampered entry
    let opened = await new FencedLog(redis, believed(r, 'n1', 1), 'storage').open();
    expect(opened.records).toEqual([bytes(2)]);
    expect(opened.damage).toEqual([expect.stringMatching(/records entry .* checksum mismatch, skipped/)]);
    await raw.hset(keys.snapshot, 'r', 'garbage');
    opened = await new FencedLog(redis, believed(r, 'n1', 1), 'storage').open();
    expect(opened.snapshot).toBeUndefined(); // no snapshot before the first compaction
    expect(opened.records).toEqual([bytes(1), bytes(2)]);
    expect((opened.damage ?? []).join('\n')).toMatch(
      /snapshot: checksum mismatch[\s\S]*recovered from the previous snapshot/,
    );
  });

  it('refuses log names that could reach other keys', () => {
    expect(() => new FencedLog(redis, believed('r', 'n1', 1), 'a:b')).toThrow(RangeError);
    expect(() => new FencedLog(redis, believed('r', 'n1', 1), '')).toThrow(RangeError);
  });
});
