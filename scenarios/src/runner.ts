/**
 * Runs a scenario with headless replicas — the real replica runtime and all four engines — and builds the
 * merge report. Each replica keeps its store across `restart` steps, so a restart reloads exactly what it
 * had acknowledged. A file that carries the room's start state has it loaded into every replica's store.
 *
 * Order of a run: open the replicas, start the world (its storage peer), sync (so the report can say what
 * the room held at the start), the steps, a final sync, the report.
 */

import {
  attachCheckout,
  type CheckoutClient,
  isFinal,
  linesFromCart,
  type SessionSnapshot,
} from '@converge/checkout';
import { SeededRandom } from '@converge/crdt-core';
import { errorMessage } from '@converge/protocol';
import {
  ENGINES,
  type EngineDescriptor,
  type EngineName,
  type EngineRegistry,
  type Intent,
  MemoryStore,
  Replica,
  type WorkspaceView,
  wallTimeDependences,
} from '@converge/replica';
import { type CheckoutRefusal, checkoutReport } from './checkout-report.ts';
import { buildReport, type LostWriteReport, lostWriteReport, type MergeReport } from './report.ts';
import {
  isAuthorityStep,
  isCheckoutStep,
  isEditStep,
  isHistoryStep,
  type Scenario,
  type Step,
} from './scenario.ts';
import { untilConnected, untilInSync } from './sync.ts';
import { partitionLayout, Topology } from './topology.ts';
import { credentialRoom, relayWorld, type ScenarioWorld, simWorld } from './world.ts';

export interface RunOptions {
  /** Run over this relay (ws://host:port) instead of the in-process simulated network. */
  readonly relayUrl?: string;
  /**
   * With `relayUrl`: the relay's admin token, or a credential for the run's room with read, write
   * and admin rights. It mints each replica's credential and drives links and chaos.
   */
  readonly token?: string;
  /** With `relayUrl`: the room to use, instead of the scenario's (or, when it names none, a fresh one). */
  readonly room?: string;
  /** WebSocket constructor for Node (the `ws` package); browsers have their own. */
  readonly WebSocket?: unknown;
  /**
   * The engines every replica (and the simulated storage peer) runs, in display order (the first is the
   * primary and the report's reference); default: every engine the registry offers.
   */
  readonly engines?: EngineRegistry;
  /** In the simulation: how much virtual time a `sync` may take before the run fails (default 120 s). */
  readonly syncTimeoutMs?: number;
}

export class ScenarioRunError extends Error {
  override readonly name = 'ScenarioRunError';
}

const DEFAULT_SEED = 1;

/** The seed of a run: the first chaos step's, else 1. */
export function scenarioSeed(scenario: Scenario): number {
  for (const step of scenario.steps)
    if ('chaos' in step && step.chaos.seed !== undefined) return step.chaos.seed;
  return DEFAULT_SEED;
}

function openWorld(scenario: Scenario, options: RunOptions, engines: EngineRegistry): ScenarioWorld {
  const seed = scenarioSeed(scenario);
  if (options.relayUrl === undefined)
    return simWorld(seed, {
      notBefore: scenario.start?.at,
      engines,
      ...(options.syncTimeoutMs === undefined ? {} : { syncTimeoutMs: options.syncTimeoutMs }),
    });
  const token = options.token;
  if (token === undefined || token === '') {
    throw new ScenarioRunError(
      "a relay needs --token: its admin token, or a credential for the run's room with read, write and admin rights",
    );
  }
  const room = options.room ?? scenario.room;
  const credentialFor = credentialRoom(token);
  if (credentialFor !== undefined && room === undefined) {
    throw new ScenarioRunError(
      `--token is a credential for room ${credentialFor} only, and a run without a named room uses a fresh room: ` +
        `pass --room ${credentialFor} (or name the room in the scenario), or the relay's admin token`,
    );
  }
  return relayWorld({
    url: options.relayUrl,
    room,
    scenarioName: scenario.name,
    adminCredential: token,
    seed,
    WebSocket: options.WebSocket,
  });
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<MergeReport> {
  const engines = options.engines ?? ENGINES;
  const world = openWorld(scenario, options, engines);
  // Engine identities (Yjs client ids, Automerge actors) decide tie-breaks: seeded, so reports replay.
  const random = new SeededRandom(scenarioSeed(scenario));
  const stores = new Map(scenario.replicas.map((id) => [id, new MemoryStore()]));
  const skews = new Map<string, number>();
  const skewed = new Set<string>();
  const replicas = new Map<string, Replica>();
  // Each replica's checkout shares its connection; its session outlives a restart (keys keep counting).
  const checkouts = new Map<string, CheckoutClient>();
  const sessions = new Map<string, SessionSnapshot>();
  /** Checkouts sent: the run waits for each to end (or for its window to lose the authority). */
  const sent: { readonly replica: string; readonly key: string }[] = [];
  const refusals: CheckoutRefusal[] = [];
  const usesCheckout = scenario.steps.some((step) => isCheckoutStep(step) || isAuthorityStep(step));
  let topology = new Topology(scenario.replicas, false);

  const open = async (id: string): Promise<Replica> => {
    let transport = world.transport(id);
    if (usesCheckout) {
      const restored = sessions.get(id);
      const connection = attachCheckout(transport, {
        clock: world.timers,
        ...(restored === undefined ? {} : { restored }),
        persist: (snapshot) => sessions.set(id, snapshot),
      });
      checkouts.set(id, connection.client);
      transport = connection.transport;
    }
    const replica = await Replica.open({
      id,
      transport,
      store: stores.get(id) as MemoryStore,
      engines,
      timers: world.timers,
      now: world.now,
      antiEntropyMs: world.antiEntropyMs,
      randomUint32: () => random.nextUint32(),
      ...(skews.has(id) ? { skewMs: skews.get(id) } : {}),
    });
    const damage = replica.problems().find((p) => p.kind === 'load-damage');
    if (damage !== undefined) {
      await replica.close();
      throw new ScenarioRunError(
        `replica ${id} could not load the scenario's start state: ${damage.message}`,
      );
    }
    if (topology.isOffline(id)) replica.setOffline(true);
    replicas.set(id, replica);
    return replica;
  };
  const clock = {
    now: world.now,
    wait: () => world.wait(),
    timeoutMs: world.syncTimeoutMs,
    problem: (id: string) => world.problem(id),
  };
  /** Every checkout sent has ended, as its window sees it, unless its window cannot reach the authority. */
  const checkoutsSettled = (): boolean =>
    sent.every(({ replica, key }) => {
      const client = checkouts.get(replica) as CheckoutClient;
      return (
        client.view().orders.some((o) => o.key === key && o.replica === replica && isFinal(o.phase)) ||
        client.view().pending.some((p) => p.key === key && p.refused !== undefined) ||
        !client.availability().ok
      );
    });
  const settleCheckouts = async (): Promise<void> => {
    const deadline = world.now() + world.syncTimeoutMs;
    while (
      !checkoutsSettled() ||
      ((await world.checkoutStatus())?.orders.some((o) => o.status === 'in-progress') ?? false)
    ) {
      if (world.now() > deadline) throw new Error(`checkouts did not end within ${world.syncTimeoutMs} ms`);
      await world.wait();
    }
  };
  const sync = async (): Promise<void> => {
    if (usesCheckout) await settleCheckouts();
    await untilInSync(replicas, topology, clock);
  };

  try {
    if (scenario.start !== undefined) {
      for (const store of stores.values()) {
        await store.load();
        await store.compact({ engines: scenario.start.engines });
      }
    }
    for (const id of scenario.replicas) await open(id);
    await untilConnected(replicas, topology, clock);
    const info = await world.start({ checkout: usesCheckout });
    topology = new Topology(scenario.replicas, info.storagePeer);
    await sync();
    const first = replicas.get(scenario.replicas[0] as string) as Replica;
    const start = Object.fromEntries(first.engineNames.map((e) => [e, first.view(e)]));
    for (const [index, step] of scenario.steps.entries()) {
      try {
        await runStep(step);
      } catch (error) {
        throw new ScenarioRunError(
          `step ${index + 1} ${JSON.stringify(step)} failed: ${errorMessage(error)}`,
          { cause: error },
        );
      }
    }
    try {
      await sync();
    } catch (error) {
      throw new ScenarioRunError(`the final sync failed: ${errorMessage(error)}`, { cause: error });
    }
    const all = [...replicas.values()];
    const checkoutPart = usesCheckout ? checkoutReport(await world.checkoutStatus(), refusals) : {};
    const report = buildReport({
      name: scenario.name,
      world: info,
      engines: engines.names,
      start,
      ...finalStates(engines.names, all),
      ledgers: Object.fromEntries(
        ledgerEngines(engines.descriptors).map((d) => [d.name, lostWrites(d, all)]),
      ),
      wallTime: ledgerEngines(engines.descriptors).flatMap((d) =>
        wallTimeDependences(
          d.name,
          all.flatMap((replica) => d.ledger.writes(replica.engine(d.name))),
          skewed,
        ),
      ),
    });
    return { ...report, ...checkoutPart };
  } finally {
    for (const client of checkouts.values()) client.close();
    for (const replica of replicas.values()) await replica.close();
    await world.close();
  }

  async function runStep(step: Step): Promise<void> {
    const replica = (id: string): Replica => replicas.get(id) as Replica;
    if (isEditStep(step)) {
      const { replica: id, ...intent } = step;
      await replica(id).apply(intent as Intent);
      await world.flush();
    } else if (isCheckoutStep(step)) {
      const window = replica(step.replica);
      const cart = window.view(window.status().primary).cart ?? {};
      const client = checkouts.get(step.replica) as CheckoutClient;
      const start = client.checkout(linesFromCart(cart), step.key);
      if (start.kind === 'sent') sent.push({ replica: step.replica, key: start.key });
      else refusals.push({ replica: step.replica, key: step.key ?? '', reason: start.reason });
      await world.flush();
    } else if (isAuthorityStep(step)) {
      await world.checkoutControl(step);
    } else if (isHistoryStep(step)) {
      const target = replica(step.replica);
      await (step.op === 'undo' ? target.undo() : target.redo());
      await world.flush();
    } else if ('partition' in step) {
      const layout = partitionLayout(step, scenario.replicas);
      await world.partition(layout);
      topology.partition(layout);
    } else if ('heal' in step) {
      await world.heal();
      topology.heal();
    } else if ('offline' in step) {
      topology.setOffline(step.offline, true);
      replica(step.offline).setOffline(true);
    } else if ('online' in step) {
      topology.setOffline(step.online, false);
      replica(step.online).setOffline(false);
    } else if ('skew' in step) {
      skews.set(step.skew.replica, step.skew.ms);
      if (step.skew.ms !== 0) skewed.add(step.skew.replica);
      await replica(step.skew.replica).setSkew(step.skew.ms);
    } else if ('chaos' in step) await world.setChaos(step.chaos);
    else if ('sync' in step) await sync();
    else if ('restart' in step) {
      checkouts.get(step.restart)?.close();
      await replica(step.restart).close();
      await open(step.restart);
      await world.flush();
    }
  }
}

function finalStates(
  engines: readonly EngineName[],
  replicas: readonly Replica[],
): {
  views: Partial<Record<EngineName, Record<string, WorkspaceView>>>;
  digests: Partial<Record<EngineName, Record<string, string>>>;
} {
  const views: Partial<Record<EngineName, Record<string, WorkspaceView>>> = {};
  const digests: Partial<Record<EngineName, Record<string, string>>> = {};
  for (const engine of engines) {
    if (!replicas.every((r) => r.engineNames.includes(engine))) continue;
    views[engine] = Object.fromEntries(replicas.map((r) => [r.id, r.view(engine)]));
    digests[engine] = Object.fromEntries(replicas.map((r) => [r.id, r.digest(engine)]));
  }
  return { views, digests };
}

type WithLedger = EngineDescriptor & { readonly ledger: NonNullable<EngineDescriptor['ledger']> };

function ledgerEngines(descriptors: readonly EngineDescriptor[]): WithLedger[] {
  return descriptors.filter((d): d is WithLedger => d.ledger !== undefined);
}

/** An engine's ledger: once converged every replica lists the same; before that, the union. */
function lostWrites(descriptor: WithLedger, replicas: readonly Replica[]): LostWriteReport[] {
  const seen = new Map<string, LostWriteReport>();
  for (const replica of replicas) {
    for (const lost of descriptor.ledger.lost(replica.engine(descriptor.name)))
      seen.set(`${lost.replica}@${lost.counter}`, lostWriteReport(lost));
  }
  return [...seen.values()];
}
