/**
 * The common prefix and suffix of two texts that change by deltas, kept without reading them whole: a
 * change can only shorten what the texts share up to where it starts (prefix) and after where it ends
 * (suffix), and `extendSharedEnds` grows the bounds back by comparing slices from where they stop, in
 * chunks that double, so it reads about as much as the shared stretch grew (a keystroke's worth when the
 * texts agree around the edit).
 */
import { isHighSurrogate, isLowSurrogate, type TextReplacement } from './text-feed.ts';

/** Lower bounds of the common prefix and suffix (code units; they overlap when the texts are equal). */
export interface SharedEnds {
  prefix: number;
  suffix: number;
}

/** Two texts read by slices. */
export interface SlicedPair {
  readonly lengths: readonly [number, number];
  slice(side: 0 | 1, from: number, to: number): string;
}

const FIRST_CHUNK = 64;

/** One side changed by `changes` (ascending, against its text of `lengthBefore`): lower the bounds. */
export function lowerSharedEnds(
  ends: SharedEnds,
  changes: readonly TextReplacement[],
  lengthBefore: number,
): void {
  const first = changes[0];
  const last = changes[changes.length - 1];
  if (first === undefined || last === undefined) return;
  ends.prefix = Math.min(ends.prefix, first.from);
  ends.suffix = Math.min(ends.suffix, lengthBefore - last.to);
}

/**
 * Grow `ends` from where they stop and return the exact common prefix and the common suffix that does
 * not overlap it, kept off the middle of a surrogate pair (as `commonEnds` does for whole strings). Equal
 * texts keep both ends whole in `ends`, so a later edit leaves each side of it known.
 */
export function extendSharedEnds(pair: SlicedPair, ends: SharedEnds): SharedEnds {
  const [a, b] = pair.lengths;
  const shorter = Math.min(a, b);
  // Equally long texts that agree up to the known suffix are equal: the scan stops there.
  const limit = a === b ? Math.max(0, a - ends.suffix) : shorter;
  let prefix = Math.min(ends.prefix, limit);
  for (let chunk = FIRST_CHUNK; prefix < limit; chunk *= 2) {
    const to = Math.min(limit, prefix + chunk);
    const left = pair.slice(0, prefix, to);
    const right = pair.slice(1, prefix, to);
    if (left === right) {
      prefix = to;
      continue;
    }
    prefix += firstDifference(left, right);
    break;
  }
  if (a === b && prefix === limit) {
    ends.prefix = a;
    ends.suffix = a;
    return { prefix: a, suffix: 0 };
  }
  if (prefix > 0 && isHighSurrogate(pair.slice(0, prefix - 1, prefix).charCodeAt(0))) prefix--;
  const most = shorter - prefix;
  let suffix = Math.min(ends.suffix, most);
  for (let chunk = FIRST_CHUNK; suffix < most; chunk *= 2) {
    const size = Math.min(most - suffix, chunk);
    const left = pair.slice(0, a - suffix - size, a - suffix);
    const right = pair.slice(1, b - suffix - size, b - suffix);
    if (left === right) {
      suffix += size;
      continue;
    }
    suffix += lastDifference(left, right);
    break;
  }
  if (suffix > 0 && isLowSurrogate(pair.slice(0, a - suffix, a - suffix + 1).charCodeAt(0))) suffix--;
  ends.prefix = prefix;
  ends.suffix = suffix;
  return { prefix, suffix };
}

function firstDifference(left: string, right: string): number {
  let i = 0;
  while (i < left.length && left.charCodeAt(i) === right.charCodeAt(i)) i++;
  return i;
}

/** How many trailing code units two equally long strings share. */
function lastDifference(left: string, right: string): number {
  let i = 0;
  while (i < left.length && left.charCodeAt(left.length - 1 - i) === right.charCodeAt(right.length - 1 - i))
    i++;
  return i;
}
