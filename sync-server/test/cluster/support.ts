// Helpers for cluster tests: nodes in this process, a Redis connection, windows that may fail over
// between nodes, and what the room's storage holds.
import { ENGINES, type EngineName, MemoryStore, RelayTransport, Replica } from '@converge/replica';
import { afterAll, afterEach, beforeAll } from 'vitest';
import WebSocket from 'ws';
import { ClusterRedis, redisCluster } from '../../src/cluster/index.ts';
import { createRelay, type Relay } from '../../src/index.ts';
import { REDIS_SERVER, type RedisServer } from '../redis-server.ts';
import { credentialFor, type RelayAccess, waitFor } from '../support.ts';

/**
 * A relay node of the cluster on `redisUrl` in this process, with its storage peers in Redis. Its lease
 * is long enough that a loaded machine renews in time (a lost lease would move a room mid-test).
 */
export function startInProcessNode(redisUrl: string, nodeId: string, adminToken: string): Promise<Relay> {
  const cluster = redisCluster({ url: redisUrl, nodeId, leaseMs: 4000 });
  return createRelay({
    adminToken,
    ownership: cluster.ownership,
    storage: cluster.storage,
    logLevel: 'silent',
  });
}

/**
 * Starts in-process nodes on the file's redis-server (see `startInProcessNode`) and closes them after each
 * test. Call it before the file registers its own afterEach, so what the file opened closes first.
 */
export function inProcessNodes(
  redis: () => RedisServer,
  adminToken: string,
): (nodeId: string) => Promise<Relay> {
  const started: Relay[] = [];
  afterEach(async () => {
    for (const relay of started.splice(0).reverse()) await relay.close();
  });
  return async (nodeId) => {
    const relay = await startInProcessNode(redis().url, nodeId, adminToken);
    started.push(relay);
    return relay;
  };
}

/** A connection to the file's redis-server, for the whole file (undefined without redis-server). */
export function clusterRedisPerFile(server: () => RedisServer): () => ClusterRedis {
  let redis: ClusterRedis | undefined;
  beforeAll(async () => {
    if (REDIS_SERVER === undefined) return;
    redis = ClusterRedis.connect(server().url, 2000);
    await redis.connect();
  });
  afterAll(async () => {
    await redis?.quit();
  });
  return () => redis as ClusterRedis;
}

export const engines: readonly EngineName[] = ENGINES.names;

/**
 * A window's connection to `room` that connects to `nodes()[0]` and, after a failed or lost connection,
 * to the next node of the list (as a client with several relay addresses would).
 */
export function failoverTransport(
  nodes: () => readonly RelayAccess[],
  room: string,
  id: string,
): RelayTransport {
  let attempt = 0;
  let current = nodes()[0] as RelayAccess;
  // RelayTransport takes one URL and asks for a credential before every attempt: that is where the
  // next node is picked; its injected WebSocket then connects there.
  const nextCredential = (): Promise<string> => {
    const list = nodes();
    current = list[attempt++ % list.length] as RelayAccess;
    return credentialFor(current, room, id);
  };
  class FailoverSocket extends WebSocket {
    constructor(_url: string) {
      super(current.url);
    }
  }
  return new RelayTransport({
    url: current.url,
    room,
    nodeId: id,
    // Every node signs and verifies with the same key: a credential from any node works on all.
    token: nextCredential,
    WebSocket: FailoverSocket as never,
    backoff: { initialMs: 20, maxMs: 150 },
  });
}

/** A window (a replica) on `failoverTransport`; its store outlives it when given. */
export async function openWindow(
  nodes: () => readonly RelayAccess[],
  room: string,
  id: string,
  store = new MemoryStore(),
): Promise<Replica> {
  return Replica.open({
    id,
    transport: failoverTransport(nodes, room, id),
    store,
    engines: ENGINES,
    antiEntropyMs: 200,
  });
}

/** openWindow for a test file: each window is closed by the file's `cleanups` after its test. */
export function windowsClosedBy(
  cleanups: (() => unknown)[],
): (nodes: () => readonly RelayAccess[], room: string, id: string) => Promise<Replica> {
  return async (nodes, room, id) => {
    const replica = await openWindow(nodes, room, id);
    cleanups.push(() => replica.close());
    return replica;
  };
}

export async function adminGet<T>(node: RelayAccess, path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${node.adminUrl}${path}`, {
    headers: { authorization: `Bearer ${node.adminToken}` },
  });
  return { status: response.status, body: (await response.json()) as T };
}

export interface StorageStatusBody {
  readonly loaded: boolean;
  readonly pendingWrites: number;
  readonly engines: Record<string, { digest: string }>;
}

/** Until the room's storage (asked through `node`, whoever owns the room) holds what `replica` holds, durably. */
export async function waitStoredDurably(
  node: RelayAccess,
  room: string,
  replica: Replica,
  timeoutMs = 45_000,
) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const { status, body } = await adminGet<StorageStatusBody>(node, `/rooms/${room}/storage`).catch(
      (error: unknown) => ({ status: 0, body: String(error) as never }),
    );
    last = body;
    const same =
      status === 200 && body.loaded && engines.every((e) => body.engines[e]?.digest === replica.digest(e));
    if (same && body.pendingWrites === 0) return;
    if (Date.now() > deadline)
      throw new Error(`storage never caught up with ${replica.id}: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Until every replica shows the same state in every engine. */
export async function waitConverged(replicas: readonly Replica[], timeoutMs = 45_000): Promise<void> {
  await waitFor(
    () =>
      engines.every((engine) => {
        const digests = new Set(replicas.map((r) => r.digest(engine)));
        return digests.size === 1;
      }),
    `${replicas.map((r) => r.id).join(', ')} to converge`,
    timeoutMs,
  );
}

/** The cart each engine shows (tests add one product per window, so no two windows touch one entry). */
export function cartsOf(replica: Replica): Record<string, Readonly<Record<string, number>>> {
  return Object.fromEntries(engines.map((e) => [e, replica.view(e).cart]));
}

/** Until the window is online with the relay. */
export async function waitOnline(replica: Replica): Promise<void> {
  await waitFor(() => replica.status().connection === 'online', `${replica.id} to be online`, 30_000);
}
