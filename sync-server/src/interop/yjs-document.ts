/**
 * The room as a stock Yjs app sees it: a Y.Doc laid out by the workspace schema.
 *
 * - a text field: `doc.getText(NAME)` (the default schema: `getText('text')`);
 * - a cart: `doc.getMap(NAME)`, product → quantity as a number (`getMap('cart')`);
 * - the counters: `doc.getMap('counters')`, name → total (`likes`, `stock`);
 * - the registers: `doc.getMap('registers')`, name → string (`note`).
 *
 * Anything else in the document (another shared type, a value of the wrong type) is reported as a
 * problem; the bridge puts a mistyped value back to what the engines show.
 */
import { COUNTERS, type TextDelta, type WorkspaceSchema } from '@converge/replica';
import * as Y from 'yjs';
import type { OutsideDocument } from './client-bridge.ts';
import { differences, type OutsideProblem, type OutsideState, textSteps } from './outside-state.ts';

/** The shared map holding every register, by field name. */
export const REGISTERS = 'registers';

/** The transaction origin of the gateway's own writes (never translated back into intents). */
export const GATEWAY_ORIGIN = Symbol('converge-gateway');

export class YjsOutsideDocument implements OutsideDocument {
  constructor(
    readonly doc: Y.Doc,
    private readonly schema: WorkspaceSchema,
  ) {}

  read(options: { readonly texts?: boolean } = {}): {
    state: Map<string, string | number>;
    problems: OutsideProblem[];
  } {
    const state = new Map<string, string | number>();
    const problems: OutsideProblem[] = [];
    const known = new Set<string>([COUNTERS, REGISTERS]);
    for (const field of this.schema.fields) {
      if (field.kind === 'text') {
        known.add(field.name);
        const text = this.shared(field.name, Y.Text, problems);
        if (text !== undefined && options.texts === true) state.set(field.name, text.toString());
      } else if (field.kind === 'cart') {
        known.add(field.name);
        const map = this.shared<Y.Map<unknown>>(field.name, Y.Map, problems);
        for (const [product, qty] of map ?? []) state.set(`${field.name}/${product}`, plain(qty));
      }
    }
    for (const [name, value] of this.shared<Y.Map<unknown>>(COUNTERS, Y.Map, problems) ?? [])
      state.set(`${COUNTERS}/${name}`, plain(value));
    for (const [name, value] of this.shared<Y.Map<unknown>>(REGISTERS, Y.Map, problems) ?? [])
      state.set(name, plain(value));
    for (const [name, type] of this.doc.share) {
      if (!known.has(name) && hasContent(type))
        problems.push({ path: name, problem: 'the workspace has no shared type of this name' });
    }
    return { state, problems };
  }

  write(current: OutsideState, target: OutsideState): void {
    this.doc.transact(() => {
      for (const { field, key, next } of differences(this.schema, current, target)) {
        if (field.kind === 'text') {
          const text = this.doc.getText(field.name);
          for (const step of textSteps(text.toString(), String(next ?? ''))) {
            if (step.del > 0) text.delete(step.pos, step.del);
            else text.insert(step.pos, step.insert);
          }
        } else {
          const [map, entry] =
            field.kind === 'cart'
              ? [this.doc.getMap(field.name), key as string]
              : field.kind === 'register'
                ? [this.doc.getMap(REGISTERS), field.name]
                : [this.doc.getMap(COUNTERS), field.name];
          if (next === undefined) map.delete(entry);
          else map.set(entry, next);
        }
      }
    }, GATEWAY_ORIGIN);
  }

  writeText(field: string, deltas: readonly TextDelta[]): void {
    const text = this.doc.getText(field);
    this.doc.transact(() => {
      for (const { pos, del, text: inserted } of deltas) {
        if (del > 0) text.delete(pos, del);
        if (inserted.length > 0) text.insert(pos, inserted);
      }
    }, GATEWAY_ORIGIN);
  }

  /** A top-level type the layout names, if it exists and is of the expected type. */
  // biome-ignore lint/suspicious/noExplicitAny: Yjs types differ in their event type parameter
  private shared<T extends Y.AbstractType<any>>(
    name: string,
    type: new () => T,
    problems: OutsideProblem[],
  ): T | undefined {
    if (!this.doc.share.has(name)) return undefined;
    try {
      return this.doc.get(name, type) as T;
    } catch {
      problems.push({ path: name, problem: `expected a ${type.name}` });
      return undefined;
    }
  }
}

/** A map value as the state holds it: a number or a string as is, anything else as its JSON. */
function plain(value: unknown): string | number {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (value instanceof Y.AbstractType) return JSON.stringify(value.toJSON());
  return JSON.stringify(value ?? null);
}

// biome-ignore lint/suspicious/noExplicitAny: any Yjs type
function hasContent(type: Y.AbstractType<any>): boolean {
  return type._start !== null || type._map.size > 0;
}
