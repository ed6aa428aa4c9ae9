/**
 * Which results depend on wall time. Last-writer-wins picks a field's value by the writers' clocks, so
 * wherever two replicas' writes of a field are not ordered by what each had seen, or their clocks could
 * order them against what they had seen, the result depends on when things happened: the simulation's
 * virtual clock and a real relay's wall clock can disagree there, and only there. The CRDT engines
 * decide by causality and seeded identities, never by time.
 */
import { causallyFollows, compareStamps, type LwwWrite } from '@converge/replica';

export type WallTimeReason =
  /** Neither writer had seen the other's write: the later timestamp wins. */
  | 'concurrent'
  /** One writer had seen the other's write, yet its stamp is not larger (a clock behind, or the same ms). */
  | 'clock-against-causality'
  /** Ordered by causality and by the clocks, but a writer's clock was skewed: how far apart the stamps
   * are depends on how much wall time passed between the writes. */
  | 'skewed-clock';

export interface WallTimeDependence {
  readonly engine: 'lww';
  /** The engine's field: "text", "note", "cart/apple", "counters/likes". */
  readonly field: string;
  /** The replicas whose writes of the field raced, sorted. */
  readonly replicas: readonly string[];
  readonly reason: WallTimeReason;
}

const PRIORITY: readonly WallTimeReason[] = ['concurrent', 'clock-against-causality', 'skewed-clock'];

/**
 * The fields whose last-writer-wins value depends on wall time, sorted by field. `writes`: every write
 * the replicas hold (duplicates allowed); `skewed`: the replicas whose clocks were ever skewed.
 */
export function wallTimeDependences(
  writes: Iterable<LwwWrite>,
  skewed: ReadonlySet<string>,
): WallTimeDependence[] {
  // A replica's later write of a field covers its earlier ones: its latest write is the one that races.
  const latest = new Map<string, Map<string, LwwWrite>>();
  for (const write of writes) {
    let byReplica = latest.get(write.field);
    if (byReplica === undefined) {
      byReplica = new Map();
      latest.set(write.field, byReplica);
    }
    const known = byReplica.get(write.replica);
    if (known === undefined || write.counter > known.counter) byReplica.set(write.replica, write);
  }
  const out: WallTimeDependence[] = [];
  for (const [field, byReplica] of [...latest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const candidates = [...byReplica.values()];
    const replicas = new Set<string>();
    let reason: WallTimeReason | undefined;
    for (let i = 0; i < candidates.length; i++) {
      for (let j = i + 1; j < candidates.length; j++) {
        const pair = raceOf(candidates[i] as LwwWrite, candidates[j] as LwwWrite, skewed);
        if (pair === undefined) continue;
        replicas.add((candidates[i] as LwwWrite).replica);
        replicas.add((candidates[j] as LwwWrite).replica);
        if (reason === undefined || PRIORITY.indexOf(pair) < PRIORITY.indexOf(reason)) reason = pair;
      }
    }
    if (reason !== undefined) out.push({ engine: 'lww', field, replicas: [...replicas].sort(), reason });
  }
  return out;
}

function raceOf(a: LwwWrite, b: LwwWrite, skewed: ReadonlySet<string>): WallTimeReason | undefined {
  const [later, earlier] = causallyFollows(a, b) ? [a, b] : causallyFollows(b, a) ? [b, a] : [];
  if (later === undefined || earlier === undefined) return 'concurrent';
  if (compareStamps(later, earlier) <= 0) return 'clock-against-causality';
  if (skewed.has(later.replica) || skewed.has(earlier.replica)) return 'skewed-clock';
  return undefined;
}
