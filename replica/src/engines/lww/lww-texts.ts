/**
 * The values of the last-writer-wins engine's text writes, kept as patches.
 *
 * A text write still means "the whole text is now this" (the register semantics the ledger lists), but it
 * is made, stored and sent as a patch against the write its writer was looking at: the base (that field's
 * winner at the writer), a position, how much it removed and what it inserted. Every replica holds the
 * base when it delivers the write (the writer had delivered it, so the write's vector covers it and the
 * causal log delivers it first), so a write's text is its base's text with the patch applied, the same on
 * every replica. A patch that does not fit its base (only a damaged or hostile write) is clamped to it,
 * deterministically; a base that is not a text write of the same field counts as the empty text. Writes
 * from before patches (a whole string) are texts of their own.
 *
 * Cost: delivering a write is O(its patch); a text is built only when read (the view, the ledger), from
 * the nearest text built before (a few are kept) by applying the patches since in a TextMirror:
 * O(text + patches × log text).
 */
import { replacementDelta, type TextDelta } from '../../text-delta.ts';
import { TextMirror } from '../../text-mirror.ts';

/** A write by its identity. */
export interface WriteRef {
  readonly replica: string;
  readonly counter: number;
}

/** A text write as a change of the text its writer saw. */
export interface TextPatch extends TextDelta {
  /** The write whose text this one changes (its field's winner at the writer), or null for the empty text. */
  readonly base: WriteRef | null;
}

type Entry =
  | { readonly field: string; readonly whole: string; readonly length: number }
  | {
      readonly field: string;
      /** Key of the base write, null for the empty text. */
      readonly base: string | null;
      /** The patch as it applies (clamped to the base). */
      readonly delta: TextDelta;
      readonly length: number;
    };

/** How many built texts are kept (the winners of the moment and the writes just before them). */
const BUILT_TEXTS = 4;
/** How far back a winner change looks for the text on screen before reporting the text whole. */
const MAX_STEPS_BACK = 256;

export function writeKey(ref: WriteRef): string {
  return `${ref.counter}@${ref.replica}`;
}

export class LwwTexts {
  private readonly entries = new Map<string, Entry>();
  /** Texts built lately, by write key, least recently used first. */
  private readonly built = new Map<string, string>();

  /** Record a delivered text write: its whole text, or its patch (clamped to its base). In causal order. */
  deliver(
    ref: WriteRef,
    field: string,
    value: { readonly whole: string } | { readonly patch: TextPatch },
  ): void {
    const key = writeKey(ref);
    if ('whole' in value) {
      this.entries.set(key, { field, whole: value.whole, length: value.whole.length });
      return;
    }
    const { patch } = value;
    const baseKey = patch.base === null ? null : writeKey(patch.base);
    const base = baseKey === null ? undefined : this.entries.get(baseKey);
    const fits = base !== undefined && base.field === field;
    const baseLength = fits ? base.length : 0;
    const pos = Math.min(patch.pos, baseLength);
    const del = Math.min(patch.del, baseLength - pos);
    this.entries.set(key, {
      field,
      base: fits ? baseKey : null,
      delta: { pos, del, text: patch.text },
      length: baseLength - del + patch.text.length,
    });
  }

  has(ref: WriteRef): boolean {
    return this.entries.has(writeKey(ref));
  }

  /** The length of a write's text (0 for a write this does not hold). */
  lengthOf(ref: WriteRef): number {
    return this.entries.get(writeKey(ref))?.length ?? 0;
  }

  /** A write's whole text (built from the nearest text known; '' for a write this does not hold). */
  text(ref: WriteRef): string {
    return this.build(writeKey(ref));
  }

  /**
   * The deltas that turn `from`'s text (what is on screen) into `to`'s: `to`'s own patches when `from` is
   * among its last MAX_STEPS_BACK bases (typing: O(the patches)), else one replacement of the differing
   * middle (a concurrent write won: O(text)). `fromText` reads `from`'s text, only in that second case.
   */
  deltasBetween(from: WriteRef | null, to: WriteRef, fromText: () => string): TextDelta[] {
    const target = writeKey(to);
    const origin = from === null ? null : writeKey(from);
    if (origin === target) return [];
    const steps: TextDelta[] = [];
    let key: string | null = target;
    while (key !== null && key !== origin && steps.length <= MAX_STEPS_BACK) {
      const entry = this.entries.get(key);
      if (entry === undefined || 'whole' in entry) break;
      steps.push(entry.delta);
      key = entry.base;
    }
    if (key === origin) return steps.reverse();
    return replacementDelta(fromText(), this.build(target));
  }

  private build(key: string): string {
    const known = this.built.get(key);
    if (known !== undefined) {
      this.built.delete(key);
      this.built.set(key, known);
      return known;
    }
    const chain: TextDelta[] = [];
    let base = '';
    for (let at: string | null = key; at !== null; ) {
      const ready = this.built.get(at);
      if (ready !== undefined) {
        base = ready;
        break;
      }
      const entry = this.entries.get(at);
      if (entry === undefined) break;
      if ('whole' in entry) {
        base = entry.whole;
        break;
      }
      chain.push(entry.delta);
      at = entry.base;
    }
    let text = base;
    if (chain.length > 0) {
      const mirror = new TextMirror(base);
      for (let i = chain.length - 1; i >= 0; i--) mirror.apply([chain[i] as TextDelta]);
      text = mirror.toString();
    }
    this.built.set(key, text);
    if (this.built.size > BUILT_TEXTS) this.built.delete(this.built.keys().next().value as string);
    return text;
  }
}
