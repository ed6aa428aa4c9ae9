/**
 * What the Compare panel shows of an engine's text against the primary's: a short text whole, a long one
 * only around where the two differ (or its beginning when they are equal). The window is built from the
 * two texts' common ends and slices around them, so its cost is the shown stretch (and the character diff
 * with semantic cleanup of the differing middle), never the whole text.
 */

import { compareTexts, type DiffSegment } from './text-compare.ts';
import { commonEnds } from './text-feed.ts';

export interface TextWindow {
  /** The other text's length. */
  readonly length: number;
  readonly same: boolean;
  readonly segments: readonly DiffSegment[];
  /** Shared text left out before and after the segments (code units). */
  readonly omittedBefore: number;
  readonly omittedAfter: number;
  /** A differing run was too long to show whole: the segments end with its beginning. */
  readonly truncated: boolean;
}

export interface TextWindowLimits {
  /** Texts up to this length are shown whole. */
  readonly whole: number;
  /** Shared text shown on each side of a difference (and of a long equal text, twice this). */
  readonly context: number;
  /** Differing middles up to this length (each side) are diffed; longer ones are shown cut. */
  readonly middle: number;
}

export const COMPARE_LIMITS: TextWindowLimits = { whole: 4_000, context: 120, middle: 20_000 };

/** Two texts known by their lengths, their common ends and slices (read only where the window needs). */
export interface TextPair {
  readonly primaryLength: number;
  readonly otherLength: number;
  /** The common prefix and the common suffix that does not overlap it (code units). */
  readonly prefix: number;
  readonly suffix: number;
  primary(from: number, to: number): string;
  other(from: number, to: number): string;
}

/** `other` against `primary` (pass the same text twice for the primary's own card). */
export function textWindow(
  primary: string,
  other: string,
  limits: TextWindowLimits = COMPARE_LIMITS,
): TextWindow {
  const { prefix, suffix } = commonEnds(primary, other);
  return textWindowOf(
    {
      primaryLength: primary.length,
      otherLength: other.length,
      prefix,
      suffix,
      primary: (from, to) => primary.slice(from, to),
      other: (from, to) => other.slice(from, to),
    },
    limits,
  );
}

/** The window of a pair whose common ends are known: reads only the stretch it shows. */
export function textWindowOf(pair: TextPair, limits: TextWindowLimits = COMPARE_LIMITS): TextWindow {
  const { primaryLength, otherLength: length, prefix, suffix } = pair;
  const same = primaryLength === length && prefix + suffix >= length;
  if (Math.max(primaryLength, length) <= limits.whole) {
    const text = pair.other(0, length);
    return {
      length,
      same,
      segments: compareTexts(same ? text : pair.primary(0, primaryLength), text),
      omittedBefore: 0,
      omittedAfter: 0,
      truncated: false,
    };
  }
  if (same) {
    const shown = pair.other(0, Math.min(length, limits.context * 2));
    return {
      length,
      same,
      segments: [{ kind: 'same', text: shown }],
      omittedBefore: 0,
      omittedAfter: length - shown.length,
      truncated: false,
    };
  }
  const before = Math.max(0, prefix - limits.context);
  const after = Math.min(length, length - suffix + limits.context);
  const oldLength = primaryLength - suffix - prefix;
  const newLength = length - suffix - prefix;
  const lead: DiffSegment[] = prefix > before ? [{ kind: 'same', text: pair.other(before, prefix) }] : [];
  const tail: DiffSegment[] =
    after > length - suffix ? [{ kind: 'same', text: pair.other(length - suffix, after) }] : [];
  if (Math.max(oldLength, newLength) <= limits.middle) {
    const oldMiddle = pair.primary(prefix, primaryLength - suffix);
    const newMiddle = pair.other(prefix, length - suffix);
    return {
      length,
      same,
      segments: [...lead, ...compareTexts(oldMiddle, newMiddle), ...tail],
      omittedBefore: before,
      omittedAfter: length - after,
      truncated: false,
    };
  }
  const middle: DiffSegment[] = [
    ...(oldLength > 0
      ? [
          {
            kind: 'missing' as const,
            text: pair.primary(prefix, prefix + Math.min(oldLength, limits.middle)),
          },
        ]
      : []),
    ...(newLength > 0
      ? [{ kind: 'extra' as const, text: pair.other(prefix, prefix + Math.min(newLength, limits.middle)) }]
      : []),
  ];
  return {
    length,
    same,
    segments: [...lead, ...middle],
    omittedBefore: before,
    omittedAfter: suffix,
    truncated: true,
  };
}
