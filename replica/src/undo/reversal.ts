/**
 * The runtime's intent-level inverse: for an edit applied to an engine, the edit that reverts it, worked
 * out from what the engine showed just before (for engines without an undo of their own). A text reversal
 * remembers the text it was made against, so it can be placed later in the text as it is then — with the
 * edits of other windows that arrived meanwhile — by the same alignment that places a user's edit in
 * every engine (text-alignment.ts): undoing an insertion deletes only those of its characters that are
 * still there, and never a character someone else typed.
 */
import { applyTextEdit, type FieldEdit, type TextEdit, type WorkspaceSchema } from '../schema.ts';
import { alignTextEdit } from '../text-alignment.ts';

/** The edit that reverts one applied edit; for text, with the text right after that edit. */
export type Reversal =
  | { readonly edit: TextEdit; readonly textAfter: string }
  | {
      readonly edit: Exclude<FieldEdit, TextEdit>;
      /**
       * Taking back the add that made a cart line: remove the line if it holds just that quantity then,
       * else take the quantity off (a remove would also drop what others added to it meanwhile).
       */
      readonly removesLine?: true;
    };

/** The reversal of a text edit made against `text`. */
export function textReversal(text: string, edit: TextEdit): Reversal {
  const textAfter = applyTextEdit(text, edit);
  const back: TextEdit =
    edit.action === 'insert'
      ? { kind: 'text', field: edit.field, action: 'delete', pos: edit.pos, len: edit.text.length }
      : {
          kind: 'text',
          field: edit.field,
          action: 'insert',
          pos: edit.pos,
          text: text.slice(edit.pos, edit.pos + edit.len),
        };
  return { edit: back, textAfter };
}

/**
 * The reversal of a non-text edit, from the value the engine showed before it; undefined when the edit
 * changed nothing, or cannot be reverted by an edit (a counter that only grows).
 */
export function valueReversal(
  schema: WorkspaceSchema,
  before: object,
  edit: Exclude<FieldEdit, TextEdit>,
): Reversal | undefined {
  const field = schema.field(edit.field);
  if (field === undefined) return undefined;
  switch (edit.kind) {
    case 'cart': {
      const lines = (schema.valueIn(before, field) ?? {}) as Readonly<Record<string, number>>;
      const had = Object.hasOwn(lines, edit.product) ? lines[edit.product] : undefined;
      const line = { kind: 'cart', field: edit.field, product: edit.product } as const;
      switch (edit.action) {
        case 'add': {
          const back = { edit: { ...line, action: 'decrement', qty: edit.qty } } as const;
          return had === undefined ? { ...back, removesLine: true } : back;
        }
        case 'decrement':
          return had === undefined ? undefined : { edit: { ...line, action: 'add', qty: edit.qty } };
        case 'remove':
          return had === undefined || had <= 0 ? undefined : { edit: { ...line, action: 'add', qty: had } };
        case 'setQuantity':
          return {
            edit:
              had === undefined
                ? { ...line, action: 'remove' }
                : { ...line, action: 'setQuantity', qty: had },
          };
      }
      return undefined;
    }
    case 'pn-counter':
      return edit.by === 0 ? undefined : { edit: { ...edit, by: -edit.by } };
    case 'counter':
      return undefined; // only grows: no edit takes an increment back
    case 'register': {
      const values = schema.valueIn(before, field) as readonly string[] | undefined;
      return { edit: { ...edit, value: values?.[0] ?? '' } };
    }
  }
}

/** The edits that carry out a reversal in the engine as it is now (`now`: what it shows). */
export function placeReversal(schema: WorkspaceSchema, reversal: Reversal, now: object): FieldEdit[] {
  const field = schema.field(reversal.edit.field);
  if (field === undefined) return [];
  const value = schema.valueIn(now, field);
  if ('textAfter' in reversal) return alignTextEdit(reversal.textAfter, String(value), reversal.edit);
  const { edit } = reversal;
  if (reversal.removesLine === true && edit.kind === 'cart' && edit.action === 'decrement') {
    const lines = (value ?? {}) as Readonly<Record<string, number>>;
    if (Object.hasOwn(lines, edit.product) && lines[edit.product] === edit.qty)
      return [{ kind: 'cart', field: edit.field, action: 'remove', product: edit.product }];
  }
  return [edit];
}

/**
 * One reversal for two consecutive text edits that extend each other (typing a word, holding backspace),
 * so a step of typing keeps one text rather than one per keystroke; undefined when they do not.
 */
export function mergeReversals(earlier: Reversal, later: Reversal): Reversal | undefined {
  const a = earlier.edit;
  const b = later.edit;
  if (a.kind !== 'text' || b.kind !== 'text' || a.field !== b.field || !('textAfter' in later))
    return undefined;
  const { textAfter } = later;
  // Typing on: the later insertion starts where the earlier one ended.
  if (a.action === 'delete' && b.action === 'delete' && b.pos === a.pos + a.len)
    return { edit: { ...a, len: a.len + b.len }, textAfter };
  if (a.action === 'insert' && b.action === 'insert') {
    // Backspace: the later deletion ends where the earlier one began.
    if (b.pos + b.text.length === a.pos) return { edit: { ...b, text: b.text + a.text }, textAfter };
    // Delete key: the later deletion begins where the earlier one began.
    if (b.pos === a.pos) return { edit: { ...a, text: a.text + b.text }, textAfter };
  }
  return undefined;
}
