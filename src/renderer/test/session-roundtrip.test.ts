// Issue 17 item 2: a session exported from the app replays with the scenario runner to the same result.
// Every shipped scenario is played in "windows" — app models on the simulated network with the room's
// storage peer, each recording into the session log the windows share — then exported from a window,
// and the export is run by the runner: same report as running the shipped file.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STORAGE_NODE_ID } from '@converge/protocol';
import { ENGINES, type Intent, type Replica } from '@converge/replica';
import {
  partitionLayout,
  runScenario,
  scenarioSeed,
  simWorld,
  Topology,
  unexplainedMismatches,
  untilInSync,
} from '@converge/scenarios';
import {
  isAuthorityStep,
  isCheckoutStep,
  isEditStep,
  isHistoryStep,
  parseScenarioText,
  type Scenario,
  type Step,
} from '@converge/scenarios/format';

const isCheckoutScenarioStep = (step: Step): boolean => isCheckoutStep(step) || isAuthorityStep(step);

import { describe, expect, it } from 'vitest';
import { AppModel } from '../logic/app-model.ts';
import { SessionRecorder, snapshotOf } from '../logic/session-recorder.ts';
import { WireLog } from '../logic/wire-log.ts';
import { openOnWorld, sessionChannels } from './support.ts';

const dir = join(import.meta.dirname, '../../../scenarios');
// Checkout is not recorded in a session (stock, faults and checkouts are the Checkout tab's, strong and
// at the authority): scenarios with checkout steps have no session to round-trip.
const shipped = readdirSync(dir)
  .filter((f) => f.endsWith('.json') && !['package.json', 'tsconfig.json'].includes(f))
  .filter((f) => !parseScenarioText(readFileSync(join(dir, f), 'utf8')).steps.some(isCheckoutScenarioStep))
  .sort();

interface Room {
  readonly models: Map<string, AppModel>;
  /** Play one step as people at the windows would (network steps from the first window). */
  play(step: Scenario['steps'][number]): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Windows for a scenario's replicas, as the app opens them, on the simulated network with a storage peer.
 * Their engine identities (Yjs client ids, Automerge actors...) come from `seed` in the order the runner
 * draws them, so concurrent edits are ordered alike in the windows and in the runner's replay.
 */
async function openRoom(
  replicaIds: readonly string[],
  before?: (replicas: Map<string, Replica>) => Promise<void>,
  seed = 99,
): Promise<Room> {
  const world = simWorld(1);
  const channel = sessionChannels();
  const replicas = await openOnWorld(world, replicaIds, seed);
  const topology = new Topology(replicaIds, true);
  const clock = { now: world.now, wait: () => world.wait(), timeoutMs: world.syncTimeoutMs };
  const sync = () => untilInSync(replicas, topology, clock);
  await sync();
  await before?.(replicas);
  const models = new Map<string, AppModel>();
  for (const [id, replica] of replicas) {
    models.set(
      id,
      new AppModel({
        replica,
        wire: new WireLog(ENGINES.names, 10),
        recorder: new SessionRecorder(id, {
          channel: channel(),
          snapshot: () => snapshotOf(replica),
          now: world.now,
        }),
        schedule: (flush) => flush(),
        now: world.now,
      }),
    );
  }
  const first = models.get(replicaIds[0] as string) as AppModel;
  const nodes = [
    ...replicaIds.map((id) => ({ id, role: 'replica' })),
    { id: STORAGE_NODE_ID, role: 'storage' },
  ];
  return {
    models,
    sync,
    play: async (step) => {
      if (isEditStep(step)) {
        const { replica, ...intent } = step;
        expect(await models.get(replica)?.apply(intent as Intent)).toBe(true);
      } else if (isHistoryStep(step)) {
        const model = models.get(step.replica);
        expect(await (step.op === 'undo' ? model?.undo() : model?.redo())).toBe(true);
      } else if ('offline' in step || 'online' in step) {
        const id = 'offline' in step ? step.offline : step.online;
        models.get(id)?.setOffline('offline' in step);
        topology.setOffline(id, 'offline' in step);
      } else if ('skew' in step) {
        await models.get(step.skew.replica)?.setSkew(step.skew.ms);
      } else if ('partition' in step) {
        // What "Split" in the Network panel sends: every window placed, the storage peer placed.
        const layout = partitionLayout(step, replicaIds);
        const windows = layout.groups
          .map((g) => g.filter((id) => id !== STORAGE_NODE_ID))
          .filter((g) => g.length > 0);
        first.recorder.links({ op: 'split', groups: windows, storage: step.storage ?? 'alone' }, nodes);
        await world.partition(layout);
        topology.partition(layout);
      } else if ('heal' in step) {
        first.recorder.links({ op: 'heal-all' }, nodes);
        await world.heal();
        topology.heal();
      } else if ('chaos' in step) {
        first.recorder.chaos(step.chaos);
        await world.setChaos(step.chaos);
      } else if ('sync' in step) {
        await sync(); // nobody records this: the live network syncs by itself
      } else {
        throw new Error(`the windows cannot play ${JSON.stringify(step)}`);
      }
      await world.flush();
    },
    close: async () => {
      for (const model of models.values()) {
        model.recorder.close();
        model.close();
      }
      for (const replica of replicas.values()) await replica.close();
      await world.close();
    },
  };
}

describe('a session exported from the windows replays with the runner to the same result', () => {
  it.each(shipped)(
    '%s',
    async (file) => {
      const scenario = parseScenarioText(readFileSync(join(dir, file), 'utf8'));
      const room = await openRoom(scenario.replicas, undefined, scenarioSeed(scenario));
      try {
        for (const step of scenario.steps) await room.play(step);
        await room.sync();
        const exports = [...room.models.values()].map((m) => m.recorder.toScenario(scenario.name));
        const exported = exports[0]!;
        // Every window holds the same log.
        for (const other of exports.slice(1)) expect(other.steps).toEqual(exported.steps);
        expect(exported.replicas).not.toContain(STORAGE_NODE_ID);
        const heals = exported.steps.filter((s) => 'heal' in s).length;
        expect(heals).toBe(scenario.steps.filter((s) => 'heal' in s).length);
        expect(exported.start).toBeUndefined(); // the room was empty when the recording began

        const original = await runScenario(scenario);
        const replayed = await runScenario(parseScenarioText(JSON.stringify(exported)));
        expect(replayed.engines).toEqual(original.engines);
        expect(replayed.ledgers).toEqual(original.ledgers);
        expect(unexplainedMismatches(original, replayed)).toEqual([]);
        // And the runner's result is what the windows showed.
        const shown = room.models.get(scenario.replicas[0] as string)!.getSnapshot().status.engines;
        for (const engine of ENGINES.names) {
          expect(Object.values(replayed.engines[engine]!.replicas)[0]?.text, engine).toBe(
            shown[engine]?.view.text,
          );
          expect(Object.values(replayed.engines[engine]!.replicas)[0]?.cart, engine).toEqual(
            shown[engine]?.view.cart,
          );
        }
      } finally {
        await room.close();
      }
    },
    60_000,
  );

  it('carries the room state when the recording begins mid-room', async () => {
    // The room already holds text when the windows start recording (e.g. they were opened on it).
    const room = await openRoom(['a', 'b'], async (replicas) => {
      await replicas.get('b')?.apply({ op: 'text.insert', pos: 0, text: 'The room held this text already.' });
      await replicas.get('b')?.apply({ op: 'note.set', value: 'old note' });
    });
    try {
      await room.sync();
      await room.play({ replica: 'a', op: 'text.insert', pos: 23, text: ' mostly' });
      await room.play({ partition: [['a'], ['b']] });
      await room.play({ replica: 'a', op: 'note.set', value: 'from a' });
      await room.play({ replica: 'b', op: 'note.set', value: 'from b' });
      await room.play({ heal: true });
      await room.sync();
      const exported = room.models.get('a')!.recorder.toScenario('mid-room');
      expect(exported.start?.engines).toHaveProperty('converge');
      const replayed = await runScenario(parseScenarioText(JSON.stringify(exported)));
      expect(replayed.start.empty).toBe(false);
      const shown = room.models.get('a')!.getSnapshot().status.engines;
      for (const engine of ['converge', 'yjs', 'automerge'] as const) {
        const state = Object.values(replayed.engines[engine]!.replicas)[0];
        expect(state?.text, engine).toBe('The room held this text mostly already.');
        expect(state?.note, engine).toEqual(shown[engine]?.view.note);
      }
      expect(Object.values(replayed.engines.converge!.replicas)[0]?.note).toEqual(['from a', 'from b']);
      // Last-writer-wins too: the replay's clock starts after the start state's stamps.
      expect(Object.values(replayed.engines.lww!.replicas)[0]?.note).toEqual(shown.lww?.view.note);
    } finally {
      await room.close();
    }
  }, 60_000);
});
