/**
 * LZ77 match finding over a sequence of symbols (DEFLATE's method: hash chains on the next three
 * symbols, a bounded walk along the chain, and one step of lazy matching: a match is put off by one
 * literal when the next position starts a longer one).
 */

export const MIN_MATCH = 3;
export const MAX_MATCH = 258;
/** Farthest a match reaches back. */
export const MAX_DISTANCE = 1 << 24;
/**
 * Chain entries tried per position: longer walks find a little more (24: 4% smaller text on the
 * traces) and cost encode time. Like zlib's faster levels.
 */
const MAX_CHAIN = 8;
/** A match this long is taken at once. */
const NICE = 32;
/** A match at least this long is not put off to look for a longer one at the next position. */
const LAZY = 8;

export interface Matches {
  /** At a position where a match starts, its length; 0 where a literal is coded. */
  readonly length: Int32Array;
  readonly distance: Int32Array;
}

/**
 * The matches to code `s` with, found greedily left to right (positions inside a match hold 0). A
 * match is taken only where it costs fewer bits than the literals it replaces, by `literalBits` (the
 * cost of each symbol as a literal; a match costs about its length and distance buckets): in random
 * text over a small alphabet, short matches are everywhere and would only cost bits.
 */
export function findMatches(s: Int32Array, literalBits: Float64Array): Matches {
  const n = s.length;
  const length = new Int32Array(n);
  const distance = new Int32Array(n);
  if (n < MIN_MATCH + 1) return { length, distance };
  // Literal cost of s[0, i) at cost[i], so a stretch's cost is one subtraction.
  const cost = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) cost[i + 1] = (cost[i] as number) + (literalBits[s[i] as number] as number);
  const worthIt = (i: number, len: number, dist: number): boolean =>
    5 + extraBits(len - MIN_MATCH) + 4 + extraBits(dist - 1) <
    (cost[i + len] as number) - (cost[i] as number);
  const hashBits = Math.min(16, Math.max(8, 32 - Math.clz32(n)));
  const shift = 32 - hashBits;
  const head = new Int32Array(1 << hashBits).fill(-1);
  const previous = new Int32Array(n);
  const hash = (i: number): number =>
    (Math.imul(s[i] as number, 0x9e3779b1) ^
      Math.imul(s[i + 1] as number, 0x85ebca77) ^
      Math.imul(s[i + 2] as number, 0xc2b2ae3d)) >>>
    shift;
  const insert = (i: number): void => {
    if (i + MIN_MATCH > n) return;
    const h = hash(i);
    previous[i] = head[h] as number;
    head[h] = i;
  };
  let bestLength = 0;
  let bestDistance = 0;
  /** Longest earlier match for position i (into bestLength/bestDistance; 0 when none). */
  const longest = (i: number): void => {
    bestLength = 0;
    bestDistance = 0;
    if (i + MIN_MATCH > n) return;
    const limit = Math.min(MAX_MATCH, n - i);
    let candidate = head[hash(i)] as number;
    for (let chain = MAX_CHAIN; candidate >= 0 && chain > 0; chain--) {
      const dist = i - candidate;
      if (dist > MAX_DISTANCE) break;
      if (s[candidate + bestLength] === s[i + bestLength]) {
        let k = 0;
        while (k < limit && s[candidate + k] === s[i + k]) k++;
        if (k > bestLength) {
          bestLength = k;
          bestDistance = dist;
          if (k >= NICE || k === limit) break;
        }
      }
      candidate = previous[candidate] as number;
    }
    if (bestLength < MIN_MATCH || !worthIt(i, bestLength, bestDistance)) bestLength = 0;
  };
  for (let i = 0; i < n; ) {
    longest(i);
    insert(i);
    let len = bestLength;
    let dist = bestDistance;
    while (len > 0 && len < LAZY && i + 1 < n) {
      longest(i + 1);
      if (bestLength <= len) break;
      i++;
      insert(i);
      len = bestLength;
      dist = bestDistance;
    }
    if (len === 0) {
      i++;
      continue;
    }
    length[i] = len;
    distance[i] = dist;
    for (let k = 1; k < len; k++) insert(i + k);
    i += len;
  }
  return { length, distance };
}

/** Extra bits of a bucketed value (see buckets.ts): none below 16, then one fewer than its bit length. */
function extraBits(value: number): number {
  return value < 16 ? 0 : 31 - Math.clz32(value) - 1;
}
