/**
 * How an engine reports a change to one of its texts: positional deltas, each applied to the text the
 * previous one left (UTF-16 code units, as JS strings count). Emitted for every change of a text, local,
 * remote or from the store, so a listener that applies them to the text it last saw holds the engine's
 * text at every moment without ever reading it whole.
 */
import type { EngineChange } from './engine.ts';

export interface TextDelta {
  /** Where the change starts. */
  readonly pos: number;
  /** How many code units are removed there. */
  readonly del: number;
  /** What is inserted there (after the removal); may be empty. */
  readonly text: string;
}

export interface TextChange {
  /** The text field of the workspace schema. */
  readonly field: string;
  readonly origin: EngineChange['origin'];
  /** In order: each applies to the text the previous one left. */
  readonly deltas: readonly TextDelta[];
}

/** `text` with `deltas` applied, in order (for tests and for listeners that do hold a whole string). */
export function applyTextDeltas(text: string, deltas: readonly TextDelta[]): string {
  let result = text;
  for (const { pos, del, text: inserted } of deltas) {
    if (pos < 0 || del < 0 || pos + del > result.length)
      throw new RangeError(`delta ${pos}+${del} is beyond the text (length ${result.length})`);
    result = result.slice(0, pos) + inserted + result.slice(pos + del);
  }
  return result;
}

/** One op of a Quill-style delta (retain / delete / insert), as Yjs and Loro describe a text's change. */
export interface RetainDeleteInsert {
  readonly retain?: number;
  readonly delete?: number;
  readonly insert?: unknown;
}

/**
 * A Quill-style delta as positional deltas (O(change)); a deletion followed by an insertion at the same
 * spot becomes one replacement. Undefined when an insertion is not text (an embed): such a change has a
 * length in the engine but none in the text we show.
 */
export function deltasOfRetainOps(ops: Iterable<RetainDeleteInsert>): TextDelta[] | undefined {
  const deltas: TextDelta[] = [];
  let pos = 0;
  for (const op of ops) {
    if (op.retain !== undefined) pos += op.retain;
    else if (op.delete !== undefined) deltas.push({ pos, del: op.delete, text: '' });
    else if (typeof op.insert === 'string') {
      const last = deltas[deltas.length - 1];
      if (last !== undefined && last.pos === pos && last.text === '')
        deltas[deltas.length - 1] = { pos, del: last.del, text: op.insert };
      else deltas.push({ pos, del: 0, text: op.insert });
      pos += op.insert.length;
    } else return undefined;
  }
  return deltas;
}

/**
 * The one delta that turns `before` into `after`: their common prefix and suffix kept, the middle
 * replaced (empty when equal). O(length); for engines whose text changes whole (a register's winner).
 */
export function replacementDelta(before: string, after: string): TextDelta[] {
  if (before === after) return [];
  const max = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (
    suffix < max - prefix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  )
    suffix++;
  // Never split a surrogate pair: move the cut left when it would.
  if (prefix > 0 && isHighSurrogate(before.charCodeAt(prefix - 1))) prefix--;
  if (suffix > 0 && isLowSurrogate(before.charCodeAt(before.length - suffix))) suffix--;
  return [
    { pos: prefix, del: before.length - prefix - suffix, text: after.slice(prefix, after.length - suffix) },
  ];
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
