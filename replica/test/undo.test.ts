import { fcParams } from '@converge/crdt-core/testing';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { EngineName } from '../src/engine-name.ts';
import { ENGINES } from '../src/engines/index.ts';
import type { HostedEngines } from '../src/replica/hosted-engines.ts';
import { TEXT_LOG_LIMIT } from '../src/replica/undo-history.ts';
import type { Replica } from '../src/replica.ts';
import type { Intent, WorkspaceView } from '../src/workspace.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

const views = (replica: Replica): Record<string, WorkspaceView> =>
  Object.fromEntries(ENGINES.names.map((name) => [name, replica.view(name)]));
const texts = (replica: Replica): Record<string, string> =>
  Object.fromEntries(ENGINES.names.map((name) => [name, replica.view(name).text]));
const every = (value: unknown): Record<EngineName, unknown> =>
  Object.fromEntries(ENGINES.names.map((name) => [name, value])) as Record<EngineName, unknown>;

async function typeText(replica: Replica, pos: number, text: string): Promise<void> {
  for (let i = 0; i < text.length; i++)
    await replica.apply({ op: 'text.insert', pos: pos + i, text: text[i] as string });
}

describe('undo and redo', () => {
  it('undo a step of typing in every engine, redo it, and group steps by time', async () => {
    const { clock, open } = simRoom({ seed: 1, antiEntropyMs: 0 });
    const a = await open('a');
    await typeText(a, 0, 'hello');
    clock.advance(1000);
    await typeText(a, 5, ' world');
    expect(texts(a)).toEqual(every('hello world'));
    expect(a.canUndo).toBe(true);
    expect(await a.undo()).toBe(true);
    expect(texts(a)).toEqual(every('hello'));
    expect(a.canRedo).toBe(true);
    expect(await a.undo()).toBe(true);
    expect(texts(a)).toEqual(every(''));
    expect(await a.undo()).toBe(false);
    expect(await a.redo()).toBe(true);
    expect(texts(a)).toEqual(every('hello'));
    expect(await a.redo()).toBe(true);
    expect(texts(a)).toEqual(every('hello world'));
    expect(await a.redo()).toBe(false);
    // An edit the engines refuse leaves no empty step behind: the next undo undoes the typing.
    await expect(a.apply({ op: 'text.delete', pos: 50, len: 1 })).rejects.toThrow(/beyond the text/);
    await a.undo();
    expect(texts(a)).toEqual(every('hello'));
    await a.redo();
    // A new edit after an undo drops what could be redone.
    await a.undo();
    await a.apply({ op: 'text.insert', pos: 5, text: '!' });
    expect(a.canRedo).toBe(false);
  });

  it('keeps the concurrent edit of another window, in every engine but lossy lww', async () => {
    const { clock, net, open } = simRoom({ seed: 2, antiEntropyMs: 0 });
    const a = await open('a');
    const b = await open('b');
    await a.apply({ op: 'text.insert', pos: 0, text: 'abc' });
    clock.advance(1000);
    net.partition([['a'], ['b']]);
    await typeText(a, 1, '123');
    clock.advance(1000);
    await b.apply({ op: 'text.insert', pos: 3, text: 'XY' });
    net.heal();
    clock.advance(100);
    const merged = texts(a);
    expect(merged.converge).toBe('a123bcXY');
    await a.undo();
    clock.advance(100);
    for (const replica of [a, b]) {
      for (const name of ['converge', 'yjs', 'automerge'] as const)
        expect(replica.view(name).text).toBe('abcXY');
      // LWW kept one whole text when a and b wrote concurrently; undo reverts a's edit within it.
      expect(replica.view('lww').text).toBe(merged.lww?.replace('123', ''));
    }
    await a.redo();
    clock.advance(100);
    for (const name of ['converge', 'yjs', 'automerge'] as const) expect(b.view(name).text).toBe('a123bcXY');
  });

  it('undoes cart, counter and note edits; engines differ where their semantics do', async () => {
    const { clock, open } = simRoom({ seed: 3, antiEntropyMs: 0 });
    const a = await open('a');
    await a.apply({ op: 'cart.add', product: 'pen', qty: 2 });
    clock.advance(1000);
    const before = views(a);
    await a.apply({ op: 'cart.setQuantity', product: 'pen', qty: 5 });
    clock.advance(1000);
    await a.apply({ op: 'counter.increment', name: 'stock', by: 3 });
    clock.advance(1000);
    await a.apply({ op: 'note.set', value: 'buy ink' });
    clock.advance(1000);
    await a.apply({ op: 'counter.increment', name: 'likes', by: 1 });
    await a.undo(); // likes: a grow-only counter
    expect(a.view('yjs').counters.likes).toBe(0); // Y.UndoManager restores the map value
    for (const name of ['converge', 'automerge', 'lww'] as const) expect(a.view(name).counters.likes).toBe(1);
    await a.undo();
    await a.undo();
    await a.undo();
    for (const name of ENGINES.names) {
      const { cart, counters, note } = a.view(name);
      expect({ cart, stock: counters.stock, note }).toEqual({
        cart: before[name]?.cart,
        stock: before[name]?.counters.stock,
        // Y.UndoManager removes the key; the others set the previous value, here none: ''.
        note: name === 'yjs' ? [] : [''],
      });
    }
  });

  it('typing, undoing and redoing read no whole text and no view: O(edit)', async () => {
    const { clock, open } = simRoom({ seed: 6, antiEntropyMs: 0 });
    const a = await open('a');
    await a.apply({ op: 'text.insert', pos: 0, text: 'x'.repeat(50_000) });
    clock.advance(1000);
    const hosted = [...(a as unknown as { engines: HostedEngines }).engines.entries()].map(([, e]) => e);
    const views = hosted.map((engine) => vi.spyOn(engine, 'view'));
    const slices = hosted.map((engine) => vi.spyOn(engine, 'textSlice'));
    try {
      // (No clock advance in here: digests announced on a timer are not what is measured.)
      await typeText(a, 25_000, 'hello');
      await a.apply({ op: 'text.delete', pos: 10, len: 3 });
      expect(await a.undo()).toBe(true); // one step: typed and deleted within 500 ms
      for (const name of ENGINES.names)
        expect(a.textSlice(name, 'text', 24_990, 25_010)).toBe('x'.repeat(20));
      expect(await a.redo()).toBe(true);
      for (const view of views) expect(view).not.toHaveBeenCalled();
      for (const [, from, to] of slices.flatMap((slice) => slice.mock.calls)) {
        expect(from).toBeTypeOf('number');
        expect((to as number) - (from as number)).toBeLessThanOrEqual(64);
      }
      expect(slices.some((slice) => slice.mock.calls.length > 0)).toBe(true);
    } finally {
      for (const spy of [...views, ...slices]) spy.mockRestore();
    }
    expect(texts(a)).toEqual(every(`${'x'.repeat(24_997)}hello${'x'.repeat(25_000)}`));
  });

  it('an old step still undoes exactly after more text deltas than a log holds', async () => {
    const { clock, open } = simRoom({
      seed: 7,
      antiEntropyMs: 0,
      engines: ENGINES.only(['converge', 'lww']),
    });
    const a = await open('a');
    const b = await open('b');
    await typeText(a, 0, 'mine ');
    clock.advance(1000);
    // More deltas than TEXT_LOG_LIMIT after a's step: the log is folded into its reversal meanwhile.
    for (let i = 0; i < TEXT_LOG_LIMIT + 100; i++) {
      await b.apply({ op: 'text.insert', pos: b.textLength('converge'), text: 'B' });
      if (i % 200 === 0) clock.advance(10);
    }
    clock.advance(100);
    expect(a.textLength('converge')).toBe(5 + TEXT_LOG_LIMIT + 100);
    expect(await a.undo()).toBe(true);
    clock.advance(100);
    expect(b.view('converge').text).toBe('B'.repeat(TEXT_LOG_LIMIT + 100));
    expect(await a.redo()).toBe(true);
    expect(a.view('converge').text).toBe(`mine ${'B'.repeat(TEXT_LOG_LIMIT + 100)}`);
    await a.close();
    await b.close();
  });

  const arbLocalEdit = fc.oneof(
    fc.record({ kind: fc.constant('type' as const), at: fc.nat(), text: fc.stringMatching(/^[a-z]{1,4}$/) }),
    fc.record({ kind: fc.constant('erase' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 3 }) }),
    fc.record({
      kind: fc.constant('cart' as const),
      op: fc.constantFrom('add', 'decrement', 'remove', 'setQuantity'),
      product: fc.constantFrom('pen', 'ink'),
      qty: fc.integer({ min: 1, max: 3 }),
    }),
    fc.record({
      kind: fc.constant('stock' as const),
      by: fc.integer({ min: -3, max: 3 }).filter((n) => n !== 0),
    }),
    fc.record({ kind: fc.constant('note' as const), value: fc.stringMatching(/^[a-z]{0,3}$/) }),
  );
  type LocalEdit = typeof arbLocalEdit extends fc.Arbitrary<infer T> ? T : never;

  function intentOf(edit: LocalEdit, text: string): Intent | undefined {
    switch (edit.kind) {
      case 'type':
        return { op: 'text.insert', pos: edit.at % (text.length + 1), text: edit.text };
      case 'erase': {
        if (text.length === 0) return undefined;
        const pos = edit.at % text.length;
        return { op: 'text.delete', pos, len: Math.min(edit.len, text.length - pos) };
      }
      case 'cart':
        return edit.op === 'remove'
          ? { op: 'cart.remove', product: edit.product }
          : ({ op: `cart.${edit.op}`, product: edit.product, qty: edit.qty } as Intent);
      case 'stock':
        return { op: 'counter.increment', name: 'stock', by: edit.by };
      case 'note':
        return { op: 'note.set', value: edit.value };
    }
  }

  async function play(
    replica: Replica,
    edits: readonly (readonly [LocalEdit, number])[],
    advance: (ms: number) => void,
  ) {
    for (const [edit, pause] of edits) {
      const intent = intentOf(edit, replica.view(replica.primary).text);
      if (intent !== undefined) await replica.apply(intent);
      advance(pause);
    }
  }

  it('undoes and redoes a step that removed a cart line below zero, in every engine, none failing', async () => {
    // Found by the property below (seed 802151376): converge's own undo took back the remove of a line at
    // -1 with a negative setQuantity, which the schema refuses; the throw cut its step short and lost its redo.
    const { clock, open } = simRoom({ seed: 4, antiEntropyMs: 0 });
    const a = await open('a');
    const intents: Intent[] = [
      { op: 'cart.add', product: 'pen', qty: 1 },
      { op: 'cart.decrement', product: 'pen', qty: 1 },
      { op: 'cart.decrement', product: 'pen', qty: 1 },
      { op: 'cart.remove', product: 'pen' },
      { op: 'cart.add', product: 'pen', qty: 1 },
    ];
    for (const intent of intents) {
      await a.apply(intent);
      clock.advance(10);
    }
    const before = views(a);
    expect(await a.undo()).toBe(true);
    expect(await a.redo()).toBe(true);
    expect(views(a)).toEqual(before);
    expect(a.problems()).toEqual([]);
    await a.close();
  });

  it('property: undo then redo restores every engine’s view when nothing concurrent happened', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(arbLocalEdit, fc.constantFrom(10, 100, 1000)), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 12 }),
        async (edits, undos) => {
          const { clock, open } = simRoom({ seed: 4, antiEntropyMs: 0 });
          const a = await open('a');
          await play(a, edits, (ms) => clock.advance(ms));
          const before = views(a);
          let undone = 0;
          while (undone < undos && (await a.undo())) undone++;
          for (let i = 0; i < undone; i++) expect(await a.redo()).toBe(true);
          expect(views(a)).toEqual(before);
          await a.close();
        },
      ),
      fcParams(25, 400),
    );
  });

  it('property: an undo never removes what another window wrote', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(arbLocalEdit, fc.constantFrom(10, 1000)), { minLength: 1, maxLength: 10 }),
        fc.array(fc.tuple(fc.nat(), fc.stringMatching(/^[A-Z]{1,3}$/)), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 10 }),
        async (edits, remote, undos) => {
          const { clock, net, open } = simRoom({ seed: 5, antiEntropyMs: 0 });
          const a = await open('a');
          const b = await open('b');
          net.partition([['a'], ['b']]);
          // Interleave: a's edits, b's uppercase insertions, merged after each round.
          for (const [i, [at, text]] of remote.entries()) {
            await play(
              a,
              edits.slice((i * edits.length) / remote.length, ((i + 1) * edits.length) / remote.length),
              (ms) => clock.advance(ms),
            );
            const bText = b.view(b.primary).text;
            await b.apply({ op: 'text.insert', pos: at % (bText.length + 1), text });
            net.heal();
            clock.advance(50);
            net.partition([['a'], ['b']]);
          }
          const upper = (text: string) =>
            [...text]
              .filter((c) => c >= 'A' && c <= 'Z')
              .sort()
              .join('');
          for (let i = 0; i < undos; i++) {
            const before = texts(a);
            if (!(await a.undo())) break;
            for (const name of ENGINES.names) {
              const after = upper(a.view(name).text);
              for (const c of upper(before[name] ?? ''))
                expect(after.split(c).length).toBeGreaterThanOrEqual(
                  upper(before[name] ?? '').split(c).length,
                );
            }
          }
          await a.close();
          await b.close();
        },
      ),
      fcParams(20, 300),
    );
  });
});
