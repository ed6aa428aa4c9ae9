/**
 * Character-level comparisons of texts for display: how another engine's text differs from the primary
 * engine's, and where the text writes LWW lost would have appeared in the winning text. The diffs get
 * fast-diff's semantic cleanup: two unrelated words show as one replaced run, not as a scatter of
 * coincidentally shared letters.
 */
import diff from 'fast-diff';

/** A run of another engine's text relative to the primary: shared, only in it, or only in the primary. */
export interface DiffSegment {
  readonly kind: 'same' | 'extra' | 'missing';
  readonly text: string;
}

/** `other` as runs relative to `primary`: 'extra' = only `other` has it, 'missing' = only `primary` has it. */
export function compareTexts(primary: string, other: string): DiffSegment[] {
  if (primary === other) return primary === '' ? [] : [{ kind: 'same', text: primary }];
  return diff(primary, other, undefined, true).map(([op, text]) => ({
    kind: op === diff.EQUAL ? 'same' : op === diff.INSERT ? 'extra' : 'missing',
    text,
  }));
}

/** A lost write of the whole text (LWW keeps one text; every concurrent other version is lost). */
export interface LostText {
  readonly replica: string;
  readonly text: string;
}

/** A run of the winning text, or text a lost write had at that spot (shown struck through). */
export type StrikeSegment =
  | { readonly kind: 'kept'; readonly text: string }
  | { readonly kind: 'lost'; readonly text: string; readonly replica: string };

/**
 * The winning text with every lost version's own text placed where it would have been: for each lost
 * version, the characters it had that the winner lacks are inserted at the matching winner position.
 * Lost runs at the same position keep the order of `lost`.
 */
export function strikeLostText(winner: string, lost: readonly LostText[]): StrikeSegment[] {
  const insertions = new Map<number, { text: string; replica: string }[]>();
  for (const version of lost) {
    if (version.text === winner) continue;
    let at = 0; // position in the winner
    for (const [op, text] of diff(winner, version.text, undefined, true)) {
      if (op === diff.EQUAL || op === diff.DELETE) {
        at += text.length;
      } else {
        const here = insertions.get(at) ?? [];
        const last = here[here.length - 1];
        // fast-diff can split one run around a deletion; join runs of one version at one spot.
        if (last !== undefined && last.replica === version.replica) last.text += text;
        else here.push({ text, replica: version.replica });
        insertions.set(at, here);
      }
    }
  }
  const segments: StrikeSegment[] = [];
  const cuts = [...insertions.keys()].sort((a, b) => a - b);
  let from = 0;
  for (const at of cuts) {
    if (at > from) segments.push({ kind: 'kept', text: winner.slice(from, at) });
    for (const run of insertions.get(at) ?? []) segments.push({ kind: 'lost', ...run });
    from = at;
  }
  if (from < winner.length) segments.push({ kind: 'kept', text: winner.slice(from) });
  return segments;
}
