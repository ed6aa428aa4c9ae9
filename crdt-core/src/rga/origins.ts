import type { Knowledge } from './knowledge.ts';
import { NONE } from './run.ts';

/**
 * Origins recovered from document order, so snapshots need not store them.
 *
 * A local insert goes between two characters that are adjacent at that moment (tombstones
 * included): its left origin and its right origin. Everything inserted between them later, anywhere,
 * is unknown to the insert, while everything it knew lies outside them, since existing characters
 * never move. So an insert's left origin is the nearest character before it that it knew of, and its
 * right origin the nearest one after it (after its own span, whose later characters it did not
 * know). A replica knows its own earlier counters, and of others what the span's knowledge says
 * (knowledge.ts). In a one-author document that is "the nearest character with a smaller counter":
 * an all-nearest-smaller-values problem, solved with a stack per replica in one pass each way.
 *
 * The snapshot encoder runs this too and stores, as exceptions, any origin it gets wrong (inserts
 * made by other means than a local insert between neighbours); the decoder runs it and applies them.
 */

export interface SpanColumns {
  /** Replica index of each span, or null when every span is replica 0's. */
  readonly replica: ArrayLike<number> | null;
  readonly counter: ArrayLike<number>;
  readonly length: ArrayLike<number>;
}

export interface Origins {
  readonly leftReplica: Int32Array;
  readonly leftCounter: Float64Array;
  readonly rightReplica: Int32Array;
  readonly rightCounter: Float64Array;
}

/**
 * The derived origins of every span (NONE for the document start or end). Left origins may be any
 * character; right origins are always the first character of a span.
 */
export function deriveOrigins(spans: SpanColumns, replicaCount: number, knowledge: Knowledge): Origins {
  const n = spans.counter.length;
  const origins: Origins = {
    leftReplica: new Int32Array(n),
    leftCounter: new Float64Array(n),
    rightReplica: new Int32Array(n),
    rightCounter: new Float64Array(n),
  };
  // One stack per replica, laid out side by side in shared arrays: replica r's at offset[r].
  const offset = new Int32Array(replicaCount + 1);
  const replica = spans.replica;
  if (replica === null) offset[1] = n;
  else {
    for (let s = 0; s < n; s++)
      offset[(replica[s] as number) + 1] = (offset[(replica[s] as number) + 1] as number) + 1;
    for (let r = 0; r < replicaCount; r++) offset[r + 1] = (offset[r + 1] as number) + (offset[r] as number);
  }
  const stacks: Stacks = {
    offset,
    size: new Int32Array(replicaCount),
    span: new Int32Array(n),
    lo: new Float64Array(n),
    hi: new Float64Array(n),
  };
  const known = knowledge.isEmpty ? null : knownBySpan(spans, knowledge);
  deriveLeft(spans, known, stacks, origins);
  stacks.size.fill(0);
  deriveRight(spans, known, stacks, origins);
  return origins;
}

/** What each span knew of other replicas: its segment's (replica, counter) pairs (see Knowledge). */
function knownBySpan(spans: SpanColumns, knowledge: Knowledge): Float64Array[] {
  const n = spans.counter.length;
  const out: Float64Array[] = new Array(n);
  for (let s = 0; s < n; s++) {
    out[s] = knowledge.at(
      spans.replica === null ? 0 : (spans.replica[s] as number),
      spans.counter[s] as number,
    );
  }
  return out;
}

/** One stack per replica, side by side in shared arrays: replica r's from offset[r], size[r] long. */
interface Stacks {
  readonly offset: Int32Array;
  readonly size: Int32Array;
  /** Per entry: its span, and its counters (lo … hi; right origins use lo only). */
  readonly span: Int32Array;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

/** Left origins: the nearest character before the span that it knew. */
function deriveLeft(
  spans: SpanColumns,
  known: Float64Array[] | null,
  stacks: Stacks,
  origins: Origins,
): void {
  const { offset, size, span, lo, hi } = stacks;
  const n = spans.counter.length;
  const replica = spans.replica;
  const counter = spans.counter;
  const length = spans.length;
  for (let s = 0; s < n; s++) {
    const r = replica === null ? 0 : (replica[s] as number);
    const c = counter[s] as number;
    const base = offset[r] as number;
    let top = base + (size[r] as number);
    // Characters of our replica after ours in counter order are never anyone's origin from here on.
    while (top > base && (lo[top - 1] as number) > c) top--;
    let best = -1;
    let bestReplica: number = NONE;
    let bestCounter = 0;
    if (top > base) {
      if ((hi[top - 1] as number) >= c) hi[top - 1] = c - 1;
      best = span[top - 1] as number;
      bestReplica = r;
      bestCounter = hi[top - 1] as number;
    }
    if (known !== null) {
      const pairs = known[s] as Float64Array;
      for (let i = 0; i < pairs.length; i += 2) {
        const q = pairs[i] as number;
        const limit = pairs[i + 1] as number;
        const a = lastAtOrBelow(lo, offset[q] as number, (offset[q] as number) + (size[q] as number), limit);
        if (a >= 0 && (span[a] as number) > best) {
          best = span[a] as number;
          bestReplica = q;
          bestCounter = Math.min(hi[a] as number, limit);
        }
      }
    }
    origins.leftReplica[s] = bestReplica;
    origins.leftCounter[s] = bestCounter;
    span[top] = s;
    lo[top] = c;
    hi[top] = c + (length[s] as number) - 1;
    size[r] = top + 1 - base;
  }
}

/** Right origins: the nearest character after the span that it knew; the first of its span. */
function deriveRight(
  spans: SpanColumns,
  known: Float64Array[] | null,
  stacks: Stacks,
  origins: Origins,
): void {
  const { offset, size, span, lo } = stacks;
  const n = spans.counter.length;
  const replica = spans.replica;
  const counter = spans.counter;
  for (let s = n - 1; s >= 0; s--) {
    const r = replica === null ? 0 : (replica[s] as number);
    const c = counter[s] as number;
    const base = offset[r] as number;
    let top = base + (size[r] as number);
    while (top > base && (lo[top - 1] as number) > c) top--;
    let best = n;
    let bestReplica: number = NONE;
    let bestCounter = 0;
    if (top > base) {
      best = span[top - 1] as number;
      bestReplica = r;
      bestCounter = lo[top - 1] as number;
    }
    if (known !== null) {
      const pairs = known[s] as Float64Array;
      for (let i = 0; i < pairs.length; i += 2) {
        const q = pairs[i] as number;
        const limit = pairs[i + 1] as number;
        const a = lastAtOrBelow(lo, offset[q] as number, (offset[q] as number) + (size[q] as number), limit);
        if (a >= 0 && (span[a] as number) < best) {
          best = span[a] as number;
          bestReplica = q;
          bestCounter = lo[a] as number;
        }
      }
    }
    origins.rightReplica[s] = bestReplica;
    origins.rightCounter[s] = bestCounter;
    span[top] = s;
    lo[top] = c;
    size[r] = top + 1 - base;
  }
}

/**
 * In the ascending `lo[from, to)` (a replica's stack), the index of the last entry ≤ value, or -1:
 * usually the top (a span knew the latest of that replica's text before it), else a binary search.
 */
function lastAtOrBelow(lo: Float64Array, from: number, to: number, value: number): number {
  if (to === from || (lo[from] as number) > value) return -1;
  let a = from;
  let b = to - 1;
  if ((lo[b] as number) <= value) return b;
  while (a < b) {
    const mid = (a + b + 1) >> 1;
    if ((lo[mid] as number) <= value) a = mid;
    else b = mid - 1;
  }
  return a;
}
