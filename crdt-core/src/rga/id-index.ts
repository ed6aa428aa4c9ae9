import type { Run } from './run.ts';
import type { RunTree } from './tree.ts';

/** Runs per chunk before it splits: binary search finds the chunk, a short splice edits it. */
const CHUNK_CAPACITY = 64;

/**
 * One replica's runs sorted by counter, as a list of small sorted chunks (a two-level B-tree):
 * finding the run that holds a counter is two binary searches, adding or removing a run one
 * splice of a short array.
 */
export class ReplicaRuns {
  private readonly chunks: Run[][] = [];
  /** Counter of the first run of each chunk. */
  private readonly firsts: number[] = [];

  /** The run holding `counter`, or null. */
  find(counter: number): Run | null {
    const ci = this.chunkFor(counter);
    if (ci < 0) return null;
    const chunk = this.chunks[ci] as Run[];
    const run = chunk[lastAtOrBefore(chunk, counter)] as Run;
    return counter < run.counter + run.length ? run : null;
  }

  add(run: Run): void {
    const counter = run.counter;
    const last = this.chunks.length - 1;
    if (last < 0) {
      this.chunks.push([run]);
      this.firsts.push(counter);
      return;
    }
    let ci = this.chunkFor(counter);
    if (ci < 0) ci = 0;
    const chunk = this.chunks[ci] as Run[];
    const tail = chunk[chunk.length - 1] as Run;
    if (counter > tail.counter) chunk.push(run);
    else {
      const at = counter < (chunk[0] as Run).counter ? 0 : lastAtOrBefore(chunk, counter) + 1;
      chunk.splice(at, 0, run);
      if (at === 0) this.firsts[ci] = counter;
    }
    if (chunk.length > CHUNK_CAPACITY) {
      const moved = chunk.splice(chunk.length >> 1);
      this.chunks.splice(ci + 1, 0, moved);
      this.firsts.splice(ci + 1, 0, (moved[0] as Run).counter);
    }
  }

  remove(run: Run): void {
    const ci = this.chunkFor(run.counter);
    const chunk = this.chunks[ci];
    const at = chunk === undefined ? -1 : chunk.indexOf(run);
    if (chunk === undefined || at < 0) throw new Error('run missing from the id index');
    chunk.splice(at, 1);
    if (chunk.length === 0) {
      this.chunks.splice(ci, 1);
      this.firsts.splice(ci, 1);
    } else if (at === 0) this.firsts[ci] = (chunk[0] as Run).counter;
  }

  /** Every run holding a counter ≥ `counter`, in counter order (the first may start earlier). */
  *from(counter: number): Generator<Run> {
    let ci = Math.max(0, this.chunkFor(counter));
    let at = 0;
    const first = this.chunks[ci];
    if (first !== undefined && (first[0] as Run).counter <= counter) at = lastAtOrBefore(first, counter);
    for (; ci < this.chunks.length; ci++, at = 0) {
      const chunk = this.chunks[ci] as Run[];
      for (; at < chunk.length; at++) {
        const run = chunk[at] as Run;
        if (run.counter + run.length > counter) yield run;
      }
    }
  }

  /** Index of the last chunk whose first counter is ≤ counter, or -1. */
  private chunkFor(counter: number): number {
    const firsts = this.firsts;
    let lo = 0;
    let hi = firsts.length - 1;
    if (hi < 0 || (firsts[0] as number) > counter) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((firsts[mid] as number) <= counter) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Fill from runs already sorted by counter. */
  static fromSorted(runs: readonly Run[]): ReplicaRuns {
    const index = new ReplicaRuns();
    const fill = (CHUNK_CAPACITY * 3) >> 2;
    for (let start = 0; start < runs.length; start += fill) {
      const chunk = runs.slice(start, start + fill);
      index.chunks.push(chunk);
      index.firsts.push((chunk[0] as Run).counter);
    }
    return index;
  }
}

/** Index of the last run in a non-empty sorted chunk whose counter is ≤ counter (0 if none). */
function lastAtOrBefore(chunk: readonly Run[], counter: number): number {
  let lo = 0;
  let hi = chunk.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((chunk[mid] as Run).counter <= counter) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Id → run lookup for every replica (indexed by the document's replica index). */
export class IdIndex {
  readonly byReplica: ReplicaRuns[] = [];

  find(replica: number, counter: number): Run | null {
    const runs = this.byReplica[replica];
    return runs === undefined ? null : runs.find(counter);
  }

  /** Like `find`, for ids the document is known to hold. */
  get(replica: number, counter: number): Run {
    const run = this.find(replica, counter);
    if (run === null) throw new Error(`id ${replica}:${counter} missing from the document`);
    return run;
  }

  add(run: Run): void {
    let runs = this.byReplica[run.replica];
    if (runs === undefined) {
      for (let r = this.byReplica.length; r <= run.replica; r++) this.byReplica.push(new ReplicaRuns());
      runs = this.byReplica[run.replica] as ReplicaRuns;
    }
    runs.add(run);
  }

  remove(run: Run): void {
    const runs = this.byReplica[run.replica];
    if (runs === undefined) throw new Error('run missing from the id index');
    runs.remove(run);
  }

  /** Index every run of `tree` (O(n log n); done once, the first time an id must be looked up). */
  static build(tree: RunTree, replicaCount: number): IdIndex {
    const lists: Run[][] = [];
    for (let r = 0; r < replicaCount; r++) lists.push([]);
    for (let leaf: RunTree['first'] | null = tree.first; leaf !== null; leaf = leaf.next) {
      for (const run of leaf.runs) (lists[run.replica] as Run[]).push(run);
    }
    const index = new IdIndex();
    for (const list of lists) index.byReplica.push(ReplicaRuns.fromSorted(sortedByCounter(list)));
    return index;
  }
}

/**
 * Runs (of one replica, so with distinct counters) by counter: one native sort of counter and
 * position packed into a number, which fits a safe integer but for documents of billions of
 * characters (those take a comparison sort).
 */
function sortedByCounter(list: readonly Run[]): Run[] {
  const n = list.length;
  const positions = 2 ** (32 - Math.clz32(n));
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const key = (list[i] as Run).counter * positions + i;
    if (key > Number.MAX_SAFE_INTEGER) return list.slice().sort((a, b) => a.counter - b.counter);
    keys[i] = key;
  }
  keys.sort();
  const sorted: Run[] = new Array(n);
  for (let k = 0; k < n; k++) sorted[k] = list[(keys[k] as number) % positions] as Run;
  return sorted;
}
