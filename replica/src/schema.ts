/**
 * Workspace schemas: the fields of a workspace, each of a kind, declared once (workspace.ts declares the
 * app's). Everything else derives from a schema: the intents (a zod schema and their TypeScript type),
 * their validation, the view every engine shows (and its type), how every engine stores each field, the
 * scenario file format, the merge report and the UI.
 *
 * Kinds: `counter` (only grows: G-Counter), `pn-counter` (up and down), `cart` (product → quantity),
 * `text` (collaborative text), `register` (a string value; concurrent writes kept as siblings where the
 * engine can). A field's `tag` is its stable number in the converge engine's bytes (like a protobuf field
 * number): never renumber or reuse one.
 *
 * Intents name their field: counters by `name` in `counter.increment`, every other field by the prefix of
 * its ops (`cart.add` edits the field `cart`, `note.set` the field `note`; a register `title` would take
 * `title.set`). The view shows each field under its name, counters together under `counters`.
 */
import { z } from 'zod';

// ---- declarations ---------------------------------------------------------------------------------

interface FieldBase {
  /** Stable field number (1–127) in the converge engine's operations and snapshots. */
  readonly tag: number;
  /** What the UI calls it. */
  readonly label: string;
}

/** A counter that only grows (a G-Counter: concurrent increments all count). */
export interface CounterField extends FieldBase {
  readonly kind: 'counter';
}
/** A counter that goes up and down (a PN-Counter). */
export interface PnCounterField extends FieldBase {
  readonly kind: 'pn-counter';
}
/** A cart: product → quantity. */
export interface CartField extends FieldBase {
  readonly kind: 'cart';
  readonly maxProductLength: number;
}
/** A collaborative text. */
export interface TextField extends FieldBase {
  readonly kind: 'text';
}
/** A string value. */
export interface RegisterField extends FieldBase {
  readonly kind: 'register';
  readonly maxLength: number;
}

export type FieldDeclaration = CounterField | PnCounterField | CartField | TextField | RegisterField;
export type FieldKind = FieldDeclaration['kind'];
export type FieldDeclarations = Readonly<Record<string, FieldDeclaration>>;

/** The view's key for every counter, whatever its field's name. */
export const COUNTERS = 'counters';

/** The names of the fields of `F` whose kind is in `K`. */
export type FieldsOfKind<F extends FieldDeclarations, K extends FieldKind> = {
  [N in keyof F]: F[N]['kind'] extends K ? N : never;
}[keyof F] &
  string;

type CountingKind = 'counter' | 'pn-counter';

/** Any intent of any schema: an op and its arguments. */
export interface AnyIntent {
  readonly op: string;
  readonly [argument: string]: unknown;
}

/** What every engine shows of a workspace with fields `F` (of any schema: its values by field). */
export type ViewOf<F extends FieldDeclarations> = string extends keyof F
  ? Readonly<Record<string, unknown>>
  : SpecificView<F>;

type SpecificView<F extends FieldDeclarations> = {
  readonly [N in FieldsOfKind<F, 'cart'>]: Readonly<Record<string, number>>;
} & { readonly [N in FieldsOfKind<F, 'text'>]: string } & {
  /** A register's values as the engine shows them: siblings where it keeps them, sorted; [] when never set. */
  readonly [N in FieldsOfKind<F, 'register'>]: readonly string[];
} & { readonly counters: { readonly [N in FieldsOfKind<F, CountingKind>]: number } };

/** What a user does to a workspace with fields `F` (of any schema: an op and its arguments). */
export type IntentOf<F extends FieldDeclarations> = string extends keyof F ? AnyIntent : SpecificIntent<F>;

type SpecificIntent<F extends FieldDeclarations> =
  | {
      [N in FieldsOfKind<F, 'cart'>]:
        | { readonly op: `${N}.add`; readonly product: string; readonly qty: number }
        /** "One less": take `qty` off a line this replica shows (nothing when it shows none). */
        | { readonly op: `${N}.decrement`; readonly product: string; readonly qty: number }
        | { readonly op: `${N}.remove`; readonly product: string }
        /** Set the line to an absolute quantity (each engine merges that in its own way; 0 removes). */
        | { readonly op: `${N}.setQuantity`; readonly product: string; readonly qty: number };
    }[FieldsOfKind<F, 'cart'>]
  | {
      [N in FieldsOfKind<F, 'text'>]:
        | { readonly op: `${N}.insert`; readonly pos: number; readonly text: string }
        | { readonly op: `${N}.delete`; readonly pos: number; readonly len: number };
    }[FieldsOfKind<F, 'text'>]
  | {
      readonly op: 'counter.increment';
      readonly name: FieldsOfKind<F, CountingKind>;
      readonly by: number;
    }
  | { [N in FieldsOfKind<F, 'register'>]: { readonly op: `${N}.set`; readonly value: string } }[FieldsOfKind<
      F,
      'register'
    >];

/**
 * An intent as the engines apply it: the field it edits, with its kind and action spelled out, so an
 * engine handles every field of a kind alike (`WorkspaceSchema.edit` turns an intent into one).
 */
export type FieldEdit =
  | {
      readonly kind: 'cart';
      readonly field: string;
      readonly action: 'add';
      readonly product: string;
      readonly qty: number;
    }
  | {
      readonly kind: 'cart';
      readonly field: string;
      readonly action: 'decrement';
      readonly product: string;
      readonly qty: number;
    }
  | { readonly kind: 'cart'; readonly field: string; readonly action: 'remove'; readonly product: string }
  | {
      readonly kind: 'cart';
      readonly field: string;
      readonly action: 'setQuantity';
      readonly product: string;
      readonly qty: number;
    }
  | {
      readonly kind: 'text';
      readonly field: string;
      readonly action: 'insert';
      readonly pos: number;
      readonly text: string;
    }
  | {
      readonly kind: 'text';
      readonly field: string;
      readonly action: 'delete';
      readonly pos: number;
      readonly len: number;
    }
  | { readonly kind: CountingKind; readonly field: string; readonly action: 'increment'; readonly by: number }
  | { readonly kind: 'register'; readonly field: string; readonly action: 'set'; readonly value: string };

export type EditAction = FieldEdit['action'];
export type TextEdit = Extract<FieldEdit, { kind: 'text' }>;

/** Every action, in the order engines that number them use (last-writer-wins stores the index). */
export const EDIT_ACTIONS: readonly EditAction[] = [
  'add',
  'remove',
  'setQuantity',
  'insert',
  'delete',
  'increment',
  'set',
  'decrement',
];

/** The actions each kind accepts. */
export const KIND_ACTIONS: Readonly<Record<FieldKind, readonly EditAction[]>> = {
  cart: ['add', 'decrement', 'remove', 'setQuantity'],
  text: ['insert', 'delete'],
  counter: ['increment'],
  'pn-counter': ['increment'],
  register: ['set'],
};

export class IntentError extends Error {
  override readonly name = 'IntentError';
}

export class SchemaError extends Error {
  override readonly name = 'SchemaError';
}

// ---- the schema -----------------------------------------------------------------------------------

const FIELD_NAME = /^[a-z][a-zA-Z0-9]{0,31}$/;
const MAX_TAG = 127;

const safeInt = (what: string) =>
  z
    .number({ error: `${what} must be a safe integer` })
    .refine(Number.isSafeInteger, { error: `${what} must be a safe integer` });

/**
 * A text edit's rules beyond its types, defined once: the intent schema refines with them, and the typed
 * text intents (`insertText`, `deleteText`) check them without zod.
 */
const TEXT_RULES = {
  position: (n: number): boolean => n >= 0,
  length: (n: number): boolean => n > 0,
  inserted: (text: string): boolean => text.length > 0,
} as const;

/** A text field's two ops, spelled once (the typed text intents build no string per edit). */
interface TextOps {
  readonly insert: string;
  readonly delete: string;
}

/** A field with its name, as a schema lists them. */
export type NamedField = FieldDeclaration & { readonly name: string };

export class WorkspaceSchema<F extends FieldDeclarations = FieldDeclarations> {
  /** Every field, in declaration order. */
  readonly fields: readonly NamedField[];
  /** The intents' zod schema (one option per op, discriminated by `op`; its output is an `IntentOf<F>`). */
  readonly intent: z.ZodType;
  /** The zod options the intent schema is made of, one per op (to extend each, as scenario steps do). */
  readonly intentOptions: readonly z.ZodObject[];
  private readonly byName = new Map<string, NamedField>();
  private readonly byTag = new Map<number, NamedField>();
  /** op → the field it edits and the action. */
  private readonly ops = new Map<string, { readonly field: NamedField; readonly action: EditAction }>();
  private readonly emptyView: ViewOf<F>;
  /** The intent `accept` validated last (a frozen copy), and its edit (two fields: no object per edit). */
  private acceptedIntent: object | undefined;
  private acceptedEdit: FieldEdit | undefined;
  /** Each text field's ops, by field name. */
  private readonly textOps = new Map<string, TextOps>();

  constructor(readonly declarations: F) {
    const fields: NamedField[] = [];
    for (const [name, declaration] of Object.entries(declarations)) {
      if (!FIELD_NAME.test(name) || name === COUNTERS || name === 'counter')
        throw new SchemaError(`invalid field name ${JSON.stringify(name)}`);
      const { tag, kind } = declaration;
      if (!(Number.isInteger(tag) && tag >= 1 && tag <= MAX_TAG))
        throw new SchemaError(`field ${name}: tag must be an integer in 1..${MAX_TAG}`);
      if (KIND_ACTIONS[kind] === undefined)
        throw new SchemaError(`field ${name}: unknown kind ${String(kind)}`);
      const taken = this.byTag.get(tag);
      if (taken !== undefined) throw new SchemaError(`fields ${taken.name} and ${name} both have tag ${tag}`);
      const field: NamedField = Object.freeze({ ...declaration, name });
      fields.push(field);
      this.byName.set(name, field);
      this.byTag.set(tag, field);
      if (kind === 'text') this.textOps.set(name, { insert: `${name}.insert`, delete: `${name}.delete` });
      if (kind === 'counter' || kind === 'pn-counter') continue;
      for (const action of KIND_ACTIONS[kind]) this.ops.set(`${name}.${action}`, { field, action });
    }
    this.fields = Object.freeze(fields);
    this.intentOptions = this.buildIntentOptions();
    const options = this.intentOptions as unknown as [z.ZodObject, ...z.ZodObject[]];
    this.intent = z.discriminatedUnion('op', options);
    this.emptyView = this.view((field) =>
      field.kind === 'text' ? '' : field.kind === 'cart' ? {} : field.kind === 'register' ? [] : 0,
    );
  }

  field(name: string): NamedField | undefined {
    return this.byName.get(name);
  }

  fieldByTag(tag: number): NamedField | undefined {
    return this.byTag.get(tag);
  }

  /** The fields of the given kinds, in declaration order. */
  fieldsOf(...kinds: FieldKind[]): NamedField[] {
    return this.fields.filter((f) => kinds.includes(f.kind));
  }

  /** Counters (both kinds), in declaration order. */
  counters(): NamedField[] {
    return this.fieldsOf('counter', 'pn-counter');
  }

  /**
   * Validate an intent (types, limits, known field) and say which field it edits and how. Throws
   * IntentError naming what is wrong. Text positions are checked against the text by whoever holds it.
   */
  edit(intent: unknown): FieldEdit {
    if (intent === this.acceptedIntent && this.acceptedEdit !== undefined) return this.acceptedEdit;
    return this.editOf(this.parse(intent));
  }

  /**
   * Validate an intent once, at a boundary (`edit`'s checks), and return a frozen copy of it that this
   * schema remembers until the next `accept`: `edit` of the copy is then a lookup, so the engines a replica
   * hands it to, right after, do not validate it again. Frozen (its values are all primitives), so it
   * cannot have changed since.
   */
  accept(intent: unknown): IntentOf<F> {
    if (intent === this.acceptedIntent) return intent as IntentOf<F>;
    const copy = Object.freeze(this.parse(intent));
    this.acceptedEdit = Object.freeze(this.editOf(copy));
    this.acceptedIntent = copy;
    return copy as unknown as IntentOf<F>;
  }

  /**
   * The intent inserting `text` at `pos` in a text field, for trusted code (an editor's change, a replayed
   * trace): accepted as `accept` would accept `{ op: 'FIELD.insert', pos, text }`, and remembered the same
   * way, but without zod's parse and copy (per keystroke, that was as much as a fifth of the runtime's own
   * work). Its types say what the parse would; the rules they cannot say (TEXT_RULES, which the intent
   * schema refines with too) are checked here, and anything that breaks one goes through `accept`, whose
   * IntentError names it. Where the input is untrusted (IPC, the wire, a worker's messages), `accept` it.
   */
  insertText(field: FieldsOfKind<F, 'text'>, pos: number, text: string): IntentOf<F> {
    const ops = this.textOps.get(field);
    if (
      ops === undefined ||
      !Number.isSafeInteger(pos) ||
      !TEXT_RULES.position(pos) ||
      typeof text !== 'string' ||
      !TEXT_RULES.inserted(text)
    )
      return this.accept({ op: `${field}.insert`, pos, text });
    return this.accepted({ op: ops.insert, pos, text }, { kind: 'text', field, action: 'insert', pos, text });
  }

  /** The intent deleting `len` code units at `pos` in a text field, for trusted code (see `insertText`). */
  deleteText(field: FieldsOfKind<F, 'text'>, pos: number, len: number): IntentOf<F> {
    const ops = this.textOps.get(field);
    if (
      ops === undefined ||
      !Number.isSafeInteger(pos) ||
      !TEXT_RULES.position(pos) ||
      !Number.isSafeInteger(len) ||
      !TEXT_RULES.length(len)
    )
      return this.accept({ op: `${field}.delete`, pos, len });
    return this.accepted({ op: ops.delete, pos, len }, { kind: 'text', field, action: 'delete', pos, len });
  }

  /** Remember an intent and its edit as accepted (both frozen: they cannot change until used). */
  private accepted(intent: object, edit: FieldEdit): IntentOf<F> {
    this.acceptedEdit = Object.freeze(edit);
    this.acceptedIntent = Object.freeze(intent);
    return intent as unknown as IntentOf<F>;
  }

  /** The intent as zod parsed it (always a new object), or an IntentError naming what is wrong. */
  private parse(intent: unknown): Readonly<Record<string, unknown>> & { op: string } {
    const op = typeof intent === 'object' && intent !== null ? (intent as { op?: unknown }).op : undefined;
    const parsed = this.intent.safeParse(intent);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const why =
        issue === undefined
          ? 'invalid'
          : issue.code === 'invalid_union' && issue.path.length === 1 && issue.path[0] === 'op'
            ? 'unknown op'
            : issue.path.length > 0
              ? `${issue.path.join('.')}: ${issue.message}`
              : issue.message;
      throw new IntentError(`invalid ${typeof op === 'string' ? op : 'intent'} intent: ${why}`);
    }
    return parsed.data as Readonly<Record<string, unknown>> & { op: string };
  }

  /** The intent that carries out `edit` (the inverse of `edit`). */
  intentOf(edit: FieldEdit): IntentOf<F> {
    const { kind, field, action, ...args } = edit;
    const op = kind === 'counter' || kind === 'pn-counter' ? 'counter.increment' : `${field}.${action}`;
    const intent =
      kind === 'counter' || kind === 'pn-counter' ? { op, name: field, ...args } : { op, ...args };
    return intent as unknown as IntentOf<F>;
  }

  /** The op of an action on a field ('cart.add', 'counter.increment'), or undefined if it has no such action. */
  opOf(field: string, action: EditAction): string | undefined {
    const declared = this.byName.get(field);
    if (declared === undefined || !KIND_ACTIONS[declared.kind].includes(action)) return undefined;
    return declared.kind === 'counter' || declared.kind === 'pn-counter'
      ? 'counter.increment'
      : `${field}.${action}`;
  }

  /**
   * Assemble a view from each field's value: texts, carts, the counters (together under `counters`), then
   * registers, each in declaration order (the order the app's view always had its keys in).
   */
  view(valueFor: (field: NamedField) => unknown): ViewOf<F> {
    const view: Record<string, unknown> = {};
    for (const field of this.fieldsOf('text')) view[field.name] = valueFor(field);
    for (const field of this.fieldsOf('cart')) view[field.name] = valueFor(field);
    const counters: Record<string, unknown> = {};
    for (const field of this.counters()) counters[field.name] = valueFor(field);
    view[COUNTERS] = counters;
    for (const field of this.fieldsOf('register')) view[field.name] = valueFor(field);
    return view as ViewOf<F>;
  }

  /** A field's value in a view. */
  valueIn(view: object, field: NamedField): unknown {
    const record = view as unknown as Record<string, Record<string, unknown>>;
    return field.kind === 'counter' || field.kind === 'pn-counter'
      ? record[COUNTERS]?.[field.name]
      : record[field.name];
  }

  /** The view of a workspace nothing was written to. */
  empty(): ViewOf<F> {
    return this.emptyView;
  }

  /** Nothing written that shows: no text, no cart line, every counter at zero, no register value. */
  isEmpty(view: object): boolean {
    return this.fields.every((field) => {
      const value = this.valueIn(view, field);
      switch (field.kind) {
        case 'text':
          return value === '';
        case 'cart':
          return Object.keys(value as object).length === 0;
        case 'register':
          return (value as readonly unknown[]).length === 0;
        default:
          return value === 0;
      }
    });
  }

  /**
   * Every value of a view by path: a text or register by its field's name, a cart line as
   * `FIELD/PRODUCT`, a counter as `counters/NAME` (the paths reports and the last-writer-wins engine use).
   */
  paths(view: object): [path: string, value: unknown][] {
    const out: [string, unknown][] = [];
    for (const field of this.fields) {
      const value = this.valueIn(view, field);
      if (field.kind === 'cart') {
        const lines = Object.entries(value as Record<string, number>).sort(([a], [b]) =>
          a < b ? -1 : a > b ? 1 : 0,
        );
        for (const [product, qty] of lines) out.push([`${field.name}/${product}`, qty]);
      } else if (field.kind === 'counter' || field.kind === 'pn-counter') {
        out.push([`${COUNTERS}/${field.name}`, value]);
      } else {
        out.push([field.name, value]);
      }
    }
    return out;
  }

  /** The field a path names (`text`, `cart/apple`, `counters/likes`), and the key within it if any. */
  fieldOfPath(path: string): { readonly field: NamedField; readonly key?: string } | undefined {
    const slash = path.indexOf('/');
    if (slash < 0) {
      const field = this.byName.get(path);
      return field !== undefined && (field.kind === 'text' || field.kind === 'register')
        ? { field }
        : undefined;
    }
    const head = path.slice(0, slash);
    const key = path.slice(slash + 1);
    if (head === COUNTERS) {
      const field = this.byName.get(key);
      return field !== undefined && (field.kind === 'counter' || field.kind === 'pn-counter')
        ? { field }
        : undefined;
    }
    const field = this.byName.get(head);
    return field?.kind === 'cart' && key.length > 0 && key.length <= field.maxProductLength
      ? { field, key }
      : undefined;
  }

  private editOf(intent: Readonly<Record<string, unknown>> & { op: string }): FieldEdit {
    if (intent.op === 'counter.increment') {
      const field = this.byName.get(intent.name as string) as NamedField;
      return {
        kind: field.kind as CountingKind,
        field: field.name,
        action: 'increment',
        by: intent.by as number,
      };
    }
    const { field, action } = this.ops.get(intent.op) as { field: NamedField; action: EditAction };
    const { op: _op, ...args } = intent;
    return { kind: field.kind, field: field.name, action, ...args } as FieldEdit;
  }

  private buildIntentOptions(): z.ZodObject[] {
    const options: z.ZodObject[] = [];
    for (const field of this.fields) {
      const at = (action: EditAction) => z.literal(`${field.name}.${action}`);
      if (field.kind === 'cart') {
        const product = z
          .string({ error: 'product must be a string' })
          .min(1, `product must be a non-empty string of at most ${field.maxProductLength} characters`)
          .max(
            field.maxProductLength,
            `product must be a non-empty string of at most ${field.maxProductLength} characters`,
          );
        const qty = safeInt('qty');
        options.push(
          z.strictObject({ op: at('add'), product, qty: qty.refine((n) => n > 0, 'qty must be positive') }),
          z.strictObject({
            op: at('decrement'),
            product,
            qty: qty.refine((n) => n > 0, 'qty must be positive'),
          }),
          z.strictObject({ op: at('remove'), product }),
          z.strictObject({
            op: at('setQuantity'),
            product,
            qty: qty.refine((n) => n >= 0, 'qty must not be negative'),
          }),
        );
      } else if (field.kind === 'text') {
        options.push(
          z.strictObject({
            op: at('insert'),
            pos: safeInt('pos').refine(TEXT_RULES.position, 'pos must not be negative'),
            text: z
              .string({ error: 'text must be a non-empty string' })
              .refine(TEXT_RULES.inserted, 'text must be a non-empty string'),
          }),
          z.strictObject({
            op: at('delete'),
            pos: safeInt('pos').refine(TEXT_RULES.position, 'pos must be ≥ 0 and len > 0'),
            len: safeInt('len').refine(TEXT_RULES.length, 'pos must be ≥ 0 and len > 0'),
          }),
        );
      } else if (field.kind === 'register') {
        const limit = `value must be a string of at most ${field.maxLength} characters`;
        options.push(
          z.strictObject({ op: at('set'), value: z.string({ error: limit }).max(field.maxLength, limit) }),
        );
      }
    }
    const counters = this.counters();
    if (counters.length > 0) {
      const growOnly = new Set(counters.filter((f) => f.kind === 'counter').map((f) => f.name));
      const names = counters.map((f) => f.name) as [string, ...string[]];
      options.push(
        z
          .strictObject({
            op: z.literal('counter.increment'),
            name: z.enum(names, { error: (issue) => `unknown counter ${String(issue.input)}` }),
            by: safeInt('by').refine((n) => n !== 0, 'by must not be zero'),
          })
          .check((ctx) => {
            const { name, by } = ctx.value;
            if (growOnly.has(name) && by < 0)
              ctx.issues.push({ code: 'custom', message: `${name} only grows`, input: by, path: ['by'] });
          }),
      );
    }
    if (options.length === 0) throw new SchemaError('a workspace needs at least one field');
    return options;
  }
}

/** Declare a workspace: field name → kind, tag and limits. */
export function defineSchema<const F extends FieldDeclarations>(fields: F): WorkspaceSchema<F> {
  return new WorkspaceSchema(fields);
}

/** Throws IntentError unless a text edit fits `text`: in range, and not splitting a UTF-16 surrogate pair. */
export function checkTextEdit(text: string, edit: TextEdit): void {
  checkTextEditIn(text.length, (i) => text.charCodeAt(i), edit);
}

/**
 * `checkTextEdit` against a text known by its length and its code units (a mirror, a document): reads
 * at most four code units.
 */
export function checkTextEditIn(length: number, codeUnitAt: (index: number) => number, edit: TextEdit): void {
  const end = edit.action === 'insert' ? edit.pos : edit.pos + edit.len;
  if (edit.pos > length || end > length) {
    const where = edit.action === 'insert' ? `pos ${edit.pos}` : `range ${edit.pos}..${end}`;
    throw new IntentError(
      `invalid ${edit.field}.${edit.action} intent: ${where} is beyond the text (length ${length})`,
    );
  }
  // An insertion has one boundary (end = pos): read it once (the runtime reads through textSlice, per code unit).
  if (
    splitsSurrogatePair(length, codeUnitAt, edit.pos) ||
    (end !== edit.pos && splitsSurrogatePair(length, codeUnitAt, end))
  ) {
    throw new IntentError(`invalid ${edit.field}.${edit.action} intent: position splits a surrogate pair`);
  }
}

/** The text after a text edit that fits it (checked). */
export function applyTextEdit(text: string, edit: TextEdit): string {
  checkTextEdit(text, edit);
  return edit.action === 'insert'
    ? text.slice(0, edit.pos) + edit.text + text.slice(edit.pos)
    : text.slice(0, edit.pos) + text.slice(edit.pos + edit.len);
}

function splitsSurrogatePair(length: number, codeUnitAt: (index: number) => number, index: number): boolean {
  if (index <= 0 || index >= length) return false;
  // The code unit after is read only after a high surrogate: one read per boundary in almost any text.
  const before = codeUnitAt(index - 1);
  if (before < 0xd800 || before > 0xdbff) return false;
  const after = codeUnitAt(index);
  return after >= 0xdc00 && after <= 0xdfff;
}
