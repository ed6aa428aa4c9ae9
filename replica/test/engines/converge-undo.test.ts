// The converge engine's own undo (converge-undo.ts) on crdt-core's operations: what it takes back and
// what it leaves of other replicas' concurrent edits, and that the replica uses it rather than the
// runtime's intent-level inverse.
import { describe, expect, it, vi } from 'vitest';
import type { NativeUndo } from '../../src/engine.ts';
import { ConvergeEngine } from '../../src/engines/converge/index.ts';
import type { WorkspaceOp } from '../../src/engines/converge/workspace-document.ts';
import { ENGINES } from '../../src/engines/index.ts';
import type { HostedEngines } from '../../src/replica/hosted-engines.ts';
import type { Intent } from '../../src/workspace.ts';
import { closeSimRoomsAfterEach, simRoom } from '../../testing/sim-room.ts';

closeSimRoomsAfterEach();

/** Two converge engines whose local changes (edits, undos, redos) reach the other on `sync()`. */
function pair(): { a: ConvergeEngine; b: ConvergeEngine; sync(): void } {
  const a = new ConvergeEngine({ replicaId: 'a', now: () => 0 });
  const b = new ConvergeEngine({ replicaId: 'b', now: () => 0 });
  const outbox = new Map<ConvergeEngine, WorkspaceOp[][]>([
    [a, []],
    [b, []],
  ]);
  for (const engine of [a, b])
    engine.onChange((change) => {
      if (change.origin === 'local') outbox.get(engine)?.push([...(engine.opsOf(change) ?? [])]);
    });
  const sync = (): void => {
    for (const ops of outbox.get(a)?.splice(0) ?? []) b.receiveOps(ops, 'remote');
    for (const ops of outbox.get(b)?.splice(0) ?? []) a.receiveOps(ops, 'remote');
  };
  return { a, b, sync };
}

const undoOf = (engine: ConvergeEngine): NativeUndo => engine.undo;

/** One step of edits: the replica starts each step with stopCapturing, as here. */
function step(engine: ConvergeEngine, ...intents: Intent[]): void {
  undoOf(engine).stopCapturing();
  for (const intent of intents) engine.apply(intent);
}

const typed = (pos: number, text: string): Intent[] =>
  [...text].map((char, i) => ({ op: 'text.insert', pos: pos + i, text: char }));

describe('converge engine undo', () => {
  it('undoing an insert deletes its characters by id: a concurrent insert inside them stays', () => {
    const { a, b, sync } = pair();
    step(a, { op: 'text.insert', pos: 0, text: 'abc' });
    sync();
    step(a, ...typed(1, '12345'));
    sync();
    // b types inside a's run while a undoes it: neither has seen the other's change.
    b.apply({ op: 'text.insert', pos: 3, text: 'XY' });
    expect(undoOf(a).undo()).toBe(true);
    expect(a.view().text).toBe('abc');
    sync();
    expect(a.view().text).toBe('aXYbc');
    expect(b.view().text).toBe('aXYbc');
    // Redo types a's characters back on both sides of b's, where they were.
    expect(undoOf(a).redo()).toBe(true);
    sync();
    expect(a.view().text).toBe('a12XY345bc');
    expect(b.view().text).toBe('a12XY345bc');
    expect(a.textSlice('text')).toBe('a12XY345bc');
  });

  it('undoing a delete types the text back where it was; concurrent edits around it stay', () => {
    const { a, b, sync } = pair();
    step(a, { op: 'text.insert', pos: 0, text: 'hello world' });
    sync();
    step(a, { op: 'text.delete', pos: 3, len: 5 });
    sync();
    b.apply({ op: 'text.insert', pos: 0, text: '!' });
    b.apply({ op: 'text.insert', pos: 7, text: 'Z' });
    sync();
    expect(a.view().text).toBe('!helrldZ');
    expect(undoOf(a).undo()).toBe(true);
    sync();
    expect(a.view().text).toBe('!hello worldZ');
    expect(b.view().text).toBe('!hello worldZ');
    expect(undoOf(a).redo()).toBe(true);
    sync();
    expect(b.view().text).toBe('!helrldZ');
  });

  it('backspaces undone and redone in a chain keep their order', () => {
    const { a } = pair();
    step(a, ...typed(0, 'abcdef'));
    step(a, ...[5, 4, 3].map((pos): Intent => ({ op: 'text.delete', pos, len: 1 })));
    step(a, { op: 'text.delete', pos: 0, len: 2 });
    expect(a.view().text).toBe('c');
    expect(undoOf(a).undo()).toBe(true);
    expect(undoOf(a).undo()).toBe(true);
    expect(a.view().text).toBe('abcdef');
    expect(undoOf(a).undo()).toBe(true);
    expect(a.view().text).toBe('');
    expect(undoOf(a).redo()).toBe(true);
    expect(undoOf(a).redo()).toBe(true);
    expect(undoOf(a).redo()).toBe(true);
    expect(a.view().text).toBe('c');
    expect(undoOf(a).undo()).toBe(true);
    expect(undoOf(a).undo()).toBe(true);
    expect(a.view().text).toBe('abcdef');
    expect(a.textSlice('text')).toBe('abcdef');
  });

  it('undoes a PN-counter increment by the negative amount: concurrent increments count', () => {
    const { a, b, sync } = pair();
    step(a, { op: 'counter.increment', name: 'stock', by: 3 });
    b.apply({ op: 'counter.increment', name: 'stock', by: 2 });
    expect(undoOf(a).undo()).toBe(true);
    sync();
    expect(a.view().counters.stock).toBe(2);
    expect(b.view().counters.stock).toBe(2);
    expect(undoOf(a).redo()).toBe(true);
    sync();
    expect(b.view().counters.stock).toBe(5);
    // A grow-only counter cannot be taken back: its step undoes nothing.
    step(a, { op: 'counter.increment', name: 'likes', by: 1 });
    expect(undoOf(a).undo()).toBe(false);
    expect(a.view().counters.likes).toBe(1);
  });

  it('undoes cart edits on the line’s PN-counter and the OR-map: others’ changes stay', () => {
    const { a, b, sync } = pair();
    step(a, { op: 'cart.add', product: 'pen', qty: 2 });
    b.apply({ op: 'cart.add', product: 'ink', qty: 1 });
    expect(undoOf(a).undo()).toBe(true); // the add made the line: it goes
    sync();
    expect(a.view().cart).toEqual({ ink: 1 });
    expect(b.view().cart).toEqual({ ink: 1 });
    expect(undoOf(a).redo()).toBe(true);
    sync();
    expect(b.view().cart).toEqual({ ink: 1, pen: 2 });
    // A quantity change is taken back as its difference: b's concurrent press still counts.
    step(a, { op: 'cart.setQuantity', product: 'pen', qty: 5 });
    b.apply({ op: 'cart.add', product: 'pen', qty: 1 });
    sync();
    expect(a.view().cart.pen).toBe(6);
    expect(undoOf(a).undo()).toBe(true);
    sync();
    expect(a.view().cart.pen).toBe(3);
    expect(b.view().cart.pen).toBe(3);
    // A remove is taken back by adding the line's former quantity.
    step(a, { op: 'cart.remove', product: 'pen' });
    expect(undoOf(a).undo()).toBe(true);
    sync();
    expect(b.view().cart).toEqual({ ink: 1, pen: 3 });
  });

  it('sets a note back unless someone wrote it since', () => {
    const { a, b, sync } = pair();
    step(a, { op: 'note.set', value: 'first' });
    step(a, { op: 'note.set', value: 'second' });
    expect(undoOf(a).undo()).toBe(true);
    expect(a.view().note).toEqual(['first']);
    sync();
    b.apply({ op: 'note.set', value: 'theirs' });
    sync();
    expect(undoOf(a).undo()).toBe(false); // b wrote since: its value stays
    expect(a.view().note).toEqual(['theirs']);
  });

  it('a new edit drops what could be redone; clear forgets every step', () => {
    const { a } = pair();
    step(a, { op: 'text.insert', pos: 0, text: 'x' });
    expect(undoOf(a).undo()).toBe(true);
    step(a, { op: 'text.insert', pos: 0, text: 'y' });
    expect(undoOf(a).redo()).toBe(false);
    undoOf(a).clear();
    expect(undoOf(a).undo()).toBe(false);
    expect(a.view().text).toBe('y');
  });

  it('the replica undoes converge natively, never with the runtime’s intent-level inverse', async () => {
    const { clock, open } = simRoom({
      seed: 11,
      antiEntropyMs: 0,
      engines: ENGINES.only(['converge', 'lww']),
    });
    const a = await open('a');
    const converge = (a as unknown as { engines: HostedEngines }).engines.get('converge');
    expect(converge.undo).toBeDefined();
    await a.apply({ op: 'text.insert', pos: 0, text: 'kept ' });
    clock.advance(1000);
    await a.apply({ op: 'text.insert', pos: 5, text: 'undone' });
    await a.apply({ op: 'cart.add', product: 'pen', qty: 1 });
    const nativeUndo = vi.spyOn(converge.undo as NativeUndo, 'undo');
    const nativeRedo = vi.spyOn(converge.undo as NativeUndo, 'redo');
    const intents = vi.spyOn(converge, 'apply');
    expect(await a.undo()).toBe(true);
    expect(await a.undo()).toBe(true);
    expect(a.view('converge').text).toBe('kept ');
    expect(await a.redo()).toBe(true);
    expect(a.view('converge').text).toBe('kept undone');
    expect(nativeUndo).toHaveBeenCalledTimes(2);
    expect(nativeRedo).toHaveBeenCalledTimes(1);
    expect(intents).not.toHaveBeenCalled();
    expect(a.view('lww').text).toBe('kept undone');
  });
});
