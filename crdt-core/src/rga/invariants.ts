import type { IdIndex } from './id-index.ts';
import { NONE, type Run } from './run.ts';
import { type Branch, LEAF_CAPACITY, type Leaf, type RunTree } from './tree.ts';

/** The parts of an Rga the invariants talk about. */
export interface InvariantState {
  readonly tree: RunTree;
  readonly ids: IdIndex | null;
  readonly maxCounter: readonly number[];
  readonly cursorRun: Run | null;
  readonly cursorAt: number;
  readonly pending: readonly string[];
}

/**
 * Check every internal invariant (tree counts and links, runs, id index, counters) and throw an
 * Error naming the first one broken. O(n); for tests.
 */
export function checkInvariants(state: InvariantState): void {
  const { tree, ids, maxCounter, cursorRun, cursorAt, pending } = state;
  const fail = (message: string): never => {
    throw new Error(`Rga invariant broken: ${message}`);
  };
  const seen = new Map<string, number>();
  let visible = 0;
  let total = 0;
  let previous: Leaf | null = null;
  const countNode = (node: Leaf | Branch): [number, number] => {
    if (node.isLeaf) {
      let v = 0;
      let t = 0;
      for (const run of node.runs) {
        if (run.leaf !== node) fail('run points at the wrong leaf');
        if (!Number.isSafeInteger(run.length) || run.length < 1) fail('run length below 1');
        if (run.deleted ? run.text !== '' : run.text.length !== run.length && run !== cursorRun) {
          fail('run text does not match its length');
        }
        if (!run.deleted) v += run.length;
        t += run.length;
      }
      if (node.visible !== v || node.total !== t) fail('leaf counts are wrong');
      return [v, t];
    }
    let v = 0;
    let t = 0;
    for (const child of node.children) {
      if (child.parent !== node) fail('child points at the wrong parent');
      const [cv, ct] = countNode(child);
      v += cv;
      t += ct;
    }
    if (node.visible !== v || node.total !== t) fail('branch counts are wrong');
    return [v, t];
  };
  countNode(tree.root);
  if (tree.root.parent !== null) fail('root has a parent');
  for (let leaf: Leaf | null = tree.first; leaf !== null; leaf = leaf.next) {
    if (leaf.prev !== previous) fail('leaf links are broken');
    if (leaf.runs.length === 0 && !(leaf === tree.root)) fail('empty leaf');
    if (leaf.runs.length > LEAF_CAPACITY) fail('leaf over capacity');
    for (const run of leaf.runs) {
      if (!run.deleted) visible += run.length;
      total += run.length;
      const key = `${run.replica}`;
      seen.set(key, (seen.get(key) ?? 0) + run.length);
      if (ids !== null) {
        for (const counter of [run.counter, run.counter + run.length - 1]) {
          if (ids.find(run.replica, counter) !== run) fail('id index does not find a run');
        }
      }
      if (run.counter + run.length - 1 > (maxCounter[run.replica] as number)) fail('run beyond max counter');
    }
    previous = leaf;
  }
  if (previous !== tree.last) fail('last leaf is wrong');
  if (visible !== tree.visible || total !== tree.total) fail('totals are wrong');
  maxCounter.forEach((max, r) => {
    if ((seen.get(`${r}`) ?? 0) !== max)
      fail(`replica ${r} has ${seen.get(`${r}`) ?? 0} ids, max counter ${max}`);
  });
  const cursor = cursorRun;
  if (cursor !== null) {
    if (cursor.leaf.runs[cursorAt] !== cursor) fail('cursor index is stale');
    // Typing on grows the cursor run, so the run after it must be its right origin.
    const runs = cursor.leaf.runs;
    const next = cursorAt + 1 < runs.length ? runs[cursorAt + 1] : cursor.leaf.next?.runs[0];
    const fits =
      next === undefined
        ? cursor.rightReplica === NONE
        : !next.deleted && next.replica === cursor.rightReplica && next.counter === cursor.rightCounter;
    if (!fits) fail('the run after the cursor is not its right origin');
    if (cursor.text.length + pending.reduce((n, p) => n + p.length, 0) !== cursor.length) {
      fail('cursor text and pending text do not add up');
    }
  } else if (pending.length > 0) fail('pending text without a cursor');
}
