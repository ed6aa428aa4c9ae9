// The convergence harness of the replica package, over a real relay on 127.0.0.1: real WebSockets, real time,
// partitions and chaos through the relay's own link table and chaos injection. Smaller budget than the
// in-process run (real time is slow), same checks.

import { SeededRandom } from '@converge/crdt-core';
import { budget, testSeed } from '@converge/crdt-core/testing';
import { realTimers } from '@converge/protocol';
import { type ChaosSettings, ENGINES, type Replica } from '@converge/replica';
import {
  HarnessFailure,
  type HarnessWorld,
  runConvergence,
  type WorldFactory,
} from '@converge/replica/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_CHAOS, type Relay } from '../src/index.ts';
import { relayTransport, startRelay } from './support.ts';

let relay: Relay;
let rooms = 0;

beforeAll(async () => {
  ({ relay } = await startRelay());
});

afterAll(async () => {
  await relay.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One room of the shared relay per run; links and chaos are set through the relay's control API. */
const relayWorld: WorldFactory = ({ seed, antiEntropyMs }) => {
  const room = `converge-${seed}-${rooms++}`;
  const random = new SeededRandom(seed);
  const cut = new Set<string>();
  const started = Date.now();
  const world: HarnessWorld = {
    timers: realTimers,
    transport: (id) => relayTransport(relay, room, id, { random: () => random.next() }),
    partition(groups) {
      cut.clear();
      // One group is everyone together (the relay's split wants at least two).
      relay.applyLinks(room, groups.length > 1 ? { op: 'split', groups } : { op: 'heal-all' });
      for (const a of groups.flat()) {
        for (const b of groups.flat()) {
          if (a !== b && groups.findIndex((g) => g.includes(a)) !== groups.findIndex((g) => g.includes(b))) {
            cut.add(`${a}>${b}`);
          }
        }
      }
    },
    heal() {
      relay.applyLinks(room, { op: 'heal-all' });
      cut.clear();
    },
    toggleLink(from, to) {
      const key = `${from}>${to}`;
      const op = cut.has(key) ? 'heal' : 'cut';
      relay.applyLinks(room, { op, from, to });
      if (op === 'cut') cut.add(key);
      else cut.delete(key);
    },
    setChaos(chaos: ChaosSettings | undefined) {
      relay.setChaos(
        room,
        null,
        chaos === undefined
          ? null
          : {
              ...NO_CHAOS,
              dropRate: chaos.drop ?? 0,
              duplicateRate: chaos.duplicate ?? 0,
              jitterMs: chaos.delayMs ?? 0,
              reorderWindow: (chaos.reorder ?? 0) > 0 ? 4 : 1,
              reorderHoldMs: 20,
              seed: random.nextUint32(),
            },
      );
    },
    advance: (ms) => sleep(ms),
    async settle(replicas: readonly Replica[]) {
      // Quiescent when everyone is connected to everyone and every engine agrees on state and version.
      const deadline = Date.now() + 20 * antiEntropyMs + 10_000;
      const agreed = (): boolean =>
        replicas.every((r) => r.peers().length === replicas.length - 1) &&
        (replicas[0]?.engineNames ?? []).every((engine) =>
          replicas.every(
            (r) =>
              r.digest(engine) === replicas[0]?.digest(engine) &&
              JSON.stringify(r.version(engine)) === JSON.stringify(replicas[0]?.version(engine)),
          ),
        );
      while (!agreed()) {
        if (Date.now() > deadline) {
          const state = replicas.map((r) => `${r.id}: peers [${r.peers().join(' ')}]`).join('; ');
          throw new HarnessFailure(`no agreement over the relay in time (${state})`);
        }
        await sleep(20);
      }
    },
    stats: () => ({ elapsedMs: Date.now() - started }),
    close: async () => {},
  };
  return world;
};

describe(`replicas over a real relay on 127.0.0.1 (${ENGINES.names.join(', ')})`, () => {
  it(
    'converge per engine and lose no acknowledged edit through partitions, offline periods, chaos and restarts',
    async () => {
      const base = testSeed();
      const runs = budget(2, 40);
      let edits = 0;
      for (let run = 0; run < runs; run++) {
        const report = await runConvergence({
          seed: (base + run) >>> 0,
          engines: ENGINES,
          steps: 40,
          replicas: 3,
          antiEntropyMs: 100,
          world: relayWorld,
        });
        edits += report.edits;
      }
      expect(edits).toBeGreaterThan(runs * 10);
    },
    budget(60_000, 1_800_000),
  );
});
