/**
 * The runtime's intent-level inverse of cart, counter and note edits: for an edit applied to an engine,
 * the edit that reverts it, worked out from the value the engine showed just before (for engines without
 * an undo of their own). Text has its own reversals, which follow the text's deltas (text-reversal.ts).
 */
import type { FieldEdit, TextEdit, WorkspaceSchema } from '../schema.ts';

/** The edit that reverts one applied (non-text) edit. */
export interface ValueReversal {
  readonly kind: 'value';
  readonly edit: Exclude<FieldEdit, TextEdit>;
  /**
   * Taking back the add that made a cart line: remove the line if it holds just that quantity then,
   * else take the quantity off (a remove would also drop what others added to it meanwhile).
   */
  readonly removesLine?: true;
}

/**
 * The reversal of a non-text edit, from the value the engine showed before it; undefined when the edit
 * changed nothing, or cannot be reverted by an edit (a counter that only grows).
 */
export function valueReversal(
  schema: WorkspaceSchema,
  before: object,
  edit: Exclude<FieldEdit, TextEdit>,
): ValueReversal | undefined {
  const back = reversalOf(schema, before, edit);
  return back === undefined ? undefined : { kind: 'value', ...back };
}

function reversalOf(
  schema: WorkspaceSchema,
  before: object,
  edit: Exclude<FieldEdit, TextEdit>,
): Omit<ValueReversal, 'kind'> | undefined {
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
export function placeReversal(schema: WorkspaceSchema, reversal: ValueReversal, now: object): FieldEdit[] {
  const field = schema.field(reversal.edit.field);
  if (field === undefined) return [];
  const { edit } = reversal;
  if (reversal.removesLine === true && edit.kind === 'cart' && edit.action === 'decrement') {
    const lines = (schema.valueIn(now, field) ?? {}) as Readonly<Record<string, number>>;
    if (Object.hasOwn(lines, edit.product) && lines[edit.product] === edit.qty)
      return [{ kind: 'cart', field: edit.field, action: 'remove', product: edit.product }];
  }
  return [edit];
}
