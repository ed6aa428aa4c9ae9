import { compareReplicaIds, type ReplicaId } from '../replica-id.ts';
import type { IdIndex } from './id-index.ts';
import { NONE, Run } from './run.ts';
import type { Leaf, RunTree } from './tree.ts';

/**
 * Integration of remote inserts: FugueMax ordering in the formulation of Weidner & Kleppmann's
 * Fugue paper called "YjsMod" (YATA with left and right origins and the corrected scan), applied
 * run by run.
 */

/** Where remote runs go: the tree, the id index and the replica ids (for tie-breaks). */
export interface Placement {
  readonly tree: RunTree;
  readonly ids: IdIndex;
  readonly replicas: readonly ReplicaId[];
}

/** Place a remote run between its origins, ordered among concurrent inserts there. */
export function integrate(
  { tree, ids, replicas }: Placement,
  replica: number,
  counter: number,
  length: number,
  text: string | null,
  leftReplica: number,
  leftCounter: number,
  rightReplica: number,
  rightCounter: number,
): void {
  let leftRun: Run | null = null;
  let leftOffset = 0;
  if (leftReplica !== NONE) {
    leftRun = ids.get(leftReplica, leftCounter);
    leftOffset = leftCounter - leftRun.counter;
  }
  let rightRun: Run | null = null;
  let rightOffset = 0;
  if (rightReplica !== NONE) {
    rightRun = ids.get(rightReplica, rightCounter);
    rightOffset = rightCounter - rightRun.counter;
  }
  // The item right after the left origin; when it is the right origin nothing concurrent lies between.
  let nextRun: Run | null;
  let nextOffset = 0;
  if (leftRun === null) nextRun = tree.firstRun();
  else if (leftOffset + 1 < leftRun.length) {
    nextRun = leftRun;
    nextOffset = leftOffset + 1;
  } else nextRun = tree.runAfter(leftRun);
  let destRun = nextRun;
  let destOffset = nextOffset;
  if (nextRun !== rightRun || nextOffset !== rightOffset) {
    const spot = scan(
      tree,
      ids,
      replicas,
      leftRun,
      leftOffset,
      rightRun,
      rightOffset,
      nextRun,
      nextOffset,
      replicas[replica] as ReplicaId,
    );
    destRun = spot.run;
    destOffset = spot.offset;
  }
  const deleted = text === null;
  // Inside a run (destOffset > 0): split it and put the new run between its halves. Otherwise the
  // new run goes before destRun (at the end when null), or extends the run there when it continues it.
  const splitting = destRun !== null && destOffset > 0;
  if (!splitting) {
    const prev = destRun === null ? tree.lastRun() : tree.runBefore(destRun);
    if (
      prev !== null &&
      prev.deleted === deleted &&
      prev.replica === replica &&
      prev.counter + prev.length === counter &&
      leftReplica === replica &&
      leftCounter === counter - 1 &&
      prev.rightReplica === rightReplica &&
      prev.rightCounter === rightCounter
    ) {
      prev.length += length;
      if (text !== null) prev.text += text;
      tree.addCounts(prev.leaf, deleted ? 0 : length, length);
      return;
    }
  }
  const leaf = destRun === null ? tree.last : destRun.leaf;
  const fresh = new Run(
    replica,
    counter,
    length,
    text ?? '',
    deleted,
    leftReplica,
    leftCounter,
    rightReplica,
    rightCounter,
    leaf,
  );
  if (splitting) {
    const split = destRun as Run;
    const rest = split.splitAt(destOffset);
    leaf.runs.splice(leaf.runs.indexOf(split) + 1, 0, fresh, rest);
    tree.addCounts(leaf, deleted ? 0 : length, length);
    ids.add(rest);
  } else {
    tree.insertRun(leaf, destRun === null ? leaf.runs.length : leaf.runs.indexOf(destRun), fresh);
  }
  ids.add(fresh);
  tree.fixOverflow(leaf);
}

/**
 * The FugueMax/YjsMod scan over the items between the left and right origins (positions count
 * tombstones). Works run by run: only a run's first item has origins of its own; every later
 * item's left origin is its predecessor, which lies after our left origin, so it is skipped.
 *
 * Comparing a scanned item's left origin with ours needs only "before, at, or after our left
 * origin": origins always precede their items, so an origin inside the stretch scanned so far is
 * after ours (its position is known from the walk), and one outside it is before ours. That keeps
 * a long scan (e.g. merging a replica that typed at the start of a long text) linear, with exact
 * positions computed only for items sharing our left origin.
 * Returns the destination: insert before `offset` of `run` (null = at the end).
 */
function scan(
  tree: RunTree,
  ids: IdIndex,
  replicas: readonly ReplicaId[],
  leftRun: Run | null,
  leftOffset: number,
  rightRun: Run | null,
  rightOffset: number,
  nextRun: Run | null,
  nextOffset: number,
  newReplica: ReplicaId,
): { run: Run | null; offset: number } {
  const total = tree.total;
  const left = leftRun === null ? -1 : tree.rank(leftRun, leftOffset);
  const right = rightRun === null ? total : tree.rank(rightRun, rightOffset);
  if (right <= left) throw new RangeError('apply: insert has its right origin before its left origin');
  /** Start position of every run walked so far (and of the left origin's run). */
  const walked = new Map<Run, number>();
  if (leftRun !== null) walked.set(leftRun, left - leftOffset);
  let run = nextRun;
  let leaf = run === null ? null : run.leaf;
  let at = run === null ? 0 : (leaf as Leaf).runs.indexOf(run);
  let offset = nextOffset;
  let position = left + 1;
  let destRun = run;
  let destOffset = offset;
  let scanning = false;
  for (;;) {
    if (!scanning) {
      destRun = run;
      destOffset = offset;
    }
    if (run === null || position === right) break;
    walked.set(run, position - offset);
    let otherLeft: number;
    if (offset > 0) otherLeft = position - 1;
    else if (run.leftReplica === NONE) otherLeft = -1;
    else {
      const origin = ids.get(run.leftReplica, run.leftCounter);
      const originStart = walked.get(origin);
      otherLeft = originStart === undefined ? -2 : originStart + (run.leftCounter - origin.counter);
    }
    if (otherLeft < left) break;
    if (otherLeft === left) {
      const otherRight =
        run.rightReplica === NONE ? total : rankOf(tree, ids, run.rightReplica, run.rightCounter);
      if (otherRight < right) scanning = true;
      else if (otherRight === right) {
        if (compareReplicaIds(newReplica, replicas[run.replica] as ReplicaId) < 0) break;
        scanning = false;
      } else scanning = false;
    }
    const end = position + run.length - offset;
    if (right > position && right < end) {
      // The right origin is inside this run: stop there.
      offset += right - position;
      position = right;
      continue;
    }
    position = end;
    offset = 0;
    at++;
    if (at === (leaf as Leaf).runs.length) {
      leaf = (leaf as Leaf).next;
      at = 0;
    }
    run = leaf === null ? null : (leaf.runs[at] as Run);
  }
  return { run: destRun, offset: destOffset };
}

/** Position of an id among all characters, tombstones included. */
function rankOf(tree: RunTree, ids: IdIndex, replica: number, counter: number): number {
  const run = ids.get(replica, counter);
  return tree.rank(run, counter - run.counter);
}
