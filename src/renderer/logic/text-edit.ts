/**
 * Turning what a <textarea> did into text intents. The browser tells us only the value before and after
 * an input event and where the caret ended up; the edit is the one change between the two values that
 * ends at the caret (typing, pasting, backspace, delete, replacing a selection, cutting all fit).
 */
import type { TextEdit } from '@converge/replica';

/** One contiguous change: `deleted` code units at `pos` were replaced by `inserted`. */
export interface TextChange {
  readonly pos: number;
  readonly deleted: number;
  readonly inserted: string;
}

/**
 * The change that turns `before` into `after`, given the caret position after the edit (the inserted
 * text ends there). Repeated characters make a change ambiguous ("a" typed into "aa"); the caret decides.
 * Never splits a surrogate pair. Returns undefined when the values are equal.
 */
export function diffTextChange(before: string, after: string, caretAfter: number): TextChange | undefined {
  if (before === after) return undefined;
  const caret = Math.max(0, Math.min(caretAfter, after.length));
  // What follows the caret is untouched: whatever the user typed ends at the caret.
  const maxSuffix = Math.min(before.length, after.length - caret);
  let suffix = 0;
  while (
    suffix < maxSuffix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) {
    suffix++;
  }
  if (suffix > 0 && isLowSurrogate(after.charCodeAt(after.length - suffix))) suffix--;

  const maxPrefix = Math.min(before.length, after.length) - suffix;
  let prefix = 0;
  while (prefix < maxPrefix && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  if (prefix > 0 && isHighSurrogate(after.charCodeAt(prefix - 1))) prefix--;

  return {
    pos: prefix,
    deleted: before.length - suffix - prefix,
    inserted: after.slice(prefix, after.length - suffix),
  };
}

/** The edits of text `field` that carry out a change, in the order to apply them (delete first, then insert). */
export function changeToEdits(field: string, change: TextChange): TextEdit[] {
  const edits: TextEdit[] = [];
  if (change.deleted > 0)
    edits.push({ kind: 'text', field, action: 'delete', pos: change.pos, len: change.deleted });
  if (change.inserted.length > 0)
    edits.push({ kind: 'text', field, action: 'insert', pos: change.pos, text: change.inserted });
  return edits;
}

/** Apply a change to a string (what the engines will make of it). */
export function applyTextChange(text: string, change: TextChange): string {
  return text.slice(0, change.pos) + change.inserted + text.slice(change.pos + change.deleted);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
