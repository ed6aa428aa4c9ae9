/**
 * LZ77 match finding over a sequence of symbols, greedy with one probe per position (as LZ4 does):
 * a hash table keyed by the next three symbols remembers the last position that started with them;
 * if the symbols there match, the match is extended and taken. No chains and no lazy matching: a
 * snapshot is encoded once per save, cold, and per-position work is what that costs (a chain walk
 * of 8 with lazy matching made the traces' text 4-10% smaller at several times the encode time).
 */

export const MIN_MATCH = 3;
export const MAX_MATCH = 258;
/** Farthest a match reaches back. */
export const MAX_DISTANCE = 1 << 24;

export interface Matches {
  /** At a position where a match starts, its length; 0 where a literal is coded. */
  readonly length: Int32Array;
  readonly distance: Int32Array;
}

/**
 * The matches to code `s` with (positions inside a match hold 0). A match is taken only where it
 * costs fewer bits than the literals it replaces, `literalBits` each (a match costs about its
 * length and distance buckets): in random text over a small alphabet, short matches are everywhere
 * and would only cost bits.
 */
export function findMatches(s: Uint16Array, literalBits: number): Matches {
  const n = s.length;
  const length = new Int32Array(n);
  const distance = new Int32Array(n);
  if (n < MIN_MATCH + 1) return { length, distance };
  const hashBits = Math.min(16, Math.max(8, 32 - Math.clz32(n)));
  const shift = 32 - hashBits;
  // Last position + 1 that started with each hash (0: none).
  const head = new Int32Array(1 << hashBits);
  const last = n - MIN_MATCH;
  for (let i = 0; i <= last; ) {
    const h =
      (Math.imul(s[i] as number, 0x9e3779b1) ^
        Math.imul(s[i + 1] as number, 0x85ebca77) ^
        Math.imul(s[i + 2] as number, 0xc2b2ae3d)) >>>
      shift;
    const candidate = (head[h] as number) - 1;
    head[h] = i + 1;
    if (
      candidate < 0 ||
      i - candidate > MAX_DISTANCE ||
      s[candidate] !== s[i] ||
      s[candidate + 1] !== s[i + 1] ||
      s[candidate + 2] !== s[i + 2]
    ) {
      i++;
      continue;
    }
    const limit = Math.min(MAX_MATCH, n - i);
    let len = MIN_MATCH;
    while (len < limit && s[candidate + len] === s[i + len]) len++;
    const dist = i - candidate;
    if (5 + extraBits(len - MIN_MATCH) + 4 + extraBits(dist - 1) >= len * literalBits) {
      i++;
      continue;
    }
    length[i] = len;
    distance[i] = dist;
    i += len;
  }
  return { length, distance };
}

/** Extra bits of a bucketed value (see buckets.ts): none below 16, then one fewer than its bit length. */
function extraBits(value: number): number {
  return value < 16 ? 0 : 31 - Math.clz32(value) - 1;
}
