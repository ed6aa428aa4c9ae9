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
import { outOfSync, partitionLayout, type SyncParticipant, Topology } from '@converge/scenarios/replay';

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
