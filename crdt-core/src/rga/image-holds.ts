import type { SnapshotImage } from './snapshot.ts';

/**
 * Whether a decoded snapshot `receiver` already holds everything `other` holds: each of `other`'s
 * ids, deleted wherever `other` has it deleted. Then merging `other` changes nothing, which is what
 * a state merge between replicas in sync finds (the delta it would otherwise build names every
 * deleted id, since deletes carry no counters). `tableIndex` gives a replica's index in
 * `receiver`'s table (an index past the image's replicas is not one of them).
 *
 * One pass over both documents in document order, no objects: each of `other`'s ids is looked for
 * from where the previous one was found. Ids are unique in a document, so where the search finds
 * one is where that id is; it can only fail to find an id `receiver` holds out of the order `other`
 * has it in (not between valid documents), and then the answer is false too, which costs nothing
 * but the cheaper path: the caller merges `other`'s delta instead.
 */
// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
export const imageHolds = (function imageHolds(
  receiver: SnapshotImage,
  other: SnapshotImage,
  tableIndex: ReadonlyMap<string, number>,
): boolean {
  // Other's replica indices as the receiver's; other must not hold ids past the receiver's.
  const index = new Int32Array(other.replicas.length);
  for (let r = 0; r < index.length; r++) {
    const at = tableIndex.get(other.replicas[r] as string);
    if (at === undefined || at >= receiver.replicas.length) return false;
    if ((other.maxCounters[r] as number) > (receiver.maxCounters[at] as number)) return false;
    index[r] = at;
  }
  const aReplica = receiver.replica;
  const aCounter = receiver.counter;
  const aLength = receiver.length;
  const aMarks = receiver.marks;
  const bReplica = other.replica;
  const bCounter = other.counter;
  const bLength = other.length;
  const bMarks = other.marks;
  const aSpans = aCounter.length;
  const bSpans = bCounter.length;
  // The receiver's cursor: span `s`, `offset` characters into it, at position `pos` of all its
  // characters; mark `m` ends at `markEnd` (marks alternate visible, deleted, … from position 0).
  let s = 0;
  let offset = 0;
  let pos = 0;
  let m = 0;
  let markEnd = aMarks[0] as number;
  // The same for `other`, span by span.
  let bm = 0;
  let bMarkEnd = bMarks[0] as number;
  let bPos = 0;
  for (let t = 0; t < bSpans; t++) {
    const r = index[bReplica === null ? 0 : (bReplica[t] as number)] as number;
    let c = bCounter[t] as number;
    let left = bLength[t] as number;
    while (left > 0) {
      // Find id (r, c) in the receiver from the cursor on: within the current span if it holds it,
      // else from a later span's start.
      for (;;) {
        if (s === aSpans) return false;
        const first = (aCounter[s] as number) + offset;
        const spanLeft = (aLength[s] as number) - offset;
        if ((aReplica === null ? 0 : (aReplica[s] as number)) === r && c >= first && c < first + spanLeft) {
          offset += c - first;
          pos += c - first;
          break;
        }
        pos += spanLeft;
        s++;
        offset = 0;
      }
      // Both cursors are at the same id: walk the stretch both spans hold, mark by mark.
      let take = Math.min(left, (aLength[s] as number) - offset);
      left -= take;
      c += take;
      offset += take;
      while (take > 0) {
        while (markEnd <= pos) markEnd += aMarks[++m] as number;
        while (bMarkEnd <= bPos) bMarkEnd += bMarks[++bm] as number;
        const step = Math.min(take, markEnd - pos, bMarkEnd - bPos);
        // Deleted in `other` (an odd mark) but visible here (an even one): merging changes this.
        if (bm % 2 === 1 && m % 2 === 0) return false;
        take -= step;
        pos += step;
        bPos += step;
      }
      if (offset === (aLength[s] as number)) {
        s++;
        offset = 0;
      }
    }
  }
  return true;
});
