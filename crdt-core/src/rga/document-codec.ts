import { type Decoder, decodeWith, Encoder, TypeTag } from '../encoding.ts';
import type { ReplicaId } from '../replica-id.ts';
import { visitInCausalOrder } from './causal-order.ts';
import { readCounter, readLength, readReplicaTable } from './op-codec.ts';
import { NONE, Run } from './run.ts';
import { Leaf, type RunTree } from './tree.ts';
import { readText, writeText } from './wtf8.ts';

/**
 * Snapshot of a whole document:
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

const LEFT_START = 0;
const LEFT_PREVIOUS = 1;
const RIGHT_END = 0;
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

export function encodeDocument(replicas: readonly ReplicaId[], tree: RunTree): Uint8Array {
  const runs: Run[] = [];
  for (let leaf: Leaf | null = tree.first; leaf !== null; leaf = leaf.next) {
    for (const run of leaf.runs) runs.push(run);
  }
  // Span starts: a run that does not continue its predecessor's chain starts a span.
  const starts: number[] = [];
  for (let i = 0; i < runs.length; i++) {
    if (i === 0 || !(runs[i - 1] as Run).continuedBy(runs[i] as Run)) starts.push(i);
  }
  // Where each span starts, by replica and counter, to name right origins by span.
  const spanAt = replicas.map(() => new Map<number, number>());
  for (let s = 0; s < starts.length; s++) {
    const run = runs[starts[s] as number] as Run;
    (spanAt[run.replica] as Map<number, number>).set(run.counter, s);
  }
  const e = new Encoder(64 + runs.length * 6 + tree.visible);
  e.header(TypeTag.RgaDocument);
  e.uint(replicas.length);
  for (const id of replicas) writeText(e, id);
  e.uint(starts.length);
  let prevReplica = NONE;
  let prevEnd = 0;
  let prevLastCounter = 0;
  for (let s = 0; s < starts.length; s++) {
    const first = runs[starts[s] as number] as Run;
    const endIndex = s + 1 < starts.length ? (starts[s + 1] as number) : runs.length;
    let length = 0;
    for (let i = starts[s] as number; i < endIndex; i++) length += (runs[i] as Run).length;
    const replica = first.replica;
    const counter = first.counter;
    let leftKind = EXPLICIT;
    if (first.leftReplica === NONE) leftKind = LEFT_START;
    else if (s > 0 && first.leftReplica === prevReplica && first.leftCounter === prevLastCounter)
      leftKind = LEFT_PREVIOUS;
    else if (first.leftReplica === replica && first.leftCounter === counter - 1) {
      leftKind = LEFT_OWN_PREDECESSOR;
    }
    let rightKind = EXPLICIT;
    const rightSpan =
      first.rightReplica === NONE
        ? undefined
        : (spanAt[first.rightReplica] as Map<number, number>).get(first.rightCounter);
    if (first.rightReplica === NONE) rightKind = RIGHT_END;
    else if (rightSpan === s + 1) rightKind = RIGHT_NEXT;
    else if (rightSpan !== undefined && rightSpan > s + 1) rightKind = RIGHT_LATER;
    const newReplica = s === 0 || replica !== prevReplica;
    e.uint((newReplica ? 1 : 0) | (leftKind << 1) | (rightKind << 3));
    if (newReplica) {
      e.uint(replica);
      e.uint(counter);
    } else e.int(counter - prevEnd);
    e.uint(length);
    if (leftKind === EXPLICIT) writeRef(e, replica, counter, first.leftReplica, first.leftCounter);
    if (rightKind === EXPLICIT) writeRef(e, replica, counter, first.rightReplica, first.rightCounter);
    else if (rightKind === RIGHT_LATER) e.uint((rightSpan as number) - s - 2);
    prevReplica = replica;
    prevEnd = counter + length;
    prevLastCounter = counter + length - 1;
  }
  const parts: string[] = [];
  const marks: number[] = [];
  let deleted = false;
  let stretch = 0;
  for (const run of runs) {
    if (!run.deleted) parts.push(run.text);
    if (run.deleted === deleted) stretch += run.length;
    else {
      marks.push(stretch);
      deleted = run.deleted;
      stretch = run.length;
    }
  }
  marks.push(stretch);
  writeText(e, parts.join(''));
  e.uint(marks.length);
  for (const mark of marks) e.uint(mark);
  return e.finish();
}

function writeRef(
  e: Encoder,
  replica: number,
  counter: number,
  refReplica: number,
  refCounter: number,
): void {
  if (refReplica === replica) {
    e.uint(0);
    e.int(counter - refCounter);
  } else {
    e.uint(refReplica + 1);
    e.uint(refCounter);
  }
}

/** Decode and validate a snapshot; any malformed or inconsistent input is a DecodeError. */
export function decodeDocument(bytes: Uint8Array): DocumentImage {
  return decodeWith(bytes, TypeTag.RgaDocument, readDocument);
}

function readDocument(d: Decoder): DocumentImage {
  const replicas = readReplicaTable(d);
  const replicaCount = replicas.length;
  const spanCount = d.count(3);
  const placeholder = new Leaf([]);
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
