/**
 * Replaying a scenario file across the windows of a room, the way the scenario runner's simulation runs
 * it: each of the file's replicas is played by one window, and time passes only at `sync` steps.
 *
 * Between syncs the relay keeps every node of the room apart (each alone: its links cut), so the edits
 * made there are concurrent exactly when they are in the simulation, where nothing is delivered between
 * steps. At a `sync` the links follow the file's partitions (the storage peer placed as the file says),
 * and the conductor waits until the windows that reach each other report the same state (the runner's own
 * condition, scenarios/src/sync.ts), then keeps them apart again. Offline and clock-skew steps go to the
 * windows as they come; restarts are skipped (closing and reopening a window changes nothing a replay
 * shows). At the end the links are left as the file leaves them.
 *
 * What differs from the simulation: engine identities (Yjs client ids, Automerge actors) are each window's
 * own, so where a tie-break decides (which concurrent insert goes first, which note Yjs keeps) a window
 * may show the other outcome; the kind of difference stays the same.
 */
import type { PlacedGroups } from '@converge/protocol';
import type { Intent } from '@converge/replica';
import { isEditStep, type Scenario, type Step } from '@converge/scenarios/format';
import {
  outOfSync,
  partitionLayout,
  relayChaosConfig,
  type SyncParticipant,
  Topology,
} from '@converge/scenarios/replay';
import type { LinkOperation } from './relay-admin.ts';
import { participantOf, type ReplayClient } from './replay-channel.ts';

/** What the conductor drives: the windows of the room (by replica id) and the relay's links. */
export interface ConductorTarget {
  /** Apply an edit in a window; resolves false when the window refused it. */
  edit(window: string, intent: Intent): Promise<boolean>;
  /** Switch a window's Offline setting (nothing happens when it already is so). */
  setOffline(window: string, offline: boolean): Promise<void>;
  skew(window: string, ms: number): Promise<void>;
  /** What a window reports of its replica now (for the sync condition). */
  state(window: string): Promise<SyncParticipant>;
  /**
   * Set the relay's links: these groups (every other node of the room alone), every link healed, or
   * every node of the room apart.
   */
  links(layout: PlacedGroups | 'healed' | 'apart'): Promise<void>;
  chaos(chaos: Extract<Step, { chaos: unknown }>['chaos']): Promise<void>;
}

export interface ConductOptions {
  /** Whether the room has a storage peer (the relay runs with a data folder). */
  readonly storagePeer: boolean;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** How long a sync may take (default 30 s). */
  readonly syncTimeoutMs?: number;
  /** How often the windows are asked for their state while syncing (default 150 ms). */
  readonly pollMs?: number;
  /** A step (0-based) is about to run; `steps.length`: the final sync. */
  readonly onStep?: (index: number) => void;
  readonly shouldStop?: () => boolean;
}

export interface ConductOutcome {
  /** Steps whose edit a window refused (0-based). */
  readonly refused: readonly number[];
  /** Steps not replayed (restarts), 0-based. */
  readonly skipped: readonly number[];
  /** Ended early by `shouldStop`. */
  readonly stopped: boolean;
}

/** Which window plays which of the file's replicas: the windows in the order given, this one first. */
export function castWindows(scenario: Scenario, windows: readonly string[]): Map<string, string> {
  if (windows.length < scenario.replicas.length) {
    const missing = scenario.replicas.length - windows.length;
    throw new RangeError(
      `the file has ${scenario.replicas.length} replicas and the room ${windows.length} window${windows.length === 1 ? '' : 's'}: open ${missing} more`,
    );
  }
  return new Map(scenario.replicas.map((id, i) => [id, windows[i] as string]));
}

/** Play `scenario` across the windows `cast` assigns; every window is let back on the network at the end. */
export async function conduct(
  scenario: Scenario,
  cast: ReadonlyMap<string, string>,
  target: ConductorTarget,
  options: ConductOptions,
): Promise<ConductOutcome> {
  const window = (replica: string): string => cast.get(replica) ?? replica;
  const windows = scenario.replicas.map(window);
  const topology = new Topology(windows, options.storagePeer);
  let layout: PlacedGroups | 'healed' = 'healed';
  const refused: number[] = [];
  const skipped: number[] = [];

  const sync = async (): Promise<void> => {
    await target.links(layout);
    const deadline = options.now() + (options.syncTimeoutMs ?? 30_000);
    for (;;) {
      const states = await Promise.all(windows.map((id) => target.state(id)));
      const why = outOfSync(new Map(states.map((s) => [s.id, s])), topology);
      if (why === undefined) break;
      if (options.now() > deadline) throw new Error(`the windows did not sync: ${why}`);
      await options.sleep(options.pollMs ?? 150);
    }
    await target.links('apart');
  };

  let stopped = false;
  try {
    for (const id of windows) await target.setOffline(id, false);
    await sync();
    for (const [index, step] of scenario.steps.entries()) {
      if (options.shouldStop?.() === true) {
        stopped = true;
        break;
      }
      options.onStep?.(index);
      if (isEditStep(step)) {
        const { replica, ...intent } = step;
        if (!(await target.edit(window(replica), intent as Intent))) refused.push(index);
      } else if ('partition' in step) {
        const mapped = {
          partition: step.partition.map((group) => group.map(window)),
          ...(step.storage === undefined ? {} : { storage: withWindow(step.storage, window) }),
        };
        layout = partitionLayout(mapped, windows);
        topology.partition(layout);
      } else if ('heal' in step) {
        layout = 'healed';
        topology.heal();
      } else if ('offline' in step || 'online' in step) {
        const id = window('offline' in step ? step.offline : step.online);
        topology.setOffline(id, 'offline' in step);
        await target.setOffline(id, 'offline' in step);
      } else if ('skew' in step) await target.skew(window(step.skew.replica), step.skew.ms);
      else if ('chaos' in step) await target.chaos(step.chaos);
      else if ('sync' in step) await sync();
      else skipped.push(index);
    }
    if (!stopped) {
      options.onStep?.(scenario.steps.length);
      await sync();
    }
  } finally {
    await target.links(layout);
  }
  return { refused, skipped, stopped };
}

/** A storage placement with the replica it names replaced by its window. */
function withWindow<P extends string>(placement: P, window: (replica: string) => string): P {
  return (placement.startsWith('with-') ? `with-${window(placement.slice(5))}` : placement) as P;
}

/** What the conductor needs of the relay: the room's links and chaos (this window's admin right). */
export interface RoomNetwork {
  /** Resolves false when the relay refused (the store keeps the error). */
  links(operation: LinkOperation): Promise<boolean>;
  chaos(config: ReturnType<typeof relayChaosConfig>): Promise<boolean>;
  /** The room's nodes now (its windows and its storage peer). */
  nodes(): readonly string[];
  /** The last error, for the message when refused. */
  error(): string | undefined;
}

/** The windows (over the channel) and the room's relay links, as the conductor drives them. */
export function conductorTarget(client: ReplayClient, network: RoomNetwork): ConductorTarget {
  const accepted = async (call: Promise<boolean>, what: string): Promise<void> => {
    if (!(await call))
      throw new Error(`the relay refused to ${what}: ${network.error() ?? 'no reason given'}`);
  };
  return {
    edit: async (window, intent) => (await client.command(window, { type: 'edit', intent })) === true,
    setOffline: async (window, offline) => {
      await client.command(window, { type: 'offline', offline });
    },
    skew: async (window, ms) => {
      await client.command(window, { type: 'skew', ms });
    },
    state: async (window) => {
      const state = await client.command(window, { type: 'state' });
      if (typeof state === 'boolean') throw new Error(`window ${window} sent no state`);
      return participantOf(state);
    },
    links: async (layout) => {
      if (layout === 'healed') return accepted(network.links({ op: 'heal-all' }), 'heal the links');
      const nodes = network.nodes();
      if (layout === 'apart')
        return accepted(network.links({ op: 'split', groups: nodes.map((id) => [id]) }), 'cut the links');
      // Nodes the file does not name stay alone, as in the runner's relay world.
      const named = new Set([
        ...layout.groups.flat(),
        ...(layout.bridge === undefined ? [] : [layout.bridge]),
      ]);
      const groups = [...layout.groups, ...nodes.filter((id) => !named.has(id)).map((id) => [id])];
      const operation: LinkOperation =
        groups.length < 2
          ? { op: 'heal-all' }
          : layout.bridge === undefined
            ? { op: 'split', groups }
            : { op: 'bridge', node: layout.bridge, groups };
      return accepted(network.links(operation), 'split the room');
    },
    chaos: (chaos) => accepted(network.chaos(relayChaosConfig(chaos)), 'set chaos'),
  };
}
