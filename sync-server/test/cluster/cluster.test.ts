// Three relay nodes in one process sharing a redis-server: windows of one room on different nodes
// converge through the room's single owner; admin calls work on any node; a node that leaves hands
// its rooms over with nothing lost.
import type { Replica } from '@converge/replica';
import { expect, it } from 'vitest';
import { roomKeys } from '../../src/cluster/index.ts';
import type { Relay, RelayStats, RoomInfo } from '../../src/index.ts';
import { FORWARDED_BY_HEADER } from '../../src/upstream.ts';
import { cleanupsAfterEach, credentialFor, RawClient, waitFor } from '../support.ts';
import { describeWithRedis, redisServerPerFile } from '../with-redis.ts';
import {
  adminGet,
  cartsOf,
  inProcessNodes,
  waitConverged,
  waitOnline,
  waitStoredDurably,
  windowsClosedBy,
} from './support.ts';

const ADMIN = 'cluster-test-admin-token';
const redis = redisServerPerFile();
const startNode = inProcessNodes(redis, ADMIN);
const cleanups = cleanupsAfterEach();
const window = windowsClosedBy(cleanups);

describeWithRedis('relay cluster (in process)', () => {
  it('serves one room from one owner whatever node each window joins, and answers admin calls anywhere', async () => {
    const nodes = [await startNode('n1'), await startNode('n2'), await startNode('n3')];
    const room = 'shared';
    const windows: Replica[] = [];
    for (const [i, node] of nodes.entries()) {
      windows.push(await window(() => [node], room, `w${i}`));
      await waitOnline(windows[i] as Replica);
    }
    for (const [i, w] of windows.entries()) {
      for (let k = 0; k <= i; k++) await w.apply({ op: 'cart.add', product: w.id, qty: 1 });
    }
    await waitConverged(windows);
    for (const e of Object.values(cartsOf(windows[2] as Replica))) expect(e).toEqual({ w0: 1, w1: 2, w2: 3 });
    // The first window's node took the room; the others only forward to it.
    expect(nodes.map((n) => n.rooms().map((r) => r.id))).toEqual([[room], [], []]);
    expect(nodes[0]?.lease(room)?.token).toBeGreaterThan(0);
    expect(nodes[1]?.lease(room)).toBeUndefined();
    for (const node of nodes) {
      const { status, body } = await adminGet<RoomInfo>(node, `/rooms/${room}`);
      expect(status).toBe(200);
      expect(body.nodes.map((n) => n.id).sort()).toEqual(['storage', 'w0', 'w1', 'w2']);
      await waitStoredDurably(node, room, windows[0] as Replica);
    }
    // A link cut asked of a node that does not own the room takes effect at the owner.
    const cut = await fetch(`${nodes[2]?.adminUrl}/rooms/${room}/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ op: 'cut', from: 'w0', to: 'w1', bothWays: true }),
    });
    expect(cut.status).toBe(200);
    expect(nodes[0]?.room(room)?.cut).toHaveLength(2);
    await waitFor(() => !windows[0]?.peers().includes('w1'), 'w0 to lose w1');
    // /stats shows the cluster: its nodes, rooms per node, leases.
    await waitFor(
      () => (nodes[1]?.stats().cluster?.nodes.length ?? 0) === 3,
      'the cluster view to fill',
      5000,
    );
    const { body: stats } = await adminGet<RelayStats>(nodes[1] as Relay, '/stats');
    expect(stats.cluster?.nodeId).toBe('n2');
    expect(stats.cluster?.nodes.map((n) => [n.id, n.rooms])).toEqual([
      ['n1', 1],
      ['n2', 0],
      ['n3', 0],
    ]);
    expect(stats.cluster?.leases).toEqual([
      { room, owner: 'n1', token: nodes[0]?.lease(room)?.token, expiresInMs: expect.any(Number) },
    ]);
  }, 120_000);

  it('hands a room over when its owner shuts down, and the next owner resumes it from Redis', async () => {
    const n1 = await startNode('n1');
    const n2 = await startNode('n2');
    const room = 'handover';
    const order = [n1, n2];
    const a = await window(() => order, room, 'a');
    await waitOnline(a);
    const b = await window(() => [n2], room, 'b');
    await a.apply({ op: 'text.insert', pos: 0, text: 'before ' });
    await waitStoredDurably(n2, room, a);
    const firstToken = n1.lease(room)?.token ?? 0;
    expect(firstToken).toBeGreaterThan(0);
    order.reverse(); // a's next attempt goes to n2
    await n1.close(); // releases the lease at once
    await waitFor(() => n2.lease(room) !== undefined, 'n2 to take the room', 10_000);
    expect(n2.lease(room)?.token).toBeGreaterThan(firstToken);
    await b.apply({ op: 'text.insert', pos: 0, text: 'after ' });
    await waitConverged([a, b]);
    await waitStoredDurably(n2, room, b);
    // Both inserted at 0 concurrently: either order is a correct merge, the same on every replica.
    const merged = a.view('converge').text;
    expect(['after before ', 'before after ']).toContain(merged);
    await a.close();
    await b.close();
    const late = await window(() => [n2], room, 'late');
    await waitFor(() => late.view('converge').text === merged, 'the late window to see both edits', 30_000);
    await waitConverged([late]);
  }, 120_000);
});

describeWithRedis('relay cluster forwarding', () => {
  it('passes frames through to the owner both ways, and never forwards a forwarded connection again', async () => {
    const n1 = await startNode('n1');
    const n2 = await startNode('n2');
    const room = 'raw';
    const owner = await RawClient.join(n1, room, 'a');
    const forwarded = await RawClient.join(n2, room, 'b');
    expect(forwarded.of('welcome')[0]?.peers.map((p) => p.id)).toContain('a');
    forwarded.data('b', 'a', 1, new Uint8Array([1, 2, 3]));
    const got = await owner.waitFor((f) => f.type === 'data' && f.from === 'b', 'the forwarded frame');
    expect(got).toMatchObject({ from: 'b', to: 'a', payload: new Uint8Array([1, 2, 3]) });
    // The owner refuses a spoofed sender on a forwarded connection as on its own.
    forwarded.data('a', null, 1, new Uint8Array([9]));
    await forwarded.waitFor(
      (f) => f.type === 'error' && f.code === 'spoofed-sender',
      'the owner to refuse it',
    );
    // A connection that says another node forwarded it, for a room this node does not own: try again later.
    const token = await credentialFor(n2, room, 'c');
    const chained = await RawClient.connect(n2.url, { [FORWARDED_BY_HEADER]: 'n3' });
    chained.hello(room, 'c', { token });
    expect((await chained.waitClosed(10_000)).code).toBe(1013);
    expect(
      n1
        .room(room)
        ?.nodes.map((n) => n.id)
        .sort(),
    ).toEqual(['a', 'b', 'storage']);
    for (const c of [owner, forwarded]) await c.close();
  }, 120_000);
});

describeWithRedis('relay cluster storage', () => {
  it('resumes a room whose log was compacted in Redis', async () => {
    const n1 = await startNode('n1');
    const room = 'compacted';
    const a = await window(() => [n1], room, 'a');
    for (let i = 0; i < 300; i++) await a.apply({ op: 'cart.add', product: 'a', qty: 1 });
    await waitStoredDurably(n1, room, a);
    await a.close();
    await waitFor(() => n1.lease(room) === undefined, 'the lease to be released');
    const late = await window(() => [n1], room, 'late');
    await waitFor(() => late.view('converge').cart.a === 300, 'the late window to get 300', 20_000);
    await waitConverged([late]);
  }, 120_000);
});

describeWithRedis('relay cluster lease loss', () => {
  it('evicts a room whose lease was taken, and resumes it with a new token and nothing lost', async () => {
    const n1 = await startNode('n1');
    const room = 'taken';
    const a = await window(() => [n1], room, 'a');
    await waitOnline(a);
    let running = true;
    let acked = 0;
    const loop = (async () => {
      while (running) {
        if (
          !(await a.apply({ op: 'cart.add', product: 'a', qty: 1 }).then(
            () => true,
            () => false,
          ))
        )
          return;
        acked++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    await waitFor(() => acked >= 20, 'some edits');
    const token = n1.lease(room)?.token ?? 0;
    // Another owner's lease, as after this node paused: its next renewal is refused.
    await redis().client().set(roomKeys(room).lease, `n9 ${token} ws://127.0.0.1:1`, 'PX', 300);
    await waitFor(() => (n1.lease(room)?.token ?? 0) > token, 'n1 to take the room back', 15_000);
    await waitFor(() => acked >= 60, 'more edits');
    running = false;
    await loop;
    await waitStoredDurably(n1, room, a);
    expect(a.view('converge').cart).toEqual({ a: acked });
  }, 120_000);
});
