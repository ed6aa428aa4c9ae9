// Replaying a scenario across the windows of a room: app models on the simulated network with the room's
// storage peer, each running a replay agent on a shared channel; the first window conducts. Every minimal
// scenario the explorer ships (scenarios/examples) must show its kind of difference in the windows as it
// does in the scenario runner.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PlacedGroups, realTimers, STORAGE_NODE_ID } from '@converge/protocol';
import { ENGINES, type Replica } from '@converge/replica';
import { buildReport, lostWriteReport, scenarioSeed, simWorld } from '@converge/scenarios';
import { classifyReport } from '@converge/scenarios/explore';
import { parseScenarioText, type Scenario } from '@converge/scenarios/format';
import { describe, expect, it } from 'vitest';
import { AppModel } from '../logic/app-model.ts';
import { ReplayAgent, ReplayClient, type ReplayMessage, windowActions } from '../logic/replay-channel.ts';
import { type ConductorTarget, castWindows, conduct, conductorTarget } from '../logic/replay-conductor.ts';
import { SessionRecorder } from '../logic/session-recorder.ts';
import { WireLog } from '../logic/wire-log.ts';
import { openOnWorld, windowChannels } from './support.ts';

const examples = join(import.meta.dirname, '../../../scenarios/examples');
const files = readdirSync(examples)
  .filter((f) => f.endsWith('.json'))
  .sort();

/** Kinds whose outcome a tie-break decides (identities, or timestamps of concurrent writes), by field. */
const TIE_BREAKS: Readonly<Record<string, string>> = { 'note-winner': 'note', 'text-order': 'text' };

/**
 * Windows named w1, w2… for a scenario's replicas, opened in the file's order with the runner's seeded
 * identities (so tie-breaks come out as in the runner), on the simulated network with a storage peer.
 */
async function replayInWindows(scenario: Scenario, options: { keepApart: boolean } = { keepApart: true }) {
  const world = simWorld(scenarioSeed(scenario));
  const channel = windowChannels<ReplayMessage>();
  const windows = scenario.replicas.map((_, i) => `w${i + 1}`);
  const replicas = [...(await openOnWorld(world, windows, scenarioSeed(scenario))).values()];
  const models = replicas.map(
    (replica) =>
      new AppModel({
        replica,
        wire: new WireLog(ENGINES.names, 10),
        recorder: new SessionRecorder(replica.id),
        schedule: (flush) => flush(),
        now: world.now,
      }),
  );
  const agents = models.slice(1).map((model) => new ReplayAgent(windowActions(model), channel()));
  const client = new ReplayClient(windowActions(models[0] as AppModel), channel(), realTimers);
  const linksSet: string[] = [];
  const base = conductorTarget(client, {
    nodes: () => [...windows, STORAGE_NODE_ID],
    error: () => undefined,
    chaos: async (config) => {
      await world.setChaos({ drop: config.dropRate, duplicate: config.duplicateRate, seed: config.seed });
      return true;
    },
    links: async (operation) => {
      linksSet.push(operation.op);
      if (operation.op === 'heal-all') await world.heal();
      else if (operation.op === 'split')
        await world.partition({ groups: operation.groups.map((g) => [...g]), bridge: undefined });
      else if (operation.op === 'bridge')
        await world.partition({
          groups: operation.groups.map((g) => [...g]),
          bridge: operation.node,
        } as PlacedGroups);
      else throw new Error(`unexpected ${operation.op}`);
      return true;
    },
  });
  const target: ConductorTarget = {
    ...base,
    // Like a relay, the network delivers while people edit: half a second passes after every edit.
    edit: async (window, intent) => {
      const ok = await base.edit(window, intent);
      for (let i = 0; i < 50; i++) await world.wait();
      return ok;
    },
    links: (layout) => (layout === 'apart' && !options.keepApart ? Promise.resolve() : base.links(layout)),
  };
  const found = await client.discover(10);
  const outcome = await conduct(scenario, castWindows(scenario, found), target, {
    storagePeer: true,
    sleep: () => world.wait(),
    now: world.now,
    syncTimeoutMs: 120_000,
  });
  const report = buildReport({
    name: scenario.name,
    world: { kind: 'simulation', seed: 1, storagePeer: true },
    engines: ENGINES.names,
    start: {},
    wallTime: [],
    views: Object.fromEntries(
      ENGINES.names.map((e) => [
        e,
        Object.fromEntries(replicas.map((r, i) => [scenario.replicas[i], r.view(e)])),
      ]),
    ),
    digests: Object.fromEntries(
      ENGINES.names.map((e) => [
        e,
        Object.fromEntries(replicas.map((r, i) => [scenario.replicas[i], r.digest(e)])),
      ]),
    ),
    // The ledgers as the runner reports them (every replica lists the same once converged).
    ledgers: Object.fromEntries(
      ENGINES.descriptors.flatMap(({ name, ledger }) =>
        ledger === undefined
          ? []
          : [[name, ledger.lost((replicas[0] as Replica).engine(name)).map(lostWriteReport)]],
      ),
    ),
  });
  for (const agent of agents) agent.close();
  client.close();
  for (const model of models) model.close();
  for (const replica of replicas) await replica.close();
  await world.close();
  return { found, outcome, report, linksSet };
}

describe('replay across windows', () => {
  it('ships an example of every kind', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s shows its kind of difference in the windows', async (file) => {
    const kind = file.replace(/\.json$/, '');
    const scenario = parseScenarioText(readFileSync(join(examples, file), 'utf8'));
    const { found, outcome, report, linksSet } = await replayInWindows(scenario);
    expect(found).toHaveLength(scenario.replicas.length);
    expect(outcome.refused).toEqual([]);
    for (const engine of ENGINES.names) expect(report.engines[engine]?.converged, engine).toBe(true);
    const verdict = classifyReport(scenario, report, ENGINES.names);
    expect(verdict.bugs).toEqual([]);
    const tieBroken = TIE_BREAKS[kind];
    if (tieBroken === undefined) expect(verdict.kinds.map((k) => k.kind)).toContain(kind);
    // Which concurrent write wins here also depends on when each window wrote (half a second apart, not
    // in one virtual millisecond): the field still shows a documented difference.
    else expect(verdict.kinds.map((k) => k.field)).toContain(tieBroken);
    // Between syncs every node was apart; the links end as the file leaves them.
    expect(linksSet).toContain('split');
    expect(linksSet.at(-1)).toBe('heal-all');
  });

  it('keeps the windows apart between syncs: otherwise the edits would not be concurrent', async () => {
    const scenario = parseScenarioText(readFileSync(join(examples, 'note-siblings.json'), 'utf8'));
    const { report } = await replayInWindows(scenario, { keepApart: false });
    const kinds = classifyReport(scenario, report, ENGINES.names).kinds.map((k) => k.kind);
    expect(kinds).not.toContain('note-siblings');
  });

  it('refuses a file with more replicas than the room has windows', () => {
    const scenario = parseScenarioText(JSON.stringify({ name: 'x', replicas: ['a', 'b', 'c'], steps: [] }));
    expect(() => castWindows(scenario, ['w1', 'w2'])).toThrow(
      /3 replicas and the room 2 windows: open 1 more/,
    );
  });
});
