/**
 * What a large text edit costs each engine, per character: which engines fall behind on one (issue 19:
 * Automerge takes ~30 µs per character of a large insertion or deletion, so a select-all + Delete in a
 * 150 KB text held every other engine's acknowledgement for seconds), and how many characters one piece
 * of catching up takes. It starts from the descriptor's prior (`largeEditCost`) and follows what the
 * engine is measured to take on each large edit it applies (a moving average: the machine's load counts).
 */
import type { EngineName } from '../engine-name.ts';
import type { EngineRegistry } from '../engine-registry.ts';
import type { TextEdit } from '../schema.ts';

/** A text edit of at least this many characters is large: only these are measured or deferred. */
export const LARGE_EDIT_CHARS = 1024;
/** An engine expected to take longer than this on a large edit falls behind instead (ms). */
export const BEHIND_ABOVE_MS = 20;
/** How much of the estimate one new measurement makes (the rest is the estimate before it). */
const MEASURE_WEIGHT = 0.5;

export class EditCosts {
  /** µs per character, per engine. */
  private readonly perChar = new Map<EngineName, number>();

  constructor(registry: EngineRegistry) {
    for (const descriptor of registry.descriptors)
      this.perChar.set(descriptor.name, descriptor.largeEditCost ?? 0);
  }

  /** What an edit of `chars` characters is expected to take `name`, in ms (0 for a small edit). */
  expectedMs(name: EngineName, chars: number): number {
    return chars < LARGE_EDIT_CHARS ? 0 : ((this.perChar.get(name) ?? 0) * chars) / 1000;
  }

  /** Whether `name` should fall behind on an edit of `chars` characters. */
  behindOn(name: EngineName, chars: number): boolean {
    return this.expectedMs(name, chars) > BEHIND_ABOVE_MS;
  }

  /** `name` took `ms` on an edit of `chars` characters (counted only for a large edit). */
  measured(name: EngineName, chars: number, ms: number): void {
    if (chars < LARGE_EDIT_CHARS || !(ms >= 0)) return;
    const sample = (ms * 1000) / chars;
    const before = this.perChar.get(name);
    this.perChar.set(
      name,
      before === undefined ? sample : before * (1 - MEASURE_WEIGHT) + sample * MEASURE_WEIGHT,
    );
  }

  /** Characters of one edit `name` takes in about `budgetMs` (at least LARGE_EDIT_CHARS). */
  charsWithin(name: EngineName, budgetMs: number): number {
    const perChar = this.perChar.get(name) ?? 0;
    if (perChar <= 0) return Number.MAX_SAFE_INTEGER;
    return Math.max(LARGE_EDIT_CHARS, Math.floor((budgetMs * 1000) / perChar));
  }
}

/** How many characters a text edit touches (inserted or deleted). */
export function editChars(edit: TextEdit): number {
  return edit.action === 'insert' ? edit.text.length : edit.len;
}
