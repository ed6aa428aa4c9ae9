import type { Run } from './run.ts';
import type { Leaf, RunTree } from './tree.ts';

/**
 * Fast path for the commonest local delete in real typing: backspace or forward delete next to
 * text just deleted. The deleted characters border a tombstone that continues their run (or that
 * their run continues), so they join it by moving the boundary between the two runs: no split, no
 * new run, no splice. The result is exactly what the general path builds (split, mark deleted,
 * fold into the tombstone), only without the intermediate objects.
 *
 * Applies to characters `offset … offset + length - 1` of the visible run at `at` in `leaf` when
 * they are its tail followed by such a tombstone, or its head preceded by one, within the leaf.
 * Returns false, changing nothing, otherwise. The id index keys runs by their first counter, so
 * the caller uses this only while there is no id index.
 */
export function deleteIntoTombstone(
  tree: RunTree,
  leaf: Leaf,
  at: number,
  offset: number,
  length: number,
): boolean {
  const runs = leaf.runs;
  const run = runs[at] as Run;
  if (offset > 0 && offset + length === run.length) {
    // The tail: the tombstone after the run grows backwards over it.
    const after = at + 1 < runs.length ? (runs[at + 1] as Run) : null;
    if (after === null || !after.deleted || !run.continuedBy(after)) return false;
    run.length = offset;
    run.text = run.text.slice(0, offset);
    after.counter -= length;
    after.length += length;
    after.leftCounter = after.counter - 1;
  } else if (offset === 0 && length < run.length) {
    // The head: the tombstone before the run grows forwards over it.
    const before = at > 0 ? (runs[at - 1] as Run) : null;
    if (before === null || !before.deleted || !before.continuedBy(run)) return false;
    before.length += length;
    run.counter += length;
    run.length -= length;
    run.text = run.text.slice(length);
    run.leftCounter = run.counter - 1;
  } else return false;
  tree.addCounts(leaf, 0 - length, 0);
  return true;
}
