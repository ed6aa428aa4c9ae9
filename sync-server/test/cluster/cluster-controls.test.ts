// A room's link cuts and chaos outlive its owner: they are saved in Redis under the owner's lease, and
// whichever node owns the room next opens it with the same cuts and chaos.
import type { Replica } from '@converge/replica';
import { expect, it } from 'vitest';
import { ClusterRedis, roomKeys } from '../../src/cluster/index.ts';
import type { RoomInfo } from '../../src/index.ts';
import { cleanupsAfterEach, type RelayAccess, waitFor } from '../support.ts';
import { describeWithRedis, redisServerPerFile } from '../with-redis.ts';
import { clusterProcesses, type Node } from './processes.ts';
import { adminGet, cartsOf, inProcessNodes, openWindow, waitConverged, waitOnline } from './support.ts';

const ADMIN = 'cluster-controls-admin-token';
const redis = redisServerPerFile();
const startNode = inProcessNodes(redis, ADMIN);
const { startNode: startProcess, waitMoved } = clusterProcesses(redis);
const cleanups = cleanupsAfterEach();

async function admin(node: RelayAccess, method: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${node.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describeWithRedis('room controls in a cluster', () => {
  it('opens the room on its next owner with the cuts and chaos saved under the last lease', async () => {
    const n1 = await startNode('n1');
    const n2 = await startNode('n2');
    const room = 'partitioned';
    // Set before anyone joins: n1 takes the room, which its cut keeps alive.
    expect((await admin(n1, 'POST', `/rooms/${room}/links`, { op: 'cut', from: 'a', to: 'b' })).status).toBe(
      200,
    );
    expect(
      (await admin(n2, 'PUT', `/rooms/${room}/chaos/a/c`, { config: { dropRate: 0.25, seed: 9 } })).status,
    ).toBe(200);
    expect(n1.lease(room)).toBeDefined();
    const key = roomKeys(room).controls;
    expect(JSON.parse((await redis().client().get(key)) ?? 'null')).toEqual({
      cut: [{ from: 'a', to: 'b' }],
      chaos: {
        room: null,
        links: [{ from: 'a', to: 'c', config: expect.objectContaining({ dropRate: 0.25 }) }],
      },
    });

    await n1.close(); // its leases go with it
    // The next change asked of n2 claims the room there: it starts from what n1 saved.
    const response = await admin(n2, 'PUT', `/rooms/${room}/chaos`, { config: { delayMs: 5 } });
    expect(response.status).toBe(200);
    expect(n2.lease(room)).toBeDefined();
    const info = n2.room(room) as RoomInfo;
    expect(info.cut).toEqual([{ from: 'a', to: 'b' }]);
    expect(info.chaos.links).toEqual([
      { from: 'a', to: 'c', config: expect.objectContaining({ dropRate: 0.25 }) },
    ]);
    expect(info.chaos.room).toEqual(expect.objectContaining({ delayMs: 5 }));

    // Healing everything and clearing chaos leaves nothing saved: the room is forgotten, its lease released.
    await admin(n2, 'PUT', `/rooms/${room}/chaos`, { config: null });
    await admin(n2, 'PUT', `/rooms/${room}/chaos/a/c`, { config: null });
    expect((await admin(n2, 'POST', `/rooms/${room}/links`, { op: 'heal-all' })).status).toBe(200);
    expect(await redis().client().exists(key)).toBe(0);
    await waitFor(() => n2.lease(room) === undefined, 'the empty room to be released');
  }, 60_000);

  it('refuses to save the controls of an owner whose lease has passed', async () => {
    const client = ClusterRedis.connect(redis().url, 2000);
    await client.connect();
    cleanups.push(() => client.quit());
    const taken = await client.acquire('fenced-controls', 'n1', 'ws://127.0.0.1:1', 300);
    if (!taken.taken) throw new Error('not taken');
    await client.saveControls('fenced-controls', 'n1', taken.lease.token, '{"cut":[]}');
    await new Promise((resolve) => setTimeout(resolve, 400));
    await expect(client.saveControls('fenced-controls', 'n1', taken.lease.token, '')).rejects.toThrow(
      /FENCED/,
    );
    const next = await client.acquire('fenced-controls', 'n2', 'ws://127.0.0.1:2', 5000);
    expect(next.taken && next.controls).toBe('{"cut":[]}');
  });

  it('keeps a cut link cut when its owner is SIGKILLed', async () => {
    const [n1, n2] = (await Promise.all(['n1', 'n2'].map(startProcess))) as [Node, Node];
    const room = 'cut-survives';
    const open = async (nodes: readonly RelayAccess[], id: string): Promise<Replica> => {
      const replica = await openWindow(() => nodes, room, id);
      cleanups.push(() => replica.close());
      await waitOnline(replica);
      return replica;
    };
    const a = await open([n1, n2], 'a');
    const b = await open([n2], 'b');
    const cut = await admin(n2, 'POST', `/rooms/${room}/links`, {
      op: 'cut',
      from: 'a',
      to: 'b',
      bothWays: true,
    });
    expect(cut.status).toBe(200);
    await waitFor(() => !a.peers().includes('b'), 'a to lose b');

    n1.child.kill('SIGKILL');
    await waitMoved(room, 'n1');
    await waitOnline(a);
    await waitOnline(b);
    const { body } = await adminGet<RoomInfo>(n2, `/rooms/${room}`);
    expect(body.cut).toEqual([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'a' },
    ]);
    // The new owner routes by the cut: a and b, both reconnected to it, do not see each other.
    expect(body.nodes.find((n) => n.id === 'a')?.reachable).not.toContain('b');
    expect(a.peers()).not.toContain('b');
    expect(b.peers()).not.toContain('a');
    // Healed, they do, and converge.
    expect((await admin(n2, 'POST', `/rooms/${room}/links`, { op: 'heal-all' })).status).toBe(200);
    await waitFor(() => a.peers().includes('b') && b.peers().includes('a'), 'a and b to see each other');
    await a.apply({ op: 'cart.add', product: 'from-a', qty: 1 });
    await waitConverged([a, b]);
    for (const cart of Object.values(cartsOf(b))) expect(cart).toEqual({ 'from-a': 1 });
  }, 180_000);
});
