/**
 * Runs a scenario with headless replicas — the real replica runtime and all four engines — and builds the
 * merge report. Each replica keeps its store across `restart` steps, so a restart reloads exactly what it
 * had acknowledged.
 */
import { SeededRandom } from '@converge/crdt-core';
import {
  availableEngines,
  createEngine,
  ENGINE_NAMES,
  type EngineName,
  errorMessage,
  type Intent,
  LwwEngine,
  MemoryStore,
  Replica,
  type WorkspaceView,
} from '@converge/replica';
import { buildReport, type LostWriteReport, type MergeReport } from './report.ts';
import { isEditStep, type Scenario, type Step } from './scenario.ts';
import { relayWorld, simWorld } from './world.ts';

export interface RunOptions {
  /** Run over this relay (ws://host:port) instead of the in-process simulated network. */
  readonly relayUrl?: string;
  /**
   * With `relayUrl`: the relay's admin token, or a credential for the scenario's room with read, write
   * and admin rights. It mints each replica's credential and drives links and chaos.
   */
  readonly token?: string;
  /** WebSocket constructor for Node (the `ws` package); browsers have their own. */
  readonly WebSocket?: unknown;
}

export class ScenarioRunError extends Error {
  override readonly name = 'ScenarioRunError';
}

const DEFAULT_SEED = 1;

function requiredToken(token: string | undefined): string {
  if (token === undefined || token === '') {
    throw new ScenarioRunError(
      "a relay needs --token: its admin token, or a credential for the scenario's room with read, write and admin rights",
    );
  }
  return token;
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<MergeReport> {
  const world =
    options.relayUrl === undefined
      ? simWorld(firstChaosSeed(scenario) ?? DEFAULT_SEED)
      : relayWorld(options.relayUrl, scenario.room, requiredToken(options.token), options.WebSocket);
  const engines = availableEngines();
  // Engine identities (Yjs client ids, Automerge actors) decide tie-breaks: seeded, so reports replay.
  const random = new SeededRandom(firstChaosSeed(scenario) ?? DEFAULT_SEED);
  const stores = new Map(scenario.replicas.map((id) => [id, new MemoryStore()]));
  const skews = new Map<string, number>();
  const offline = new Set<string>();
  const replicas = new Map<string, Replica>();

  const open = async (id: string): Promise<Replica> => {
    const replica = await Replica.open({
      id,
      transport: world.transport(id),
      store: stores.get(id) as MemoryStore,
      engines,
      createEngine,
      timers: world.timers,
      now: world.now,
      antiEntropyMs: world.antiEntropyMs,
      randomUint32: () => random.nextUint32(),
      ...(skews.has(id) ? { skewMs: skews.get(id) } : {}),
    });
    if (offline.has(id)) replica.setOffline(true);
    replicas.set(id, replica);
    return replica;
  };

  try {
    for (const id of scenario.replicas) await open(id);
    await world.flush();
    for (const [index, step] of scenario.steps.entries()) {
      try {
        await runStep(step);
      } catch (error) {
        throw new ScenarioRunError(
          `step ${index + 1} ${JSON.stringify(step)} failed: ${errorMessage(error)}`,
        );
      }
    }
    await world.settle([...replicas.values()]);
    return report(scenario.name, [...replicas.values()]);
  } finally {
    for (const replica of replicas.values()) await replica.close();
    await world.close();
  }

  async function runStep(step: Step): Promise<void> {
    const replica = (id: string): Replica => replicas.get(id) as Replica;
    if (isEditStep(step)) {
      const { replica: id, ...intent } = step;
      await replica(id).apply(intent as Intent);
      await world.flush();
    } else if ('partition' in step) await world.partition(step.partition);
    else if ('heal' in step) await world.heal();
    else if ('offline' in step) {
      offline.add(step.offline);
      replica(step.offline).setOffline(true);
    } else if ('online' in step) {
      offline.delete(step.online);
      replica(step.online).setOffline(false);
    } else if ('skew' in step) {
      skews.set(step.skew.replica, step.skew.ms);
      await replica(step.skew.replica).setSkew(step.skew.ms);
    } else if ('chaos' in step) await world.setChaos(step.chaos);
    else if ('sync' in step) await world.settle([...replicas.values()]);
    else if ('restart' in step) {
      await replica(step.restart).close();
      await open(step.restart);
      await world.flush();
    }
  }
}

function firstChaosSeed(scenario: Scenario): number | undefined {
  for (const step of scenario.steps)
    if ('chaos' in step && step.chaos.seed !== undefined) return step.chaos.seed;
  return undefined;
}

function report(name: string, replicas: readonly Replica[]): MergeReport {
  const views: Partial<Record<EngineName, Record<string, WorkspaceView>>> = {};
  const digests: Partial<Record<EngineName, Record<string, string>>> = {};
  for (const engine of ENGINE_NAMES) {
    if (!replicas.every((r) => r.engineNames.includes(engine))) continue;
    views[engine] = Object.fromEntries(replicas.map((r) => [r.id, r.view(engine)]));
    digests[engine] = Object.fromEntries(replicas.map((r) => [r.id, r.digest(engine)]));
  }
  return buildReport({ name, views, digests, lost: lostWrites(replicas) });
}

/** The LWW ledger: once converged every replica lists the same; before that, the union. */
function lostWrites(replicas: readonly Replica[]): LostWriteReport[] {
  const seen = new Map<string, LostWriteReport>();
  for (const replica of replicas) {
    const lww = replica.engineNames.includes('lww') ? replica.engine('lww') : undefined;
    if (!(lww instanceof LwwEngine)) continue;
    for (const lost of lww.ledger()) {
      seen.set(`${lost.replica}@${lost.counter}`, {
        replica: lost.replica,
        op: lost.op,
        field: lost.field,
        value: lost.value,
        overwrittenBy: lost.overwrittenBy.replica,
        winningValue: lost.overwrittenBy.value,
        reason: lost.reason,
      });
    }
  }
  return [...seen.values()];
}
