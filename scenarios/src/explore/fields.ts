/**
 * The workspace as fields, the unit in which engines can disagree: the text, the note, each cart line,
 * each counter (the keys the report's differences, the LWW ledger and `wallTime` use: "text", "note",
 * "cart/apple", "counters/likes"). And what a field must hold when its edits were made one after the
 * other, each seeing the one before: every engine then shows the same value, the one of applying the
 * edits in order.
 */
import type { Difference, ReplicaState } from '../report.ts';
import type { EditStep } from '../scenario.ts';

export type FieldKey = string;

/** A field's value: the text, the note's values, a cart line's quantity (null: no line), a counter. */
export type FieldValue = string | readonly string[] | number | null;

/** The field an edit writes. */
export function fieldOf(step: EditStep): FieldKey {
  switch (step.op) {
    case 'text.insert':
    case 'text.delete':
      return 'text';
    case 'note.set':
      return 'note';
    case 'counter.increment':
      return `counters/${step.name}`;
    default:
      return `cart/${step.product}`;
  }
}

/** The field a difference is about. */
export function fieldOfDifference(difference: Difference): FieldKey {
  return 'key' in difference ? `${difference.field}/${difference.key}` : difference.field;
}

/** A field's value in an engine's state. */
export function valueIn(state: ReplicaState, field: FieldKey): FieldValue {
  if (field === 'text') return state.text;
  if (field === 'note') return state.note;
  const [family, key] = splitField(field);
  if (family === 'cart') return state.cart[key] ?? null;
  return (state.counters as Readonly<Record<string, number>>)[key] ?? 0;
}

/** The fields a state shows something in (the text and the note always; lines and counters present). */
export function fieldsIn(state: ReplicaState): FieldKey[] {
  return [
    'text',
    'note',
    ...Object.keys(state.cart).map((p) => `cart/${p}`),
    ...Object.keys(state.counters).map((c) => `counters/${c}`),
  ];
}

export function sameValue(a: FieldValue, b: FieldValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The value of a field nobody wrote. */
export function initialValue(field: FieldKey): FieldValue {
  if (field === 'text') return '';
  if (field === 'note') return [];
  return splitField(field)[0] === 'cart' ? null : 0;
}

/**
 * The value after `step`, applied to `value` by a replica that saw exactly `value`: what every engine
 * does with edits made one after the other. Throws RangeError for a text range outside the text.
 */
export function applyEdit(value: FieldValue, step: EditStep): FieldValue {
  switch (step.op) {
    case 'text.insert': {
      const text = value as string;
      if (step.pos > text.length) throw new RangeError(`insert at ${step.pos} beyond ${text.length}`);
      return text.slice(0, step.pos) + step.text + text.slice(step.pos);
    }
    case 'text.delete': {
      const text = value as string;
      if (step.pos + step.len > text.length)
        throw new RangeError(`delete ${step.pos}..${step.pos + step.len} beyond ${text.length}`);
      return text.slice(0, step.pos) + text.slice(step.pos + step.len);
    }
    case 'note.set':
      return [step.value];
    case 'counter.increment':
      return (value as number) + step.by;
    case 'cart.add':
      return ((value as number | null) ?? 0) + step.qty;
    case 'cart.decrement':
      return value === null ? null : (value as number) - step.qty;
    case 'cart.remove':
      return null;
    case 'cart.setQuantity':
      return step.qty === 0 ? null : step.qty;
  }
}

/** Whether an edit takes a cart line away (a removal, or a quantity set to 0). */
export function removesLine(step: EditStep): boolean {
  return step.op === 'cart.remove' || (step.op === 'cart.setQuantity' && step.qty === 0);
}

function splitField(field: FieldKey): [string, string] {
  const slash = field.indexOf('/');
  return [field.slice(0, slash), field.slice(slash + 1)];
}
