/**
 * The room as a stock Automerge app sees it: an automerge-repo document laid out like the Automerge
 * engine's own, and starting from the engine's genesis (automergeGenesis), so its root objects are the
 * engine's and an app that loads the genesis itself shares them too.
 *
 * Root keys, by the kind of each field: a text a string under its name (`text`), a cart
 * { [product]: Counter } under its name (`cart`), the counters { NAME: Counter } under `counters`
 * (`likes`, `stock`), a register a string under its name (`note`, written as an ImmutableString). A cart
 * line or counter may also hold a plain number. Any other root key is reported as a problem.
 */
import * as A from '@automerge/automerge';
import type { DocHandle } from '@automerge/automerge-repo';
import { COUNTERS, type TextDelta, type WorkspaceSchema } from '@converge/replica';
import type { OutsideDocument } from './client-bridge.ts';
import { differences, type OutsideProblem, type OutsideState } from './outside-state.ts';

type Root = Record<string, unknown>;

export class AutomergeOutsideDocument implements OutsideDocument {
  /** True while the gateway writes (its change event is not an outside edit). */
  writing = false;

  constructor(
    readonly handle: DocHandle<Root>,
    private readonly schema: WorkspaceSchema,
  ) {}

  get documentId(): string {
    return this.handle.documentId;
  }

  read(options: { readonly texts?: boolean } = {}): {
    state: Map<string, string | number>;
    problems: OutsideProblem[];
  } {
    return readAutomergeRoot(this.handle.doc(), this.schema, options.texts === true);
  }

  writeText(field: string, deltas: readonly TextDelta[]): void {
    this.writing = true;
    try {
      this.handle.change((doc) => {
        for (const { pos, del, text } of deltas) A.splice(doc, [field], pos, del, text);
      });
    } finally {
      this.writing = false;
    }
  }

  write(current: OutsideState, target: OutsideState): void {
    this.writing = true;
    try {
      this.handle.change((doc) => {
        for (const { field, key, next } of differences(this.schema, current, target)) {
          if (field.kind === 'text') A.updateText(doc, [field.name], String(next ?? ''));
          else if (field.kind === 'register') doc[field.name] = new A.ImmutableString(String(next ?? ''));
          else {
            const [parent, entry] =
              field.kind === 'cart' ? [field.name, key as string] : [COUNTERS, field.name];
            if (!isRecord(doc[parent])) doc[parent] = {};
            count(doc[parent] as Record<string, unknown>, entry, next as number | undefined);
          }
        }
      });
    } finally {
      this.writing = false;
    }
  }
}

/** What a document laid out like the engine's shows of the workspace, and what in it the workspace cannot carry. */
export function readAutomergeRoot(
  doc: Root,
  schema: WorkspaceSchema,
  texts: boolean,
): { state: Map<string, string | number>; problems: OutsideProblem[] } {
  const state = new Map<string, string | number>();
  const problems: OutsideProblem[] = [];
  const known = new Set<string>([COUNTERS]);
  for (const field of schema.fields) {
    if (field.kind === 'counter' || field.kind === 'pn-counter') continue;
    known.add(field.name);
    const value = doc[field.name];
    if (value === undefined) continue;
    if (field.kind === 'cart') {
      if (!isRecord(value))
        problems.push({ path: field.name, problem: 'a cart is a map of product → Counter' });
      else
        for (const [product, qty] of Object.entries(value)) state.set(`${field.name}/${product}`, plain(qty));
    } else if (field.kind !== 'text' || texts) {
      state.set(field.name, plain(value));
    }
  }
  const counters = doc[COUNTERS];
  if (isRecord(counters))
    for (const [name, value] of Object.entries(counters)) state.set(`${COUNTERS}/${name}`, plain(value));
  for (const key of Object.keys(doc))
    if (!known.has(key)) problems.push({ path: key, problem: 'the workspace has no root key of this name' });
  return { state, problems };
}

/** Bring a Counter (or number) entry to `next`: an increment when it is a Counter, else a fresh Counter. */
function count(map: Record<string, unknown>, entry: string, next: number | undefined): void {
  const value = map[entry];
  if (next === undefined) delete map[entry];
  else if (value instanceof A.Counter) value.increment(next - value.value);
  else map[entry] = new A.Counter(next);
}

function plain(value: unknown): string | number {
  if (value instanceof A.Counter) return value.value;
  if (value instanceof A.ImmutableString) return value.val;
  if (typeof value === 'number' || typeof value === 'string') return value;
  return JSON.stringify(value ?? null);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
