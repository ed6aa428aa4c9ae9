/**
 * A local intent made while some engines were still loading (a progressive open), as the store keeps it
 * for them: the intent, and for a text edit the primary engine's text around it when it was made. An
 * engine that loads later applies it then, placed in its own text by the runtime's alignment rule
 * (`alignTextEdit`, text-alignment.ts) between that stretch of the primary's text and the same stretch
 * of its own: where the two agree (the common case: the engines were in step) it lands at the very
 * position the primary took it; where they differ, at the spot with the same surrounding text, as the
 * runtime's per-pair alignment would have placed it had the engine been loaded.
 */

import type { TextEdit, WorkspaceSchema } from '../schema.ts';
import { alignTextEdit } from '../text-alignment.ts';
import type { Intent } from '../workspace.ts';

/** Characters of the primary's text kept on either side of a text edit (the alignment's own context). */
export const DEFERRED_CONTEXT = 32;

/** The primary's text around a text edit: `before` it, the `removed` text (a deletion), and `after` it. */
export interface EditContext {
  readonly before: string;
  readonly removed: string;
  readonly after: string;
}

export interface DeferredIntentBody {
  readonly intent: Intent;
  readonly context?: EditContext;
}

/** A text, read as the alignment reads it. */
export interface ReadableText {
  readonly length: number;
  slice(from: number, to: number): string;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** What the store keeps of an intent (already accepted by the schema) made against `primaryText`. */
export function encodeDeferredIntent(
  schema: WorkspaceSchema,
  intent: Intent,
  primaryText: (field: string) => ReadableText,
): Uint8Array {
  const edit = schema.edit(intent);
  const body: DeferredIntentBody =
    edit.kind === 'text' ? { intent, context: contextOf(primaryText(edit.field), edit) } : { intent };
  return utf8Encoder.encode(JSON.stringify(body));
}

/** Throws (a SyntaxError, TypeError or the schema's IntentError) on bytes that are no deferred intent. */
export function decodeDeferredIntent(schema: WorkspaceSchema, bytes: Uint8Array): DeferredIntentBody {
  const body = JSON.parse(utf8Decoder.decode(bytes)) as { intent?: unknown; context?: unknown };
  const intent = schema.accept(body.intent) as Intent;
  const context = body.context as Partial<EditContext> | undefined;
  if (context === undefined) return { intent };
  if (
    typeof context !== 'object' ||
    context === null ||
    typeof context.before !== 'string' ||
    typeof context.removed !== 'string' ||
    typeof context.after !== 'string'
  )
    throw new TypeError('a deferred text intent needs its context');
  return { intent, context: { before: context.before, removed: context.removed, after: context.after } };
}

function contextOf(text: ReadableText, edit: TextEdit): EditContext {
  const end = edit.action === 'insert' ? edit.pos : edit.pos + edit.len;
  return {
    before: text.slice(Math.max(0, edit.pos - DEFERRED_CONTEXT), edit.pos),
    removed: text.slice(edit.pos, end),
    after: text.slice(end, Math.min(text.length, end + DEFERRED_CONTEXT)),
  };
}

/**
 * The edits that carry out a deferred text edit in `target` (an engine's text now): `edit` as it is when
 * the target holds the primary's text around it at the same position; otherwise aligned between that
 * stretch of the primary's text and the target's stretch where it is found (nearest the position), or
 * the stretch at the same position when it is found nowhere.
 */
export function placeDeferredTextEdit(
  target: ReadableText,
  edit: TextEdit,
  context: EditContext,
): TextEdit[] {
  const source = context.before + context.removed + context.after;
  const start = edit.pos - context.before.length;
  if (start >= 0 && target.slice(start, start + source.length) === source) return [edit];
  const found = nearestOccurrence(target, source, edit.pos);
  const from =
    found ?? Math.max(0, Math.min(target.length, edit.pos) - context.before.length - DEFERRED_CONTEXT);
  const to = Math.min(target.length, from + source.length + 2 * DEFERRED_CONTEXT);
  const local: TextEdit = { ...edit, pos: context.before.length };
  return alignTextEdit(source, target.slice(from, to), local).map((e) => ({ ...e, pos: e.pos + from }));
}

/** The start of the occurrence of `needle` in `text` nearest `near`, if any (one pass over the text). */
function nearestOccurrence(text: ReadableText, needle: string, near: number): number | undefined {
  if (needle.length === 0) return undefined;
  const whole = text.slice(0, text.length);
  let best: number | undefined;
  for (let at = whole.indexOf(needle); at >= 0; at = whole.indexOf(needle, at + 1)) {
    if (best === undefined || Math.abs(at - near) < Math.abs(best - near)) best = at;
    if (at > near) break;
  }
  return best;
}
