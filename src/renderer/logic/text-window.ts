/**
 * What the Compare panel shows of an engine's text against the primary's: a short text whole, a long one
 * only around where the two differ (or its beginning when they are equal). The common prefix and suffix
 * are skipped by a scan, so a 1 MB text costs one comparison pass, and the character diff with semantic
 * cleanup runs on the differing middle only.
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

/** `other` against `primary` (pass the same text twice for the primary's own card). */
export function textWindow(
  primary: string,
  other: string,
  limits: TextWindowLimits = COMPARE_LIMITS,
): TextWindow {
  const same = primary === other;
  if (Math.max(primary.length, other.length) <= limits.whole) {
    return {
      length: other.length,
      same,
      segments: compareTexts(primary, other),
      omittedBefore: 0,
      omittedAfter: 0,
      truncated: false,
    };
  }
  if (same) {
    const shown = other.slice(0, limits.context * 2);
    return {
      length: other.length,
      same,
      segments: [{ kind: 'same', text: shown }],
      omittedBefore: 0,
      omittedAfter: other.length - shown.length,
      truncated: false,
    };
  }
  const { prefix, suffix } = commonEnds(primary, other);
  const before = Math.max(0, prefix - limits.context);
  const after = Math.min(other.length, other.length - suffix + limits.context);
  const oldMiddle = primary.slice(prefix, primary.length - suffix);
  const newMiddle = other.slice(prefix, other.length - suffix);
  const lead: DiffSegment[] = prefix > before ? [{ kind: 'same', text: other.slice(before, prefix) }] : [];
  const tail: DiffSegment[] =
    after > other.length - suffix ? [{ kind: 'same', text: other.slice(other.length - suffix, after) }] : [];
  if (Math.max(oldMiddle.length, newMiddle.length) <= limits.middle) {
    return {
      length: other.length,
      same,
      segments: [...lead, ...compareTexts(oldMiddle, newMiddle), ...tail],
      omittedBefore: before,
      omittedAfter: other.length - after,
      truncated: false,
    };
  }
  const cut = (text: string) => text.slice(0, limits.middle);
  const middle: DiffSegment[] = [
    ...(oldMiddle.length > 0 ? [{ kind: 'missing' as const, text: cut(oldMiddle) }] : []),
    ...(newMiddle.length > 0 ? [{ kind: 'extra' as const, text: cut(newMiddle) }] : []),
  ];
  return {
    length: other.length,
    same,
    segments: [...lead, ...middle],
    omittedBefore: before,
    omittedAfter: suffix,
    truncated: true,
  };
}
