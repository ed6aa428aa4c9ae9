/**
 * The workspace every engine models, declared once: each field with its kind, its stable tag and its
 * limits. Everything else derives from this declaration (schema.ts): the intents and their validation,
 * the view and its type, every engine's layout, the scenario format, the report and the UI. Adding a
 * field of an existing kind is one line here.
 */
import {
  defineSchema,
  type FieldsOfKind,
  type IntentOf,
  type ViewOf,
  type WorkspaceSchema,
} from './schema.ts';

export const WORKSPACE = defineSchema({
  cart: { kind: 'cart', tag: 1, label: 'Cart', maxProductLength: 100 },
  text: { kind: 'text', tag: 2, label: 'Text' },
  likes: { kind: 'counter', tag: 3, label: 'Likes' },
  stock: { kind: 'pn-counter', tag: 4, label: 'Stock' },
  note: { kind: 'register', tag: 5, label: 'Note', maxLength: 1000 },
});

type Fields = typeof WORKSPACE extends WorkspaceSchema<infer F> ? F : never;

/** What a user does; every engine applies the same intent in its own way. */
export type Intent = IntentOf<Fields>;
export type IntentOp = Intent['op'];
/** What an engine shows, normalized so views of different engines can be compared and hashed. */
export type WorkspaceView = ViewOf<Fields>;
export type CounterName = FieldsOfKind<Fields, 'counter' | 'pn-counter'>;

export const EMPTY_VIEW: WorkspaceView = WORKSPACE.empty();

/** Nothing written that shows. */
export function isEmptyView(view: WorkspaceView): boolean {
  return WORKSPACE.isEmpty(view);
}
