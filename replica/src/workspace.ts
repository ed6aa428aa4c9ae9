/**
 * The workspace every engine models: a cart, a text, two counters and a note.
 * Intents are what a user does; every engine applies the same intent in its own way.
 */

/** Counter names: `likes` only grows (G-Counter), `stock` goes both ways (PN-Counter). */
export const COUNTER_NAMES = ['likes', 'stock'] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];
export const GROW_ONLY_COUNTERS: ReadonlySet<CounterName> = new Set(['likes']);

export type Intent =
  | { readonly op: 'cart.add'; readonly product: string; readonly qty: number }
  /** "One less": take `qty` off a line this replica shows (nothing when it shows none). */
  | { readonly op: 'cart.decrement'; readonly product: string; readonly qty: number }
  | { readonly op: 'cart.remove'; readonly product: string }
  /** Set the line to an absolute quantity (each engine merges that in its own way; 0 removes). */
  | { readonly op: 'cart.setQuantity'; readonly product: string; readonly qty: number }
  | { readonly op: 'text.insert'; readonly pos: number; readonly text: string }
  | { readonly op: 'text.delete'; readonly pos: number; readonly len: number }
  | { readonly op: 'counter.increment'; readonly name: CounterName; readonly by: number }
  | { readonly op: 'note.set'; readonly value: string };

export type IntentOp = Intent['op'];

/** For the default of an exhaustive switch over intents: a compile error when an op is left out. */
export function unhandledIntent(intent: never): never {
  throw new Error(`unhandled intent ${(intent as { op: IntentOp }).op}`);
}

/** What an engine shows, normalized so views of different engines can be compared and hashed. */
export interface WorkspaceView {
  readonly text: string;
  /** product → quantity; lines the engine shows (a quantity ≤ 0 is an oversell made visible, not hidden). */
  readonly cart: Readonly<Record<string, number>>;
  readonly counters: Readonly<Record<CounterName, number>>;
  /** The note's values as the engine shows them: siblings where it keeps them, sorted; [] when never set. */
  readonly note: readonly string[];
}

export const EMPTY_VIEW: WorkspaceView = {
  text: '',
  cart: {},
  counters: { likes: 0, stock: 0 },
  note: [],
};

/** Nothing written that shows: no text, no cart line, every counter at zero, no note. */
export function isEmptyView(view: WorkspaceView): boolean {
  return (
    view.text === '' &&
    Object.keys(view.cart).length === 0 &&
    Object.values(view.counters).every((n) => n === 0) &&
    view.note.length === 0
  );
}

export class IntentError extends Error {
  override readonly name = 'IntentError';
}

const MAX_PRODUCT_LENGTH = 100;
const MAX_NOTE_LENGTH = 1000;

/**
 * Reject intents that no engine may apply (wrong types, unsafe amounts, negative likes).
 * Positions are checked against the text length by the replica, which knows the text.
 */
export function validateIntent(intent: Intent): Intent {
  const fail = (why: string): never => {
    throw new IntentError(`invalid ${String((intent as { op?: unknown }).op)} intent: ${why}`);
  };
  const product = (p: unknown): void => {
    if (typeof p !== 'string' || p.length === 0 || p.length > MAX_PRODUCT_LENGTH) {
      fail(`product must be a non-empty string of at most ${MAX_PRODUCT_LENGTH} characters`);
    }
  };
  const safeInt = (n: unknown, what: string): void => {
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) fail(`${what} must be a safe integer`);
  };
  switch (intent.op) {
    case 'cart.add':
      product(intent.product);
      safeInt(intent.qty, 'qty');
      if (intent.qty <= 0) fail('qty must be positive');
      break;
    case 'cart.decrement':
      product(intent.product);
      safeInt(intent.qty, 'qty');
      if (intent.qty <= 0) fail('qty must be positive');
      break;
    case 'cart.remove':
      product(intent.product);
      break;
    case 'cart.setQuantity':
      product(intent.product);
      safeInt(intent.qty, 'qty');
      if (intent.qty < 0) fail('qty must not be negative');
      break;
    case 'text.insert':
      safeInt(intent.pos, 'pos');
      if (intent.pos < 0) fail('pos must not be negative');
      if (typeof intent.text !== 'string' || intent.text.length === 0)
        fail('text must be a non-empty string');
      break;
    case 'text.delete':
      safeInt(intent.pos, 'pos');
      safeInt(intent.len, 'len');
      if (intent.pos < 0 || intent.len <= 0) fail('pos must be ≥ 0 and len > 0');
      break;
    case 'counter.increment':
      if (!(COUNTER_NAMES as readonly string[]).includes(intent.name))
        fail(`unknown counter ${String(intent.name)}`);
      safeInt(intent.by, 'by');
      if (intent.by === 0) fail('by must not be zero');
      if (intent.by < 0 && GROW_ONLY_COUNTERS.has(intent.name)) fail(`${intent.name} only grows`);
      break;
    case 'note.set':
      if (typeof intent.value !== 'string' || intent.value.length > MAX_NOTE_LENGTH) {
        fail(`value must be a string of at most ${MAX_NOTE_LENGTH} characters`);
      }
      break;
    default:
      fail('unknown op');
  }
  return intent;
}
