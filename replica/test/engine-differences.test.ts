/**
 * The documented differences between the engines, pinned end to end: two replicas over the simulated
 * network edit concurrently while partitioned, then heal. Each engine converges, to its own outcome.
 */
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../src/engine-name.ts';
import { ENGINES } from '../src/engines/index.ts';
import type { LwwEngine } from '../src/engines/lww/index.ts';
import type { Intent, WorkspaceView } from '../src/workspace.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

const engines = ENGINES.names;

/** Run `setup` on a, sync, then make a's and b's edits concurrently (a's first in wall-clock time). */
async function concurrently(setup: Intent[], onA: Intent[], onB: Intent[]) {
  const { clock, net, open } = simRoom({ seed: 9, startMs: 1_700_000_000_000, antiEntropyMs: 500 });
  const a = await open('a');
  const b = await open('b');
  for (const intent of setup) await a.apply(intent);
  clock.advance(50);
  net.partition([['a'], ['b']]);
  for (const intent of onA) await a.apply(intent);
  clock.advance(10); // b's writes carry later wall-clock stamps: in lww they win
  for (const intent of onB) await b.apply(intent);
  net.heal();
  clock.advance(1000);
  const views = new Map<EngineName, WorkspaceView>();
  for (const engine of engines) {
    expect(b.digest(engine), `${engine} converged`).toBe(a.digest(engine));
    views.set(engine, a.view(engine));
  }
  const ledger = engines.includes('lww') ? (a.engine('lww') as LwwEngine).ledger() : [];
  await a.close();
  await b.close();
  return { views, ledger };
}

function expectPer<T>(
  views: Map<EngineName, WorkspaceView>,
  pick: (v: WorkspaceView) => T,
  expected: Partial<Record<EngineName, T>>,
) {
  for (const [engine, value] of Object.entries(expected) as [EngineName, T][]) {
    const view = views.get(engine);
    if (view) expect(pick(view), engine).toEqual(value);
  }
}

describe(`documented differences between the engines (${engines.join(', ')})`, () => {
  it('concurrent inserts at one position: CRDT texts keep both words unmixed; lww keeps one text', async () => {
    const { views, ledger } = await concurrently(
      [{ op: 'text.insert', pos: 0, text: '[]' }],
      [{ op: 'text.insert', pos: 1, text: 'alpha' }],
      [{ op: 'text.insert', pos: 1, text: 'bravo' }],
    );
    for (const engine of ['converge', 'yjs', 'automerge'] as const) {
      const text = views.get(engine)?.text;
      if (text !== undefined) expect(['[alphabravo]', '[bravoalpha]'], `${engine}: ${text}`).toContain(text);
    }
    expectPer(views, (v) => v.text, { lww: '[bravo]' });
    expect(ledger.filter((l) => l.field === 'text')).toEqual([
      expect.objectContaining({ replica: 'a', value: '[alpha]', reason: 'concurrent' }),
    ]);
  });

  it('remove vs concurrent add in the cart: converge keeps the concurrent add, yjs revives the line, automerge removes it', async () => {
    const { views, ledger } = await concurrently(
      [{ op: 'cart.add', product: 'pen', qty: 2 }],
      [{ op: 'cart.remove', product: 'pen' }],
      [{ op: 'cart.add', product: 'pen', qty: 3 }],
    );
    expectPer(views, (v) => v.cart.pen, { converge: 3, yjs: 5, automerge: undefined, lww: 5 });
    expect(ledger).toEqual([
      expect.objectContaining({ replica: 'a', op: 'cart.remove', field: 'cart/pen', reason: 'concurrent' }),
    ]);
  });

  it('"one less" concurrent with "one more" presses: counter steps in converge and automerge; yjs and lww keep one write', async () => {
    // The case: apple at 6; one window presses "+" twice while another presses "−".
    const { views, ledger } = await concurrently(
      [{ op: 'cart.add', product: 'apple', qty: 6 }],
      [
        { op: 'cart.add', product: 'apple', qty: 1 },
        { op: 'cart.add', product: 'apple', qty: 1 },
      ],
      [{ op: 'cart.decrement', product: 'apple', qty: 1 }],
    );
    expectPer(views, (v) => v.cart.apple, { converge: 7, automerge: 7, lww: 5 });
    // Yjs has no counter: each step writes the number its window saw, and one write wins by client id.
    const yjs = views.get('yjs')?.cart.apple;
    if (yjs !== undefined) expect([5, 8]).toContain(yjs);
    expect(ledger).toEqual([
      expect.objectContaining({
        replica: 'a',
        op: 'cart.add',
        field: 'cart/apple',
        value: 8,
        reason: 'concurrent',
      }),
    ]);
  });

  it('setting a quantity concurrent with "one more" presses: each engine merges an absolute write its own way', async () => {
    const { views } = await concurrently(
      [{ op: 'cart.add', product: 'apple', qty: 6 }],
      [
        { op: 'cart.add', product: 'apple', qty: 1 },
        { op: 'cart.add', product: 'apple', qty: 1 },
      ],
      [{ op: 'cart.setQuantity', product: 'apple', qty: 5 }],
    );
    // converge sets by the difference to what it saw (−1), so the presses still count; Automerge's set
    // replaces the Counter the presses went to; lww keeps the later write.
    expectPer(views, (v) => v.cart.apple, { converge: 7, automerge: 5, lww: 5 });
  });

  it('concurrent counter increments: counters add up in converge and automerge; yjs and lww lose one', async () => {
    const { views, ledger } = await concurrently(
      [],
      [{ op: 'counter.increment', name: 'likes', by: 1 }],
      [{ op: 'counter.increment', name: 'likes', by: 2 }],
    );
    expectPer(views, (v) => v.counters.likes, { converge: 3, automerge: 3, lww: 2 });
    const yjs = views.get('yjs')?.counters.likes;
    if (yjs !== undefined) expect([1, 2]).toContain(yjs);
    expect(ledger).toEqual([
      expect.objectContaining({ replica: 'a', field: 'counters/likes', value: 1, reason: 'concurrent' }),
    ]);
  });

  it('concurrent note writes: converge and automerge keep both as siblings; yjs and lww keep one', async () => {
    const { views, ledger } = await concurrently(
      [],
      [{ op: 'note.set', value: 'from a' }],
      [{ op: 'note.set', value: 'from b' }],
    );
    expectPer(views, (v) => v.note, {
      converge: ['from a', 'from b'],
      automerge: ['from a', 'from b'],
      lww: ['from b'],
    });
    const yjs = views.get('yjs')?.note;
    if (yjs !== undefined) expect([['from a'], ['from b']]).toContainEqual(yjs);
    expect(ledger).toEqual([expect.objectContaining({ replica: 'a', field: 'note', value: 'from a' })]);
  });

  it('clock skew: lww drops a causally later write whose clock runs behind, and says why', async () => {
    const room = simRoom({ seed: 2, startMs: 1_700_000_000_000 });
    const { clock } = room;
    const open = (id: string, skewMs: number) => room.open(id, { skewMs });
    const a = await open('a', 60_000); // a's clock runs a minute ahead
    const b = await open('b', 0);
    await a.apply({ op: 'note.set', value: 'early' });
    clock.advance(100);
    expect(b.view('lww').note).toEqual(['early']);
    await b.apply({ op: 'note.set', value: 'later, having seen early' });
    clock.advance(100);
    expect(a.view('lww').note).toEqual(['early']);
    expect((a.engine('lww') as LwwEngine).ledger()).toEqual([
      expect.objectContaining({ replica: 'b', field: 'note', reason: 'clock-skew' }),
    ]);
    if (engines.includes('converge')) expect(a.view('converge').note).toEqual(['later, having seen early']);
    await a.close();
    await b.close();
  });
});
