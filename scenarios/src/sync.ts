/**
 * `sync`: wait until every replica reaches the nodes it should (the topology) and, within each group of
 * connected nodes, every replica — the storage peer included — reports the same state digest per engine.
 * The evidence is what the replicas announce to each other over the network (Replica.peerDigests), the
 * same in the simulation and over a relay, so a sync ends as soon as the state is equal rather than
 * after a quiet period; the runner's own replicas also compare their versions, which digests of the
 * visible state alone do not cover (a write that changes nothing visible).
 */
import type { EngineVersion, Replica } from '@converge/replica';
import type { Topology } from './topology.ts';

/**
 * What `sync` reads of a replica: a Replica, or what a window reports of its own (the app's replay
 * across windows waits on the same condition).
 */
export type SyncParticipant = Pick<
  Replica,
  'id' | 'engineNames' | 'connection' | 'peers' | 'peerDigests' | 'digest' | 'version'
>;

/** Why the replicas are not in sync yet, or undefined when they are. */
export function outOfSync(
  replicas: ReadonlyMap<string, SyncParticipant>,
  topology: Topology,
): string | undefined {
  for (const [id, replica] of replicas) {
    if (topology.isOffline(id)) continue;
    if (replica.connection() !== 'online') return `${id} is not connected`;
    const expected = topology.expectedPeers(id);
    const peers = new Set(replica.peers());
    const missing = expected.find((peer) => !peers.has(peer));
    if (missing !== undefined) return `${id} does not reach ${missing} yet`;
    const stale = [...peers].find((peer) => topology.knows(peer) && !expected.includes(peer));
    if (stale !== undefined) return `${id} still reaches ${stale}`;
    const heard = replica.peerDigests();
    for (const peer of expected) {
      for (const engine of replica.engineNames) {
        if (heard.get(peer)?.[engine] !== replica.digest(engine))
          return `${peer} has not reported ${id}'s ${engine} state`;
      }
    }
  }
  for (const component of topology.components()) {
    const members = component.flatMap((id) => {
      const replica = replicas.get(id);
      return replica !== undefined && !topology.isOffline(id) ? [replica] : [];
    });
    const [first, ...rest] = members;
    if (first === undefined) continue;
    for (const engine of first.engineNames) {
      const version = canonicalVersion(first.version(engine));
      const behind = rest.find((r) => canonicalVersion(r.version(engine)) !== version);
      if (behind !== undefined) return `${behind.id}'s ${engine} version differs from ${first.id}'s`;
    }
  }
  return undefined;
}

export interface SyncClock {
  readonly now: () => number;
  /** Let time pass (and deliver what is due). */
  readonly wait: () => Promise<void>;
  readonly timeoutMs: number;
  /** More to say about a replica when the sync times out (e.g. its connection's last problem). */
  readonly problem?: (id: string) => string | undefined;
}

export function untilInSync(
  replicas: ReadonlyMap<string, Replica>,
  topology: Topology,
  clock: SyncClock,
): Promise<void> {
  return until(() => outOfSync(replicas, topology), replicas, clock, 'sync');
}

/** Wait until every replica that is not offline is connected (its room then exists at a relay). */
export function untilConnected(
  replicas: ReadonlyMap<string, Replica>,
  topology: Topology,
  clock: SyncClock,
): Promise<void> {
  const notConnected = (): string | undefined => {
    for (const [id, replica] of replicas)
      if (!topology.isOffline(id) && replica.connection() !== 'online') return `${id} is not connected`;
    return undefined;
  };
  return until(notConnected, replicas, clock, 'connect');
}

async function until(
  problem: () => string | undefined,
  replicas: ReadonlyMap<string, Replica>,
  clock: SyncClock,
  what: string,
): Promise<void> {
  const deadline = clock.now() + clock.timeoutMs;
  for (let why = problem(); why !== undefined; why = problem()) {
    if (clock.now() > deadline) {
      const problems = [...replicas.keys()]
        .map((id) => [id, clock.problem?.(id)] as const)
        .filter(([, p]) => p !== undefined)
        .map(([id, p]) => `${id}: ${p}`);
      throw new Error(
        `the replicas did not ${what} within ${clock.timeoutMs / 1000} s: ${why}${problems.length > 0 ? ` (${problems.join('; ')})` : ''}`,
      );
    }
    await clock.wait();
  }
}

/** Versions compare by content: vector entries in id order (engines list them in any order). */
function canonicalVersion(version: EngineVersion): string {
  if (version.kind === 'heads') return JSON.stringify([...version.heads].sort());
  return JSON.stringify(Object.entries(version.entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
