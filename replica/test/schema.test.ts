/**
 * The workspace schema declared once: intents, their validation and the view derive from it, and a field
 * added to it (one declaration per field, below: one of each kind) is in every engine, syncs, converges
 * under the harness and survives a store round trip, with no change anywhere else.
 */
import { budget, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../src/engines/index.ts';
import { defineSchema, IntentError, type IntentOf, type ViewOf } from '../src/schema.ts';
import { WORKSPACE } from '../src/workspace.ts';
import { runConvergence } from '../testing/convergence-harness.ts';
import { closeEnginesAfterEach, Mesh, makeEngine, SimClock, seeded } from '../testing/engine-mesh.ts';

closeEnginesAfterEach();

// The app's workspace and one more field of each kind: each addition is one line.
const GROWN = defineSchema({
  ...WORKSPACE.declarations,
  views: { kind: 'pn-counter', tag: 6, label: 'Views' },
  title: { kind: 'register', tag: 7, label: 'Title', maxLength: 80 },
  wishlist: { kind: 'cart', tag: 8, label: 'Wish list', maxProductLength: 40 },
  summary: { kind: 'text', tag: 9, label: 'Summary' },
  shares: { kind: 'counter', tag: 10, label: 'Shares' },
});
type GrownIntent = IntentOf<typeof GROWN.declarations>;
type GrownView = ViewOf<typeof GROWN.declarations>;

const EDITS: readonly GrownIntent[] = [
  { op: 'cart.add', product: 'apple', qty: 2 },
  { op: 'wishlist.add', product: 'kite', qty: 1 },
  { op: 'wishlist.add', product: 'kite', qty: 2 },
  { op: 'text.insert', pos: 0, text: 'body' },
  { op: 'summary.insert', pos: 0, text: 'tl;dr' },
  { op: 'summary.delete', pos: 2, len: 1 },
  { op: 'counter.increment', name: 'views', by: -4 },
  { op: 'counter.increment', name: 'shares', by: 3 },
  { op: 'title.set', value: 'Groceries' },
  { op: 'note.set', value: 'n' },
];

const EXPECTED: GrownView = {
  cart: { apple: 2 },
  wishlist: { kite: 3 },
  text: 'body',
  summary: 'tldr',
  counters: { likes: 0, stock: 0, views: -4, shares: 3 },
  title: ['Groceries'],
  note: ['n'],
};

describe('the workspace schema', () => {
  it('derives the intents and their limits from the declaration', () => {
    expect(WORKSPACE.edit({ op: 'note.set', value: 'x' })).toEqual({
      kind: 'register',
      field: 'note',
      action: 'set',
      value: 'x',
    });
    expect(() => WORKSPACE.edit({ op: 'title.set', value: 'x' })).toThrow(/unknown op/);
    expect(GROWN.edit({ op: 'title.set', value: 'x' })).toMatchObject({ field: 'title', action: 'set' });
    expect(() => GROWN.edit({ op: 'title.set', value: 'x'.repeat(81) })).toThrow(/at most 80 characters/);
    expect(() => GROWN.edit({ op: 'wishlist.add', product: 'k'.repeat(41), qty: 1 })).toThrow(IntentError);
    expect(() => GROWN.edit({ op: 'counter.increment', name: 'shares', by: -1 })).toThrow(
      /shares only grows/,
    );
    expect(GROWN.edit({ op: 'counter.increment', name: 'views', by: -1 })).toMatchObject({
      kind: 'pn-counter',
    });
    expect(() => GROWN.edit({ op: 'cart.add', product: 'apple', qty: 1, extra: true })).toThrow(IntentError);
    for (const intent of EDITS) expect(GROWN.intentOf(GROWN.edit(intent))).toEqual(intent);
    expect(GROWN.empty()).toEqual({
      cart: {},
      wishlist: {},
      text: '',
      summary: '',
      counters: { likes: 0, stock: 0, views: 0, shares: 0 },
      title: [],
      note: [],
    });
  });

  it('refuses a declaration whose tags repeat or whose names clash with the view', () => {
    expect(() =>
      defineSchema({ a: { kind: 'text', tag: 1, label: 'A' }, b: { kind: 'text', tag: 1, label: 'B' } }),
    ).toThrow(/both have tag 1/);
    expect(() => defineSchema({ counters: { kind: 'text', tag: 1, label: 'C' } })).toThrow(
      /invalid field name/,
    );
  });

  it.each(ENGINES.names)('lets %s hold, sync and store fields it was never told of', (name) => {
    const { rng } = seeded(testSeed());
    const clock = new SimClock();
    const engines = {
      a: makeEngine(name, 'a', clock, rng, GROWN),
      b: makeEngine(name, 'b', clock, rng, GROWN),
    };
    const mesh = new Mesh(rng, engines);
    mesh.connectAll();
    for (const intent of EDITS) {
      engines.a.apply(intent as never);
      mesh.run();
    }
    expect(engines.a.view()).toEqual(EXPECTED);
    expect(engines.b.view()).toEqual(EXPECTED);
    const reopened = makeEngine(name, 'a', clock, rng, GROWN);
    reopened.applyUpdate(engines.a.save());
    expect(reopened.view()).toEqual(EXPECTED);
  });

  it('makes text intents for trusted code without zod, as `accept` would, and refuses what it refuses', () => {
    const parse = GROWN.intent.safeParse.bind(GROWN.intent);
    let parses = 0;
    GROWN.intent.safeParse = ((input: unknown) => {
      parses++;
      return parse(input);
    }) as typeof GROWN.intent.safeParse;
    try {
      const insert = GROWN.insertText('summary', 2, 'hi');
      const remove = GROWN.deleteText('text', 0, 3);
      expect(parses).toBe(0);
      expect(remove).toEqual(GROWN.accept({ op: 'text.delete', pos: 0, len: 3 }));
      parses = 0;
      const again = GROWN.insertText('summary', 2, 'hi');
      expect(again).toEqual(insert);
      expect(again).toEqual(GROWN.accept({ op: 'summary.insert', pos: 2, text: 'hi' }));
      // Accepted as `accept` accepts: frozen, and its edit a lookup.
      const typed = GROWN.insertText('summary', 2, 'hi');
      expect(Object.isFrozen(typed)).toBe(true);
      expect(GROWN.accept(typed)).toBe(typed);
      expect(GROWN.edit(typed)).toEqual({
        kind: 'text',
        field: 'summary',
        action: 'insert',
        pos: 2,
        text: 'hi',
      });
      expect(Object.isFrozen(GROWN.edit(typed))).toBe(true);
      expect(parses).toBe(1); // the plain intent's `accept` above, none for the typed intents
    } finally {
      GROWN.intent.safeParse = parse;
    }
    // The same rules as the intent schema, with its messages (anything refused goes through `accept`).
    for (const [make, why] of [
      [() => GROWN.insertText('summary', -1, 'x'), /pos must not be negative/],
      [() => GROWN.insertText('summary', 1.5, 'x'), /pos must be a safe integer/],
      [() => GROWN.insertText('summary', Number.NaN, 'x'), /pos must be a safe integer/],
      [() => GROWN.insertText('summary', 0, ''), /text must be a non-empty string/],
      [() => GROWN.insertText('summary', 0, 7 as unknown as string), /text must be a non-empty string/],
      [() => GROWN.deleteText('text', 0, 0), /len > 0/],
      [() => GROWN.deleteText('text', -2, 1), /pos must be ≥ 0/],
      [() => GROWN.deleteText('text', 0, 2 ** 60), /len must be a safe integer/],
      [() => GROWN.insertText('title' as 'summary', 0, 'x'), /unknown op/],
    ] as const) {
      expect(make).toThrow(IntentError);
      expect(make).toThrow(why);
    }
  });

  it(
    'converges under the harness with the grown schema, in every engine',
    async () => {
      const base = testSeed();
      for (let run = 0; run < budget(3, 100); run++) {
        const report = await runConvergence({
          seed: (base + run) >>> 0,
          engines: ENGINES,
          schema: GROWN,
          steps: 60,
        });
        expect(report.edits).toBeGreaterThan(0);
      }
    },
    budget(120_000, 3_600_000),
  );
});
