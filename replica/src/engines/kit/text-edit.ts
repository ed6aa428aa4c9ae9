/**
 * Checks a text intent against the text it edits, the same way for every engine: the range must lie
 * inside the text and must not split a UTF-16 surrogate pair (Yjs would replace a split pair with
 * U+FFFD, which would make its text differ from the other engines').
 */
import { type Intent, IntentError } from '../../workspace.ts';

export type TextIntent = Extract<Intent, { op: 'text.insert' | 'text.delete' }>;

/** Throws IntentError unless the intent's range is valid in `text`. */
export function checkTextIntent(text: string, intent: TextIntent): void {
  const start = intent.pos;
  const end = intent.op === 'text.insert' ? intent.pos : intent.pos + intent.len;
  if (end > text.length) {
    throw new IntentError(`${intent.op} range ${start}..${end} is outside the text (length ${text.length})`);
  }
  if (splitsSurrogatePair(text, start) || splitsSurrogatePair(text, end)) {
    throw new IntentError(`${intent.op} at ${start}..${end} would split a surrogate pair`);
  }
}

/** The text after applying a (checked) text intent. */
export function applyTextIntent(text: string, intent: TextIntent): string {
  checkTextIntent(text, intent);
  return intent.op === 'text.insert'
    ? text.slice(0, intent.pos) + intent.text + text.slice(intent.pos)
    : text.slice(0, intent.pos) + text.slice(intent.pos + intent.len);
}

function splitsSurrogatePair(text: string, index: number): boolean {
  if (index <= 0 || index >= text.length) return false;
  const before = text.charCodeAt(index - 1);
  const after = text.charCodeAt(index);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}
