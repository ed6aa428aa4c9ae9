/**
 * What a large text edit costs each engine, per character: which engines fall behind on one (issue 19:
 * Automerge takes ~30 µs per character of a large insertion or deletion, so a select-all + Delete in a
 * 150 KB text held every other engine's acknowledgement for seconds), and how many characters one piece
 * of catching up takes. Insertions and deletions are estimated apart (Yjs deletes ~40× cheaper than it
 * inserts: an estimate learned on a paste made it fall behind on the select-all + Delete that followed).
 * Each starts from the descriptor's prior (`largeEditCost`, `largeDeleteCost`) and follows what the
 * engine is measured to take on each large edit of that kind it applies (a moving average: the machine's
 * load counts).
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

/** What a text edit does to the characters it touches: costs are kept per kind. */
type EditKind = 'insert' | 'delete';

export class EditCosts {
  /** µs per character, per engine and kind of edit. */
  private readonly perChar = new Map<string, number>();

  constructor(registry: EngineRegistry) {
    for (const descriptor of registry.descriptors) {
      const insert = descriptor.largeEditCost ?? 0;
      this.perChar.set(keyOf(descriptor.name, 'insert'), insert);
      this.perChar.set(keyOf(descriptor.name, 'delete'), descriptor.largeDeleteCost ?? insert);
    }
  }

  /** What `edit` is expected to take `name`, in ms (0 for a small edit). */
  expectedMs(name: EngineName, edit: TextEdit): number {
    const chars = editChars(edit);
    return chars < LARGE_EDIT_CHARS ? 0 : ((this.perChar.get(keyOf(name, kindOf(edit))) ?? 0) * chars) / 1000;
  }

  /** Whether `name` should fall behind on `edit`. */
  behindOn(name: EngineName, edit: TextEdit): boolean {
    return this.expectedMs(name, edit) > BEHIND_ABOVE_MS;
  }

  /** `name` took `ms` on `edit` (counted only for a large edit). */
  measured(name: EngineName, edit: TextEdit, ms: number): void {
    const chars = editChars(edit);
    if (chars < LARGE_EDIT_CHARS || !(ms >= 0)) return;
    const sample = (ms * 1000) / chars;
    const key = keyOf(name, kindOf(edit));
    const before = this.perChar.get(key);
    this.perChar.set(
      key,
      before === undefined ? sample : before * (1 - MEASURE_WEIGHT) + sample * MEASURE_WEIGHT,
    );
  }

  /** Characters of an edit like `edit` that `name` takes in about `budgetMs` (at least LARGE_EDIT_CHARS). */
  charsWithin(name: EngineName, edit: TextEdit, budgetMs: number): number {
    const perChar = this.perChar.get(keyOf(name, kindOf(edit))) ?? 0;
    if (perChar <= 0) return Number.MAX_SAFE_INTEGER;
    return Math.max(LARGE_EDIT_CHARS, Math.floor((budgetMs * 1000) / perChar));
  }
}

function kindOf(edit: TextEdit): EditKind {
  return edit.action === 'insert' ? 'insert' : 'delete';
}

function keyOf(name: EngineName, kind: EditKind): string {
  return `${name} ${kind}`;
}

/** How many characters a text edit touches (inserted or deleted). */
export function editChars(edit: TextEdit): number {
  return edit.action === 'insert' ? edit.text.length : edit.len;
}
