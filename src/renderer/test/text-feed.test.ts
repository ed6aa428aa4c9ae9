import { fcParams } from '@converge/crdt-core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commonEnds, type TextReplacement, type TextUpdate, textReplacements } from '../logic/text-feed.ts';
import { closeModelsAfterEach, openModel, settle, world } from './support.ts';

closeModelsAfterEach();

/** Apply ascending, disjoint replacements (each against the text before all of them). */
function applyAll(text: string, changes: readonly TextReplacement[]): string {
  let out = '';
  let at = 0;
  for (const { from, to, insert } of changes) {
    out += text.slice(at, from) + insert;
    at = to;
  }
  return out + text.slice(at);
}

// Few letters and a surrogate pair, so texts share runs and pairs meet the edges of a change.
const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n', '😀'), maxLength: 40 });

describe('textReplacements', () => {
  it('turns the text before into the text after, with ascending disjoint replacements', () => {
    fc.assert(
      fc.property(text, text, (before, after) => {
        const changes = textReplacements(before, after);
        expect(applyAll(before, changes)).toBe(after);
        for (let i = 1; i < changes.length; i++)
          expect(changes[i]?.from).toBeGreaterThan((changes[i - 1] as TextReplacement).to - 1);
        expect(changes.length === 0).toBe(before === after);
      }),
      fcParams(),
    );
  });

  it('finds a keystroke where it was made, however long the text', () => {
    const long = 'x'.repeat(100_000);
    expect(textReplacements(`${long}ab${long}`, `${long}aXb${long}`)).toEqual([
      { from: 100_001, to: 100_001, insert: 'X' },
    ]);
  });

  it('keeps a caret beside a small remote change out of it (the middle is diffed)', () => {
    expect(textReplacements('one two three', 'ONE two threeX')).toEqual([
      { from: 0, to: 3, insert: 'ONE' },
      { from: 13, to: 13, insert: 'X' },
    ]);
  });

  it('never ends a common prefix or suffix inside a surrogate pair', () => {
    expect(commonEnds('a😀', 'a😃')).toEqual({ prefix: 1, suffix: 0 });
    expect(commonEnds('😀b', '😃b').suffix).toBe(1);
  });
});

describe('replicaTextFeed', () => {
  it('reports every engine text change of a peer as replacements that rebuild its text', async () => {
    const w = world();
    const a = await openModel(w, 'a');
    const b = await openModel(w, 'b');
    const mirrors: Record<string, string> = {};
    const updates: TextUpdate[] = [];
    for (const engine of b.replica.registry.names) {
      mirrors[engine] = b.texts.text(engine, 'text');
      b.texts.subscribe(engine, 'text', (update) => {
        updates.push(update);
        mirrors[engine] = applyAll(mirrors[engine] ?? '', update.changes);
        expect(mirrors[engine]?.length).toBe(update.length);
      });
    }
    await a.applyEdit({ kind: 'text', field: 'text', action: 'insert', pos: 0, text: 'hello world' });
    await settle(w);
    await a.applyEdit({ kind: 'text', field: 'text', action: 'insert', pos: 5, text: ',' });
    await settle(w);
    for (const engine of b.replica.registry.names) expect(mirrors[engine]).toBe('hello, world');
    expect(updates.every((u) => u.origin === 'remote')).toBe(true);
    expect(updates.filter((u) => u.engine === 'yjs').at(-1)?.changes).toEqual([
      { from: 5, to: 5, insert: ',' },
    ]);
  });

  it('stops reading an engine once nobody follows it', async () => {
    const w = world();
    const a = await openModel(w, 'a');
    let calls = 0;
    const stop = a.texts.subscribe('yjs', 'text', () => calls++);
    await a.applyEdit({ kind: 'text', field: 'text', action: 'insert', pos: 0, text: 'x' });
    stop();
    await a.applyEdit({ kind: 'text', field: 'text', action: 'insert', pos: 0, text: 'y' });
    expect(calls).toBe(1);
  });
});
