import { readIntStream, writeIntStream } from '../compress/int-stream.ts';
import { readTextStream, writeTextStream } from '../compress/text-stream.ts';
import { type Decoder, decodeWith, Encoder, TypeTag } from '../encoding.ts';
import type { ReplicaId } from '../replica-id.ts';
import { visitInCausalOrder } from './causal-order.ts';
import { DeltaCollector, knownCounters } from './delta.ts';
import { acyclic, computeKnowledge, Knowledge, type SpanOrigins } from './knowledge.ts';
import { deriveOrigins, type Origins } from './origins.ts';
import { readCompactReplicaTable, writeCompactReplicaTable } from './replica-table.ts';
import { NONE, Run } from './run.ts';
import { type Leaf, newLeaf, type RunTree } from './tree.ts';
import type { RgaOp, RgaVersion } from './types.ts';

/**
 * Snapshot of a whole document, format 2 (BINARY.md describes it in full):
 *
 *   compact header (RgaDocument)
 *   replicas        compact replica table, the replicas that inserted something, in order of first
 *                   appearance in the document
 *   spans, columns  replica index (only with several replicas); rank (the span's place among its
 *                   replica's spans by counter, as zigzag of the distance from one past the rank
 *                   of that replica's previous span in the document); length - 1
 *   knowledge       only with several replicas: what each replica's inserts knew of the others
 *                   (knowledge.ts), as one int column
 *   exceptions      origins that document order does not give (origins.ts), as one int column
 *   text            the visible characters (text-stream.ts)
 *   deletion marks  alternating lengths of visible and deleted stretches over every character in
 *                   document order, starting with a visible one (only the first may be 0)
 *
 * A span is a maximal stretch of characters that was (or could have been) inserted as one operation,
 * whatever was deleted since. Counters are not stored: a replica's spans in rank order hold its ids
 * 1, 2, … in turn, so every id is covered exactly once by construction (a decoder checks only that
 * the ranks are a permutation). Origins are not stored either: they follow from document order and
 * counters.
 * Every column is an entropy-coded int stream, so the bytes go where the information is.
 *
 * Decoding validates everything and keeps the columns (a SnapshotImage): the document's runs and
 * tree are built from them on first need (`materialize`), so opening a document to read it costs
 * the columns and the text, not an object per run.
 */

/** The decoded columns of a format 2 snapshot, checked, not yet turned into runs. */
export interface SnapshotImage {
  readonly replicas: ReplicaId[];
  readonly maxCounters: number[];
  /** Per span (document order): replica index (null: all replica 0), first counter, length. */
  readonly replica: Float64Array | null;
  readonly counter: Float64Array;
  readonly length: Float64Array;
  readonly knowledge: Knowledge;
  /** Flattened (span, side 0 left / 1 right, replica or NONE, counter) quadruples. */
  readonly exceptions: Float64Array;
  readonly text: string;
  readonly marks: Float64Array;
}

/**
 * The snapshot of a built document. `originsDerived`: every origin is known to follow from document
 * order (the document's own inserts only, see Rga), so no exception can arise and the derivation
 * that finds them is skipped. `text`: the visible text when the document has it at hand.
 */
export function encodeSnapshot(
  replicas: readonly ReplicaId[],
  tree: RunTree,
  originsDerived: boolean,
  text: string | null,
): Uint8Array {
  // A document of one replica whose origins follow from document order (every local document's)
  // needs neither origin nor replica columns: nothing derives or checks origins.
  const withOrigins = !originsDerived || replicas.length > 1;
  const spans = collectSpans(replicas, tree, text === null, withOrigins);
  const { used, replica, counter, length } = spans;
  const count = used.length;
  const knowledge = count > 1 ? knowledgeOf(spans) : Knowledge.none(count);
  let exceptions: Float64Array = NO_EXCEPTIONS;
  if (!originsDerived) {
    const columns = { replica: count > 1 ? replica : null, counter, length };
    exceptions = exceptionsOf(spans, deriveOrigins(columns, count, knowledge));
  }
  return writeSnapshot({
    replicas: used,
    replica: count > 1 ? replica : null,
    counter,
    length,
    knowledge,
    exceptions,
    text: text ?? spans.text,
    marks: spans.marks,
  });
}

const NO_EXCEPTIONS = new Float64Array(0);

/**
 * A decoded snapshot not built yet, encoded again from its columns: counters become ranks again,
 * the exceptions and knowledge it holds are written as they are; no run, origin or tree is made.
 * For a snapshot our encoder wrote, these are the bytes it was decoded from.
 */
export function encodeImage(image: SnapshotImage): Uint8Array {
  return writeSnapshot({
    replicas: image.replicas,
    replica: image.replica,
    counter: image.counter,
    length: image.length,
    knowledge: image.knowledge,
    exceptions: exceptionColumn(image.exceptions),
    text: image.text,
    marks: image.marks,
  });
}

/** What a snapshot's bytes are made of: an image's columns, its exceptions as their column. */
type SnapshotParts = Omit<SnapshotImage, 'maxCounters' | 'exceptions'> & {
  /** The exception column, as written. */
  readonly exceptions: Float64Array;
};

function writeSnapshot(parts: SnapshotParts): Uint8Array {
  const { replica, counter, length } = parts;
  const count = parts.replicas.length;
  const n = counter.length;
  const rank = ranksOf(count, replica, counter);
  // Columns: replica, rank (zigzag of the distance from one past the rank of that replica's
  // previous span in document order), length - 1.
  const rankColumn = new Float64Array(n);
  const lengthColumn = new Float64Array(n);
  const lastRank = new Float64Array(Math.max(count, 1)).fill(-1);
  for (let s = 0; s < n; s++) {
    const r = replica === null ? 0 : (replica[s] as number);
    rankColumn[s] = zigzag((rank[s] as number) - (lastRank[r] as number) - 1);
    lastRank[r] = rank[s] as number;
    lengthColumn[s] = (length[s] as number) - 1;
  }
  const e = new Encoder(64 + n * 2 + parts.text.length);
  e.compactHeader(TypeTag.RgaDocument);
  writeCompactReplicaTable(e, parts.replicas);
  if (count > 1) writeIntStream(e, replica as Float64Array);
  writeIntStream(e, rankColumn);
  writeIntStream(e, lengthColumn);
  if (count > 1) writeIntStream(e, flattenKnowledge(parts.knowledge));
  writeIntStream(e, parts.exceptions);
  writeTextStream(e, parts.text);
  writeIntStream(e, parts.marks);
  return e.finish();
}

/** A decoded image's exceptions, (span, side, replica or NONE, counter) quadruples, as their column. */
function exceptionColumn(quadruples: Float64Array): Float64Array {
  const out: number[] = [];
  let lastException = 0;
  for (let i = 0; i < quadruples.length; ) {
    const s = quadruples[i] as number;
    // A span's left exception comes before its right one (readExceptions reads them so).
    const both = i + 4 < quadruples.length && quadruples[i + 4] === s;
    out.push(s - lastException, both ? 3 : quadruples[i + 1] === 0 ? 1 : 2);
    lastException = s;
    for (const end = both ? i + 8 : i + 4; i < end; i += 4) {
      pushOrigin(out, quadruples[i + 2] as number, quadruples[i + 3] as number);
    }
  }
  return Float64Array.from(out);
}

/** A document's spans as columns, replicas renumbered by first appearance, with text and marks. */
interface Spans {
  readonly used: ReplicaId[];
  /** Span count (the columns may be longer). */
  readonly n: number;
  readonly replica: Float64Array;
  readonly counter: Float64Array;
  readonly length: Float64Array;
  readonly leftReplica: Float64Array;
  readonly leftCounter: Float64Array;
  readonly rightReplica: Float64Array;
  readonly rightCounter: Float64Array;
  readonly text: string;
  readonly marks: Float64Array;
}

/**
 * Spans: runs that continue the previous run's insert are one span. One pass over the runs; the
 * visible text is collected only when `withText` (else `text` is ''), the origin columns only when
 * `withOrigins` (else they are empty), the replica column only with several replicas in the table
 * (else it stays all 0).
 */
function collectSpans(
  replicas: readonly ReplicaId[],
  tree: RunTree,
  withText: boolean,
  withOrigins: boolean,
): Spans {
  let runCount = 0;
  for (let leaf: Leaf | null = tree.first; leaf !== null; leaf = leaf.next) runCount += leaf.runs.length;
  const several = replicas.length > 1;
  const originCount = withOrigins ? runCount : 0;
  const replica = new Float64Array(runCount);
  const counter = new Float64Array(runCount);
  const length = new Float64Array(runCount);
  const leftReplica = new Float64Array(originCount);
  const leftCounter = new Float64Array(originCount);
  const rightReplica = new Float64Array(originCount);
  const rightCounter = new Float64Array(originCount);
  const textParts: string[] = [];
  // Marks alternate between stretches, so there are at most one per run, plus the last.
  const marks = new Float64Array(runCount + 1);
  let markCount = 0;
  let deleted = false;
  let stretch = 0;
  // The previous run's ids and right origin, to see whether a run continues it.
  let lastReplica = NONE;
  let nextCounter = 0;
  let lastRightReplica = NONE;
  let lastRightCounter = 0;
  let n = 0;
  // Replicas renumbered by first appearance; only those with characters are written.
  const renumber = new Int32Array(replicas.length).fill(-1);
  const used: ReplicaId[] = [];
  // Each field read once into a local: this loop runs cold, once a save.
  for (let leaf: Leaf | null = tree.first; leaf !== null; leaf = leaf.next) {
    const runs = leaf.runs;
    const runsLength = runs.length;
    for (let i = 0; i < runsLength; i++) {
      const run = runs[i] as Run;
      const r = run.replica;
      const c = run.counter;
      const len = run.length;
      const runDeleted = run.deleted;
      const lr = run.leftReplica;
      const lc = run.leftCounter;
      const rr = run.rightReplica;
      const rc = run.rightCounter;
      if (withText && !runDeleted) textParts.push(run.text);
      if (runDeleted === deleted) stretch += len;
      else {
        marks[markCount++] = stretch;
        deleted = runDeleted;
        stretch = len;
      }
      // Continues the previous run (see Run.continuedBy): one span.
      const continues =
        r === lastReplica &&
        c === nextCounter &&
        lr === r &&
        lc === c - 1 &&
        rr === lastRightReplica &&
        rc === lastRightCounter;
      lastReplica = r;
      nextCounter = c + len;
      lastRightReplica = rr;
      lastRightCounter = rc;
      if (continues) {
        length[n - 1] = (length[n - 1] as number) + len;
        continue;
      }
      let index = renumber[r] as number;
      if (index === -1) {
        index = used.length;
        renumber[r] = index;
        used.push(replicas[r] as ReplicaId);
      }
      if (several) replica[n] = index;
      counter[n] = c;
      length[n] = len;
      if (withOrigins) {
        leftReplica[n] = lr;
        leftCounter[n] = lc;
        rightReplica[n] = rr;
        rightCounter[n] = rc;
      }
      n++;
    }
  }
  marks[markCount++] = stretch;
  // Origins may name replicas not seen yet in document order: renumber them once all are numbered
  // (a pass to skip when the numbering is the table's own, as for a document of one replica).
  let renumbered = false;
  for (let r = 0; r < replicas.length; r++) if (renumber[r] !== r) renumbered = true;
  for (let s = 0; renumbered && s < n; s++) {
    if (leftReplica[s] !== NONE) leftReplica[s] = renumber[leftReplica[s] as number] as number;
    if (rightReplica[s] !== NONE) rightReplica[s] = renumber[rightReplica[s] as number] as number;
  }
  return {
    used,
    n,
    replica: replica.subarray(0, n),
    counter: counter.subarray(0, n),
    length: length.subarray(0, n),
    leftReplica,
    leftCounter,
    rightReplica,
    rightCounter,
    text: textParts.join(''),
    marks: marks.slice(0, markCount),
  };
}

/**
 * Each span's rank among its replica's spans by counter. Spans sorted by counter alone list each
 * replica's in its counter order, so ranks are running counts per replica along that order. Sorted
 * natively as one number per span, counter and span index packed together: in 32 bits when that
 * fits (then the index comes back with a mask, an integer operation even before the loop is
 * optimized), else in a safe integer (it fits but for documents of billions of characters), else by
 * a comparison sort. All three give the same order.
 */
function ranksOf(count: number, replica: Float64Array | null, counter: Float64Array): Float64Array {
  const n = counter.length;
  const spanRange = 2 ** (32 - Math.clz32(n));
  const rank = new Float64Array(n);
  const seen = new Float64Array(Math.max(count, 1));
  const small = new Uint32Array(n);
  let fits = true;
  for (let s = 0; s < n; s++) {
    const key = (counter[s] as number) * spanRange + s;
    if (key > 0xffffffff) {
      fits = false;
      break;
    }
    small[s] = key;
  }
  if (fits) {
    small.sort();
    const mask = spanRange - 1;
    for (let k = 0; k < n; k++) {
      const s = (small[k] as number) & mask;
      const r = replica === null ? 0 : (replica[s] as number);
      rank[s] = seen[r] as number;
      seen[r] = (seen[r] as number) + 1;
    }
    return rank;
  }
  let order: ArrayLike<number>;
  const keys = new Float64Array(n);
  let packable = true;
  for (let s = 0; s < n; s++) {
    const key = (counter[s] as number) * spanRange + s;
    if (key > Number.MAX_SAFE_INTEGER) packable = false;
    keys[s] = key;
  }
  if (packable) {
    keys.sort();
    order = keys;
  } else {
    order = Array.from({ length: n }, (_, s) => s).sort(
      (a, b) => (counter[a] as number) - (counter[b] as number),
    );
  }
  for (let k = 0; k < n; k++) {
    const s = packable ? (order[k] as number) % spanRange : (order[k] as number);
    const r = replica === null ? 0 : (replica[s] as number);
    rank[s] = seen[r] as number;
    seen[r] = (seen[r] as number) + 1;
  }
  return rank;
}

/** Origins the derivation gets wrong, as the exception column: span step, sides, then each origin. */
function exceptionsOf(spans: Spans, derived: Origins): Float64Array {
  const exceptions: number[] = [];
  let lastException = 0;
  const n = spans.n;
  for (let s = 0; s < n; s++) {
    const lr = spans.leftReplica[s] as number;
    const rr = spans.rightReplica[s] as number;
    const left =
      derived.leftReplica[s] !== lr || (lr !== NONE && derived.leftCounter[s] !== spans.leftCounter[s]);
    const right =
      derived.rightReplica[s] !== rr || (rr !== NONE && derived.rightCounter[s] !== spans.rightCounter[s]);
    if (!left && !right) continue;
    exceptions.push(s - lastException, (left ? 1 : 0) | (right ? 2 : 0));
    lastException = s;
    if (left) pushOrigin(exceptions, lr, spans.leftCounter[s] as number);
    if (right) pushOrigin(exceptions, rr, spans.rightCounter[s] as number);
  }
  return Float64Array.from(exceptions);
}

/** An exception's origin: 0 for none, else the replica index + 1 and the counter. */
function pushOrigin(out: number[], replica: number, counter: number): void {
  if (replica === NONE) out.push(0);
  else out.push(replica + 1, counter);
}

/** The least knowledge holding the spans' origins, walking them in an order they could have been made. */
function knowledgeOf(spans: Spans): Knowledge {
  const count = spans.used.length;
  const queues: SpanOrigins[][] = [];
  for (let r = 0; r < count; r++) queues.push([]);
  for (let s = 0; s < spans.n; s++) {
    (queues[spans.replica[s] as number] as SpanOrigins[]).push({
      replica: spans.replica[s] as number,
      counter: spans.counter[s] as number,
      length: spans.length[s] as number,
      leftReplica: spans.leftReplica[s] as number,
      leftCounter: spans.leftCounter[s] as number,
      rightReplica: spans.rightReplica[s] as number,
      rightCounter: spans.rightCounter[s] as number,
    });
  }
  for (const queue of queues) queue.sort((a, b) => a.counter - b.counter);
  const ordered: SpanOrigins[] = [];
  const frontier = new Array<number>(count).fill(1);
  if (!visitInCausalOrder(queues, frontier, (span) => ordered.push(span))) {
    throw new Error('encode: the document has no causal order');
  }
  return computeKnowledge(ordered, count);
}

/**
 * Knowledge as one column: per replica, its segment count, then per segment the distance from the
 * previous segment's start (from 0) and the number of replicas whose counter grew, then per such
 * replica its index and the growth.
 */
function flattenKnowledge(knowledge: Knowledge): Float64Array {
  const out: number[] = [];
  knowledge.starts.forEach((starts, r) => {
    out.push(starts.length);
    let start = 0;
    let before = new Map<number, number>();
    starts.forEach((segmentStart, k) => {
      const pairs = (knowledge.known[r] as Float64Array[])[k] as Float64Array;
      const grown: number[] = [];
      const now = new Map<number, number>();
      for (let i = 0; i < pairs.length; i += 2) {
        const q = pairs[i] as number;
        const value = pairs[i + 1] as number;
        now.set(q, value);
        const was = before.get(q) ?? 0;
        if (value > was) grown.push(q, value - was - 1);
      }
      out.push(segmentStart - start - 1, grown.length / 2, ...grown);
      start = segmentStart;
      before = now;
    });
  });
  return Float64Array.from(out);
}

function zigzag(value: number): number {
  return value < 0 ? -2 * value - 1 : 2 * value;
}

/** Decode and check a format 2 snapshot; malformed or inconsistent input is a DecodeError. */
// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
export const decodeSnapshot = (function decodeSnapshot(bytes: Uint8Array): SnapshotImage {
  return decodeWith(bytes, TypeTag.RgaDocument, readSnapshot, 'compact');
});

// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
const readSnapshot = (function readSnapshot(d: Decoder): SnapshotImage {
  const replicas = readCompactReplicaTable(d);
  const count = replicas.length;
  const replica = count > 1 ? readIntStream(d, count - 1) : null;
  const rank = readIntStream(d);
  const length = readIntStream(d);
  const n = rank.length;
  if (length.length !== n || (replica !== null && replica.length !== n))
    d.fail('span columns differ in length');
  if (count === 0 && n > 0) d.fail('spans without replicas');
  const { counter, maxCounters, total } = countersFromRanks(d, count, replica, rank, length);
  const knowledge = count > 1 ? readKnowledge(d, count, maxCounters) : Knowledge.none(count);
  const exceptions = readExceptions(d, n, count, replica, counter, knowledge);
  const text = readTextStream(d);
  const marks = readIntStream(d);
  let marked = 0;
  let visible = 0;
  for (let m = 0; m < marks.length; m++) {
    const mark = marks[m] as number;
    if (m > 0 && mark === 0) d.fail('empty deletion mark');
    marked += mark;
    if (m % 2 === 0) visible += mark;
  }
  if (marks.length === 0) d.fail('no deletion marks');
  if (marked !== total) d.fail(`deletion marks cover ${marked} characters, spans ${total}`);
  if (visible !== text.length) d.fail(`text has ${text.length} characters, marks say ${visible}`);
  return { replicas, maxCounters, replica, counter, length, knowledge, exceptions, text, marks };
});

/**
 * Counters from ranks: each replica's spans, taken in rank order, hold its ids 1, 2, … one after
 * the other, so the ids are covered exactly once by construction; the ranks need only be a
 * permutation. Lengths arrive as length - 1 and are made whole here (in place).
 */
// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
const countersFromRanks = (function countersFromRanks(
  d: Decoder,
  count: number,
  replica: Float64Array | null,
  rank: Float64Array,
  length: Float64Array,
): { counter: Float64Array; maxCounters: number[]; total: number } {
  const n = rank.length;
  // Where each replica's spans go in `order` (by rank), from how many spans each has.
  const offset = new Int32Array(count + 1);
  if (replica === null) offset[1] = n;
  else {
    for (let s = 0; s < n; s++)
      offset[(replica[s] as number) + 1] = (offset[(replica[s] as number) + 1] as number) + 1;
    for (let r = 0; r < count; r++) offset[r + 1] = (offset[r + 1] as number) + (offset[r] as number);
  }
  // order[offset[r] + k] = 1 + the span of replica r with rank k (0 while none).
  const order = new Int32Array(n);
  const last = new Float64Array(count).fill(-1);
  let total = 0;
  for (let s = 0; s < n; s++) {
    const r = replica === null ? 0 : (replica[s] as number);
    const z = rank[s] as number;
    const k = (last[r] as number) + 1 + (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
    const at = (offset[r] as number) + k;
    if (k < 0 || at >= (offset[r + 1] as number) || order[at] !== 0)
      d.fail(`span rank ${k} of replica ${r} is not a permutation`);
    order[at] = s + 1;
    last[r] = k;
    const len = (length[s] as number) + 1;
    length[s] = len;
    total += len;
  }
  if (!Number.isSafeInteger(total)) d.fail('document too long');
  const counter = rank;
  const maxCounters: number[] = [];
  for (let r = 0; r < count; r++) {
    const from = offset[r] as number;
    const to = offset[r + 1] as number;
    if (from === to) d.fail(`replica ${r} inserted nothing`);
    let next = 1;
    for (let at = from; at < to; at++) {
      const s = (order[at] as number) - 1;
      counter[s] = next;
      next += length[s] as number;
    }
    maxCounters.push(next - 1);
  }
  return { counter, maxCounters, total };
});

/**
 * Read knowledge and check it is causally consistent: no replica's inserts know what knows them.
 * Plain loops over typed arrays, no maps, sorts or closures: a document is decoded cold.
 */
// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
const readKnowledge = (function readKnowledge(
  d: Decoder,
  count: number,
  maxCounters: readonly number[],
): Knowledge {
  const column = readIntStream(d);
  const size = column.length;
  let at = 0;
  const starts: Float64Array[] = [];
  const known: Float64Array[][] = [];
  // What the current replica's segments know so far: counter per replica (0: nothing), and the
  // replicas known, ascending (a segment's pairs are listed by replica).
  const current = new Float64Array(count);
  const listed = new Int32Array(count);
  for (let r = 0; r < count; r++) {
    if (at >= size) d.fail('knowledge column ends early');
    const segments = column[at++] as number;
    if (segments > size - at) d.fail('knowledge segment count exceeds the column');
    const list = new Float64Array(segments);
    const pairsList: Float64Array[] = [];
    let listedCount = 0;
    let start = 0;
    for (let k = 0; k < segments; k++) {
      if (at + 2 > size) d.fail('knowledge column ends early');
      start += (column[at++] as number) + 1;
      if (start > (maxCounters[r] as number)) d.fail(`knowledge segment of replica ${r} past its last id`);
      list[k] = start;
      const grown = column[at++] as number;
      if (grown === 0) d.fail('knowledge segment that learns nothing');
      for (let g = 0; g < grown; g++) {
        if (at + 2 > size) d.fail('knowledge column ends early');
        const q = column[at++] as number;
        if (q >= count || q === r) d.fail(`knowledge of replica ${q} by replica ${r}`);
        const value = (current[q] as number) + (column[at++] as number) + 1;
        if (value > (maxCounters[q] as number)) d.fail(`knowledge of replica ${q} past its last id`);
        if (current[q] === 0) {
          // First knowledge of q: into the ascending list.
          let i = listedCount++;
          for (; i > 0 && (listed[i - 1] as number) > q; i--) listed[i] = listed[i - 1] as number;
          listed[i] = q;
        }
        current[q] = value;
      }
      const pairs = new Float64Array(2 * listedCount);
      for (let i = 0; i < listedCount; i++) {
        const q = listed[i] as number;
        pairs[2 * i] = q;
        pairs[2 * i + 1] = current[q] as number;
      }
      pairsList.push(pairs);
    }
    for (let i = 0; i < listedCount; i++) current[listed[i] as number] = 0;
    starts.push(list);
    known.push(pairsList);
  }
  if (at !== size) d.fail('knowledge column has trailing values');
  const knowledge = new Knowledge(starts, known);
  if (!acyclic(knowledge)) d.fail('knowledge forms a cycle');
  return knowledge;
});

/** Read exceptions: each origin must be one the span knew (so origins never form a cycle). */
// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
const readExceptions = (function readExceptions(
  d: Decoder,
  n: number,
  count: number,
  replica: Float64Array | null,
  counter: Float64Array,
  knowledge: Knowledge,
): Float64Array {
  const column = readIntStream(d);
  const out: number[] = [];
  let at = 0;
  const take = (): number => {
    if (at >= column.length) d.fail('exception column ends early');
    return column[at++] as number;
  };
  let s = 0;
  let first = true;
  while (at < column.length) {
    const step = take();
    if (!first && step === 0) d.fail('two exceptions for one span');
    first = false;
    s += step;
    if (s >= n) d.fail('exception for a span past the last');
    const sides = take();
    if (sides < 1 || sides > 3) d.fail(`bad exception sides ${sides}`);
    const r = replica === null ? 0 : (replica[s] as number);
    const c = counter[s] as number;
    for (let side = 0; side < 2; side++) {
      if ((sides & (1 << side)) === 0) continue;
      const code = take();
      if (code === 0) {
        out.push(s, side, NONE, 0);
        continue;
      }
      const q = code - 1;
      if (q >= count) d.fail(`exception names replica ${q} outside the table`);
      const origin = take();
      const knows = q === r ? c - 1 : knowledge.knows(r, c, q);
      if (origin < 1 || origin > knows) d.fail('exception names an origin its span did not know');
      out.push(s, side, q, origin);
    }
  }
  return Float64Array.from(out);
});

/** The runs of a decoded snapshot in document order, origins derived, spans cut at deletion marks. */
export function materialize(image: SnapshotImage): Run[] {
  const placeholder = newLeaf([]);
  const runs: Run[] = [];
  const text = image.text;
  forEachPiece(image, (r, c, length, deleted, textAt, lr, lc, rr, rc) => {
    runs.push(
      new Run(
        r,
        c,
        length,
        deleted ? '' : text.slice(textAt, textAt + length),
        deleted,
        lr,
        lc,
        rr,
        rc,
        placeholder,
      ),
    );
  });
  return runs;
}

/**
 * Every operation a document at `since` lacks (see delta.ts), from a decoded snapshot without
 * building its tree: only the runs the receiver lacks become objects. `replicas` is the document's
 * table (the snapshot's, then its own replica).
 */
export function imageDelta(image: SnapshotImage, replicas: readonly ReplicaId[], since: RgaVersion): RgaOp[] {
  const collector = new DeltaCollector(replicas, knownCounters(replicas, since));
  const known = collector.known;
  if (image.maxCounters.every((max, r) => max <= (known[r] as number))) {
    // The receiver has every id (replicas in sync): only deleted ids to name, no origins to derive.
    forEachDeletedStretch(image, (r, c, length) => collector.deleted(r, c, length));
    return collector.ops();
  }
  const placeholder = newLeaf([]);
  const text = image.text;
  forEachPiece(image, (r, c, length, deleted, textAt, lr, lc, rr, rc) => {
    if (c + length - 1 <= (known[r] as number)) {
      if (deleted) collector.deleted(r, c, length);
      return;
    }
    const piece = deleted ? '' : text.slice(textAt, textAt + length);
    collector.add(new Run(r, c, length, piece, deleted, lr, lc, rr, rc, placeholder));
  });
  return collector.ops();
}

/** The snapshot's deleted stretches in document order, each within one span: replica, first counter, length. */
function forEachDeletedStretch(
  image: SnapshotImage,
  visit: (replica: number, counter: number, length: number) => void,
): void {
  const { replica, counter, length, marks } = image;
  // Span s's characters before `offset` lie before the current mark.
  let s = 0;
  let offset = 0;
  for (let m = 0; m < marks.length; m++) {
    let left = marks[m] as number;
    const deleted = m % 2 === 1;
    while (left > 0) {
      const spanLength = length[s] as number;
      const take = Math.min(left, spanLength - offset);
      if (deleted)
        visit(replica === null ? 0 : (replica[s] as number), (counter[s] as number) + offset, take);
      left -= take;
      offset += take;
      if (offset === spanLength) {
        s++;
        offset = 0;
      }
    }
  }
}

type PieceVisitor = (
  replica: number,
  counter: number,
  length: number,
  deleted: boolean,
  textAt: number,
  leftReplica: number,
  leftCounter: number,
  rightReplica: number,
  rightCounter: number,
) => void;

/**
 * The snapshot's runs in document order: spans with their derived origins (exceptions applied), cut
 * where the deletion marks change; `textAt` is where a visible piece's text starts in the text.
 */
function forEachPiece(image: SnapshotImage, visit: PieceVisitor): void {
  const { replica, counter, length, marks } = image;
  const origins = deriveOrigins({ replica, counter, length }, image.replicas.length, image.knowledge);
  const ex = image.exceptions;
  for (let i = 0; i < ex.length; i += 4) {
    const s = ex[i] as number;
    if (ex[i + 1] === 0) {
      origins.leftReplica[s] = ex[i + 2] as number;
      origins.leftCounter[s] = ex[i + 3] as number;
    } else {
      origins.rightReplica[s] = ex[i + 2] as number;
      origins.rightCounter[s] = ex[i + 3] as number;
    }
  }
  let mark = 0;
  let markLeft = marks[0] as number;
  let deleted = false;
  let textAt = 0;
  const n = counter.length;
  for (let s = 0; s < n; s++) {
    const r = replica === null ? 0 : (replica[s] as number);
    const c = counter[s] as number;
    const spanLength = length[s] as number;
    const rightReplica = origins.rightReplica[s] as number;
    const rightCounter = origins.rightCounter[s] as number;
    for (let offset = 0; offset < spanLength; ) {
      while (markLeft === 0) {
        mark++;
        markLeft = marks[mark] as number;
        deleted = !deleted;
      }
      const take = Math.min(markLeft, spanLength - offset);
      visit(
        r,
        c + offset,
        take,
        deleted,
        textAt,
        offset === 0 ? (origins.leftReplica[s] as number) : r,
        offset === 0 ? (origins.leftCounter[s] as number) : c + offset - 1,
        rightReplica,
        rightCounter,
      );
      if (!deleted) textAt += take;
      offset += take;
      markLeft -= take;
    }
  }
}
