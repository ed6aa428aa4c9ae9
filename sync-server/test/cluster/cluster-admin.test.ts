// The admin API of a cluster answers for the whole cluster on any node: /rooms lists every node's rooms
// with their owners, /events streams every node's events (each with the node it happened on).
import { expect, it } from 'vitest';
import { NODES_KEY, nodeAliveKey } from '../../src/cluster/redis-scripts.ts';
import type { Relay, RoomInfo } from '../../src/index.ts';
import { cleanupsAfterEach, credentialFor, openEventStream, waitFor } from '../support.ts';
import { describeWithRedis, redisServerPerFile } from '../with-redis.ts';
import { adminGet, inProcessNodes } from './support.ts';

const ADMIN = 'cluster-admin-test-token';
const redis = redisServerPerFile();
const startNode = inProcessNodes(redis, ADMIN);
const cleanups = cleanupsAfterEach();

const cut = (node: Relay, room: string, from: string, to: string) =>
  fetch(`${node.adminUrl}/rooms/${room}/links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ op: 'cut', from, to }),
  });

describeWithRedis('the admin API across a cluster', () => {
  it('lists every room of the cluster with its owner on any node, within the credential’s rights', async () => {
    const n1 = await startNode('n1');
    const n2 = await startNode('n2');
    // A cut keeps a room on the node that took it.
    expect((await cut(n1, 'on-n1', 'a', 'b')).status).toBe(200);
    expect((await cut(n2, 'on-n2', 'a', 'b')).status).toBe(200);
    await waitFor(
      () => n1.stats().cluster?.nodes.length === 2 && n2.stats().cluster?.nodes.length === 2,
      'both nodes seen',
    );
    for (const node of [n1, n2]) {
      const { status, body } = await adminGet<{ rooms: RoomInfo[] }>(node, '/rooms');
      expect(status).toBe(200);
      expect(body.rooms.map((r) => [r.id, r.owner, r.cut.length])).toEqual([
        ['on-n1', 'n1', 1],
        ['on-n2', 'n2', 1],
      ]);
    }
    // A room admin sees only its own room, wherever it lives.
    const roomAdmin = await credentialFor(n2, 'on-n1', 'operator', ['admin']);
    const response = await fetch(`${n2.adminUrl}/rooms`, {
      headers: { authorization: `Bearer ${roomAdmin}` },
    });
    expect(((await response.json()) as { rooms: RoomInfo[] }).rooms.map((r) => r.id)).toEqual(['on-n1']);
    // A live node that does not answer is named, not silently left out.
    const ghost = 'ws://127.0.0.1:1';
    await redis()
      .client()
      .multi()
      .hset(NODES_KEY, 'ghost', ghost)
      .set(nodeAliveKey('ghost'), ghost, 'PX', 60_000)
      .exec();
    await waitFor(() => n2.stats().cluster?.nodes.length === 3, 'n2 to see the ghost');
    const listed = await adminGet<{ rooms: RoomInfo[]; unreachable: string[] }>(n2, '/rooms');
    expect(listed.body.unreachable).toEqual(['ghost']);
    expect(listed.body.rooms).toHaveLength(2);
    await redis().client().multi().hdel(NODES_KEY, 'ghost').del(nodeAliveKey('ghost')).exec();
  }, 60_000);

  it("streams every node's events on any node, each with the node it happened on", async () => {
    const n1 = await startNode('n1');
    const n2 = await startNode('n2');
    expect((await cut(n1, 'room-a', 'a', 'b')).status).toBe(200);
    await waitFor(() => n2.stats().cluster?.nodes.some((n) => n.id === 'n1') === true, 'n2 to see n1');
    const stream = openEventStream(n2, `/events?token=${ADMIN}`, cleanups);
    expect(await stream.status).toBe(200);
    await waitFor(() => stream.events.some((e) => e.type === 'snapshot'), 'the snapshot');
    const snapshot = stream.events.find((e) => e.type === 'snapshot')?.data as { rooms: RoomInfo[] };
    expect(snapshot.rooms.map((r) => [r.id, r.owner])).toEqual([['room-a', 'n1']]);
    // Wait until n2 listens on the cluster's channel: keep cutting on n1 until one shows up on n2.
    let i = 0;
    await waitFor(
      () => {
        void cut(n1, 'room-a', 'a', `c${i++}`);
        return stream.events.some((e) => e.type === 'cut');
      },
      "n1's events on n2's stream",
      10_000,
    );
    const seen = stream.events.find((e) => e.type === 'cut')?.data as { room: string; relay: string };
    expect(seen).toMatchObject({ room: 'room-a', relay: 'n1' });
    // Its own events carry its own id.
    expect((await cut(n2, 'room-b', 'x', 'y')).status).toBe(200);
    await waitFor(
      () => stream.events.some((e) => (e.data as { room?: string; relay?: string }).room === 'room-b'),
      "n2's own event",
    );
    expect(stream.events.find((e) => (e.data as { room?: string }).room === 'room-b')?.data).toMatchObject({
      relay: 'n2',
    });
  }, 60_000);
});
