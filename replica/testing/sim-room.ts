/**
 * Replicas of one room on the simulated network, under a virtual clock: memory stores, the real engines
 * and seeded engine identities (Yjs client ids, Automerge actors), so a test replays exactly. Every
 * replica opened here is closed after its test (its engines' memory released) by
 * `closeSimRoomsAfterEach`.
 */
import { VirtualClock } from '@converge/protocol';
import { afterEach } from 'vitest';
import type { EngineRegistry } from '../src/engine-registry.ts';
import { ENGINES } from '../src/engines/index.ts';
import { Replica, type ReplicaOptions } from '../src/replica.ts';
import { type Backpressure, SimNetwork } from '../src/sim-network.ts';
import { MemoryStore } from '../src/store.ts';

export interface SimRoomOptions {
  /** Seed of the network's chaos generator. */
  readonly seed: number;
  /** Where the virtual clock starts (default 0). */
  readonly startMs?: number;
  readonly latencyMs?: number;
  /** Default: every registered engine. */
  readonly engines?: EngineRegistry;
  /** Default: the Replica's own. */
  readonly antiEntropyMs?: number;
  /** Slow consumers that drop frames when overloaded (default: none). */
  readonly backpressure?: Backpressure;
}

const opened = new Set<Replica>();

/** Call once at the top of a test file that uses simRoom. */
export function closeSimRoomsAfterEach(): void {
  afterEach(async () => {
    const replicas = [...opened];
    opened.clear();
    await Promise.all(replicas.map((replica) => replica.close()));
  });
}

export function simRoom(options: SimRoomOptions) {
  const clock = new VirtualClock(options.startMs);
  const net = new SimNetwork({
    timers: clock,
    seed: options.seed,
    ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }),
    ...(options.backpressure === undefined ? {} : { backpressure: options.backpressure }),
  });
  let identities = 0;
  /** Open a replica with a fresh memory store; `extra` overrides any option (e.g. a wrapped transport). */
  const open = async (id: string, extra: Partial<ReplicaOptions> = {}): Promise<Replica> => {
    const replica = await Replica.open({
      id,
      transport: extra.transport ?? net.transport(id),
      store: new MemoryStore(),
      engines: options.engines ?? ENGINES,
      timers: clock,
      ...(options.antiEntropyMs === undefined ? {} : { antiEntropyMs: options.antiEntropyMs }),
      randomUint32: () => (0x9e3779b9 * ++identities) >>> 0,
      ...extra,
    });
    opened.add(replica);
    return replica;
  };
  return { clock, net, open };
}
