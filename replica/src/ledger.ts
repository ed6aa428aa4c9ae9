/**
 * Ledgers of lost writes, for engines that resolve conflicts by timestamps (last-writer-wins): the writes
 * such an engine holds, the ones it lost, the order that picks a field's winner, and which results depend
 * on wall time. An engine with a ledger exposes it through its descriptor (`ledger`); the app's Lost
 * writes tab, the scenario report and the Compare export read it there.
 */
import type { EngineName } from './engine-name.ts';

/** One write of one field, stamped with its writer's wall clock and carrying its version vector. */
export interface LedgerWrite {
  /** Who wrote it. */
  readonly replica: string;
  /** The writer's sequence number: (replica, counter) identifies the write. Starts at 1. */
  readonly counter: number;
  /** The intent that made it (e.g. "note.set"). */
  readonly op: string;
  /** The field it wrote: "text", "note", "cart/apple", "counters/likes". */
  readonly field: string;
  /** A cart line's quantity or null (the line was removed); the text or note; a counter's total. */
  readonly value: string | number | null;
  /** The writer's wall clock (with its skew) in integer milliseconds: the stamp that decides who wins. */
  readonly wallMs: number;
  /**
   * The writer's clock skew at the time (included in wallMs), so `wallMs − skewMs` is when it really
   * wrote; undefined for writes recorded before writes carried it.
   */
  readonly skewMs?: number;
  /** The writer's version vector right after this write: `vector[replica] === counter`. */
  readonly vector: Readonly<Record<string, number>>;
}

export type LostReason = 'concurrent' | 'clock-skew';

/** A write no replica will show again (its version vector left out), and the write that won over it. */
export interface LostWrite extends Omit<LedgerWrite, 'vector'> {
  readonly overwrittenBy: Pick<LedgerWrite, 'replica' | 'counter' | 'value' | 'wallMs' | 'skewMs'>;
  readonly reason: LostReason;
}

/**
 * The total order that decides a field's winner: wall clock, then replica id (the tie-break), then
 * the writer's counter (two writes of one replica in the same millisecond: the later one wins).
 */
export function compareStamps(a: LedgerWrite, b: LedgerWrite): number {
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.replica !== b.replica) return a.replica < b.replica ? -1 : 1;
  return a.counter - b.counter;
}

/** True when `later` was made by a writer that had seen `earlier` (version vectors). */
export function causallyFollows(later: LedgerWrite, earlier: LedgerWrite): boolean {
  return later !== earlier && (later.vector[earlier.replica] ?? 0) >= earlier.counter;
}

// ---- which results depend on wall time -----------------------------------------------------------
// Last-writer-wins picks a field's value by the writers' clocks, so
// wherever two replicas' writes of a field are not ordered by what each had seen, or their clocks could
// order them against what they had seen, the result depends on when things happened: the simulation's
// virtual clock and a real relay's wall clock can disagree there, and only there. The CRDT engines
// decide by causality and seeded identities, never by time.

export type WallTimeReason =
  /** Neither writer had seen the other's write: the later timestamp wins. */
  | 'concurrent'
  /** One writer had seen the other's write, yet its stamp is not larger (a clock behind, or the same ms). */
  | 'clock-against-causality'
  /** Ordered by causality and by the clocks, but a writer's clock was skewed: how far apart the stamps
   * are depends on how much wall time passed between the writes. */
  | 'skewed-clock';

export interface WallTimeDependence {
  readonly engine: EngineName;
  /** The engine's field: "text", "note", "cart/apple", "counters/likes". */
  readonly field: string;
  /** The replicas whose writes of the field raced, sorted. */
  readonly replicas: readonly string[];
  readonly reason: WallTimeReason;
}

const PRIORITY: readonly WallTimeReason[] = ['concurrent', 'clock-against-causality', 'skewed-clock'];

/**
 * The fields whose value in `engine` (one with a ledger) depends on wall time, sorted by field. `writes`:
 * every write the replicas hold (duplicates allowed); `skewed`: the replicas whose clocks were ever skewed.
 */
export function wallTimeDependences(
  engine: EngineName,
  writes: Iterable<LedgerWrite>,
  skewed: ReadonlySet<string>,
): WallTimeDependence[] {
  // A replica's later write of a field covers its earlier ones: its latest write is the one that races.
  const latest = new Map<string, Map<string, LedgerWrite>>();
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
        const pair = raceOf(candidates[i] as LedgerWrite, candidates[j] as LedgerWrite, skewed);
        if (pair === undefined) continue;
        replicas.add((candidates[i] as LedgerWrite).replica);
        replicas.add((candidates[j] as LedgerWrite).replica);
        if (reason === undefined || PRIORITY.indexOf(pair) < PRIORITY.indexOf(reason)) reason = pair;
      }
    }
    if (reason !== undefined) out.push({ engine, field, replicas: [...replicas].sort(), reason });
  }
  return out;
}

function raceOf(a: LedgerWrite, b: LedgerWrite, skewed: ReadonlySet<string>): WallTimeReason | undefined {
  const [later, earlier] = causallyFollows(a, b) ? [a, b] : causallyFollows(b, a) ? [b, a] : [];
  if (later === undefined || earlier === undefined) return 'concurrent';
  if (compareStamps(later, earlier) <= 0) return 'clock-against-causality';
  if (skewed.has(later.replica) || skewed.has(earlier.replica)) return 'skewed-clock';
  return undefined;
}
