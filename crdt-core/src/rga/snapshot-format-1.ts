import { type Decoder, decodeWith, TypeTag } from '../encoding.ts';
import type { ReplicaId } from '../replica-id.ts';
import { visitInCausalOrder } from './causal-order.ts';
import { readCounter, readLength } from './id-fields.ts';
import { readFormat1ReplicaTable } from './op-codec-format-1.ts';
import { NONE, Run } from './run.ts';
import { newLeaf } from './tree.ts';
import { readText } from './wtf8.ts';

/**
 * Snapshots in format 1, as written before format 2 (snapshot.ts) replaced it: decoded so documents
 * stored then still open, never written any more. Fixtures written by the old encoders are in
 * test/fixtures. The layout:
 *
 *   header(RgaDocument)
 *   replicas: count, then each id as WTF-8 text
 *   spans: count, then in document order, per span
 *     flags: bit 0 replica follows (else same as the previous span);
 *            bits 1-2 left origin: 0 document start, 1 the previous span's last item, 2 explicit ref,
 *              3 the span's own replica, the counter just below the span's (the rest of a run
 *              something was later inserted into: the commonest origin the others miss);
 *            bits 3-4 right origin: 0 document end, 1 the next span's first item, 2 explicit ref,
 *              3 the first item of a span further on (in a sequential history every right origin
 *              is one), then how many spans after the next
 *     [replica], counter (absolute with a new replica, else zigzag delta from where the previous
 *     span's counters ended), length, [left ref], [right ref or span distance]
 *     ref: 0 = the span's replica, then zigzag(span counter - counter); k + 1 = replica k, then counter
 *   text: every visible character, in order, as WTF-8
 *   deletion marks: count, then alternating lengths of visible and deleted stretches over all
 *     characters in document order, starting with visible (only the first may be 0)
 *
 * A span is a maximal stretch of characters that was (or could have been) inserted as one
 * operation, whatever was deleted since; deletions are ranges over the document, not per item.
 */

// Flag values 0 (left: document start, right: document end) need no constant: nothing to read.
const LEFT_PREVIOUS = 1;
const RIGHT_NEXT = 1;
const RIGHT_LATER = 3;
const EXPLICIT = 2;
const LEFT_OWN_PREDECESSOR = 3;

export interface DocumentImage {
  readonly replicas: ReplicaId[];
  /** Highest counter per replica index (ids of each replica are exactly 1 … max). */
  readonly maxCounters: number[];
  /** Runs in document order, not yet in a tree. */
  readonly runs: Run[];
  /** The visible text. */
  readonly text: string;
}

/** Decode and validate a snapshot; any malformed or inconsistent input is a DecodeError. */
export function decodeFormat1(bytes: Uint8Array): DocumentImage {
  return decodeWith(bytes, TypeTag.RgaDocument, readDocument);
}

function readDocument(d: Decoder): DocumentImage {
  const replicas = readFormat1ReplicaTable(d);
  const replicaCount = replicas.length;
  const spanCount = d.count(3);
  const placeholder = newLeaf([]);
  // One Run per span for now; cut where deletion marks change further down.
  const spans: Run[] = [];
  let total = 0;
  let previous: Run | null = null;
  for (let s = 0; s < spanCount; s++) {
    const flags = d.uint();
    if (flags > 31) d.fail(`bad span flags ${flags}`);
    const leftKind = (flags >> 1) & 3;
    const rightKind = (flags >> 3) & 3;
    let replica: number;
    let counter: number;
    if ((flags & 1) !== 0) {
      replica = d.uint();
      if (replica >= replicaCount) d.fail(`replica index ${replica} outside the table`);
      counter = readCounter(d);
    } else {
      if (previous === null) d.fail('first span names no replica');
      replica = previous.replica;
      counter = previous.counter + previous.length + d.int();
      if (!Number.isSafeInteger(counter) || counter < 1) d.fail('span counter out of range');
    }
    const length = readLength(d, counter);
    total += length;
    if (!Number.isSafeInteger(total)) d.fail('document too long');
    let leftReplica = NONE;
    let leftCounter = 0;
    if (leftKind === LEFT_PREVIOUS) {
      if (previous === null) d.fail('first span cannot follow a previous span');
      leftReplica = previous.replica;
      leftCounter = previous.counter + previous.length - 1;
    } else if (leftKind === EXPLICIT) {
      leftReplica = readRefReplica(d, replica, replicaCount);
      leftCounter = readRefCounter(d, leftReplica === replica, counter);
    } else if (leftKind === LEFT_OWN_PREDECESSOR) {
      if (counter === 1) d.fail('the first id of a replica has no predecessor');
      leftReplica = replica;
      leftCounter = counter - 1;
    }
    let rightReplica = NONE;
    let rightCounter = 0;
    if (rightKind === RIGHT_NEXT || rightKind === RIGHT_LATER) {
      // Resolved once every span is read; until then the counter holds the span's index.
      rightReplica = LATER;
      rightCounter = rightKind === RIGHT_NEXT ? s + 1 : s + 2 + d.uint();
      if (rightCounter >= spanCount) d.fail('right origin names a span after the last');
    } else if (rightKind === EXPLICIT) {
      rightReplica = readRefReplica(d, replica, replicaCount);
      rightCounter = readRefCounter(d, rightReplica === replica, counter);
    }
    previous = new Run(
      replica,
      counter,
      length,
      '',
      false,
      leftReplica,
      leftCounter,
      rightReplica,
      rightCounter,
      placeholder,
    );
    spans.push(previous);
  }
  for (const span of spans) {
    if (span.rightReplica !== LATER) continue;
    const target = spans[span.rightCounter] as Run;
    span.rightReplica = target.replica;
    span.rightCounter = target.counter;
  }
  const text = readText(d);
  const markCount = d.count(1);
  const marks: number[] = [];
  let marked = 0;
  let visible = 0;
  for (let m = 0; m < markCount; m++) {
    const mark = d.uint();
    if (m > 0 && mark === 0) d.fail('empty deletion mark');
    marks.push(mark);
    marked += mark;
    if (m % 2 === 0) visible += mark;
  }
  if (marked !== total) d.fail(`deletion marks cover ${marked} characters, spans ${total}`);
  if (visible !== text.length) d.fail(`text has ${text.length} characters, marks say ${visible}`);
  const byCounter = orderIds(d, replicaCount, spans);
  const maxCounters = byCounter.map((list) => {
    const last = list[list.length - 1];
    return last === undefined ? 0 : last.counter + last.length - 1;
  });
  for (const span of spans) {
    const l = span.leftReplica;
    const r = span.rightReplica;
    if (l !== NONE && span.leftCounter > (maxCounters[l] as number))
      d.fail('left origin names an unknown id');
    if (r !== NONE && span.rightCounter > (maxCounters[r] as number))
      d.fail('right origin names an unknown id');
  }
  checkCausalOrder(d, byCounter);

  // Cut spans into runs where the deletion marks change.
  const runs: Run[] = [];
  let mark = 0;
  let markLeft = marks[0] ?? 0;
  let deleted = false;
  let textAt = 0;
  for (const span of spans) {
    const length = span.length;
    for (let offset = 0; offset < length; ) {
      while (markLeft === 0) {
        mark++;
        markLeft = marks[mark] as number;
        deleted = !deleted;
      }
      const take = Math.min(markLeft, length - offset);
      const piece =
        offset === 0
          ? span
          : new Run(
              span.replica,
              span.counter + offset,
              take,
              '',
              false,
              span.replica,
              span.counter + offset - 1,
              span.rightReplica,
              span.rightCounter,
              placeholder,
            );
      piece.length = take;
      piece.deleted = deleted;
      if (!deleted) {
        piece.text = text.slice(textAt, textAt + take);
        textAt += take;
      }
      runs.push(piece);
      offset += take;
      markLeft -= take;
    }
  }
  return { replicas, maxCounters, runs, text };
}

/** Marks a right origin "the first item of span k" (k in rightCounter) until every span is read. */
const LATER = -2;

function readRefReplica(d: Decoder, replica: number, replicaCount: number): number {
  const code = d.uint();
  if (code === 0) return replica;
  if (code - 1 >= replicaCount) d.fail(`replica index ${code - 1} outside the table`);
  return code - 1;
}

function readRefCounter(d: Decoder, sameReplica: boolean, counter: number): number {
  if (!sameReplica) return readCounter(d);
  const ref = counter - d.int();
  if (!Number.isSafeInteger(ref) || ref < 1) d.fail('origin counter out of range');
  return ref;
}

/**
 * Each replica's spans in counter order, checking they cover its ids 1 … max exactly once: from
 * counter 1, each span must start where the previous one ended, and every span must be reached
 * (one that is not starts inside another: an overlap).
 */
function orderIds(d: Decoder, replicaCount: number, spans: readonly Run[]): Run[][] {
  const starts: Map<number, Run>[] = [];
  const counts: number[] = [];
  for (let r = 0; r < replicaCount; r++) {
    starts.push(new Map());
    counts.push(0);
  }
  for (const span of spans) {
    const map = starts[span.replica] as Map<number, Run>;
    if (map.has(span.counter))
      d.fail(`two spans of replica ${span.replica} start at counter ${span.counter}`);
    map.set(span.counter, span);
    counts[span.replica] = (counts[span.replica] as number) + 1;
  }
  const ordered: Run[][] = [];
  for (let r = 0; r < replicaCount; r++) {
    const map = starts[r] as Map<number, Run>;
    const list: Run[] = [];
    for (let counter = 1; list.length < (counts[r] as number); ) {
      const span = map.get(counter);
      if (span === undefined) d.fail(`ids of replica ${r} overlap or leave a gap at counter ${counter}`);
      list.push(span);
      counter += span.length;
    }
    ordered.push(list);
  }
  return ordered;
}

/**
 * Check the spans could have been inserted in some order: each replica's spans in counter order,
 * and every origin inserted before the span naming it. Bytes that fail this (origins in a cycle)
 * describe no real history; accepting them would make delta sync impossible later.
 */
function checkCausalOrder(d: Decoder, byCounter: readonly Run[][]): void {
  const frontier = new Array<number>(byCounter.length).fill(1);
  if (!visitInCausalOrder(byCounter, frontier, () => {})) d.fail('span origins form a cycle');
}
