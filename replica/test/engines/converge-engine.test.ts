// The converge engine's own rules that the engine contract cannot see: what it hands the store must
// rebuild exactly what it holds.
import { Rga, replicaId } from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';
import type { EngineChange } from '../../src/engine.ts';
import { ConvergeEngine } from '../../src/engines/converge/index.ts';
import { WorkspaceDocument, type WorkspaceOp } from '../../src/engines/converge/workspace-document.ts';
import { WORKSPACE } from '../../src/workspace.ts';

function engine(replicaId: string): ConvergeEngine {
  return new ConvergeEngine({ replicaId, now: () => 0 });
}

function recordChanges(target: ConvergeEngine): EngineChange[] {
  const changes: EngineChange[] = [];
  target.onChange((change) => changes.push(change));
  return changes;
}

describe('converge engine', () => {
  it('stores the operations a state transfer released from the causal buffer', () => {
    const a = engine('a');
    const b = engine('b');
    const c = engine('c');
    a.apply({ op: 'counter.increment', name: 'likes', by: 1 });
    b.mergeState(a.state(), 'tagged', 'remote');
    const fromB = recordChanges(b);
    b.apply({ op: 'counter.increment', name: 'likes', by: 2 });
    const opOfB = b.opsOf(fromB[0] as EngineChange) as readonly WorkspaceOp[];

    // c gets b's operation before what it depends on (a's), then a's state: the operation waits, then lands.
    const stored = recordChanges(c);
    c.receiveOps(opOfB, 'remote');
    expect(c.waitingCount()).toBe(1);
    c.mergeState(a.state(), 'tagged', 'remote');
    expect(c.waitingCount()).toBe(0);
    expect(c.view().counters.likes).toBe(3);

    // What c handed the store, replayed: the same document (a restart must not lose b's increment).
    const reopened = engine('c');
    for (const change of stored) reopened.applyUpdate(change.update);
    expect(reopened.view()).toEqual(c.view());
    expect(reopened.version()).toEqual(c.version());
  });

  it('still loads the bare crdt-core operations that stores written before the checksummed envelope hold', () => {
    const old = engine('old');
    const ops: WorkspaceOp[][] = [];
    old.onChange((change) => ops.push([...(old.opsOf(change) ?? [])]));
    old.apply({ op: 'text.insert', pos: 0, text: 'kept' });
    old.apply({ op: 'counter.increment', name: 'likes', by: 2 });
    old.apply({ op: 'cart.add', product: 'pen', qty: 1 });
    const reopened = engine('old');
    for (const batch of ops) reopened.applyUpdate(WorkspaceDocument.encodeOps(WORKSPACE, batch));
    expect(reopened.view()).toMatchObject({ text: 'kept', cart: { pen: 1 }, counters: { likes: 2 } });
    // What it stores now is sealed: a single flipped bit anywhere is refused.
    const sealed = reopened.save();
    for (let bit = 0; bit < sealed.length * 8; bit += 3) {
      const flipped = sealed.slice();
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(() => engine('x').applyUpdate(flipped), `bit ${bit}`).toThrow();
    }
  });
  it('saves the text incrementally for the store, and what it saves loads as the whole state does', () => {
    const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
    const writer = engine('w');
    writer.apply({ op: 'text.insert', pos: 0, text: 'hello world' });
    const first = writer.save();
    writer.apply({ op: 'text.delete', pos: 0, len: 1 });
    writer.apply({ op: 'text.insert', pos: 4, text: ',' });
    writer.apply({ op: 'counter.increment', name: 'likes', by: 1 });
    const second = writer.save();
    // The second save carries the first one's text snapshot as it was (and the edits since); the state
    // peers get is the canonical one, written anew.
    const typed = new Rga(replicaId('w'));
    typed.insert(0, 'hello world');
    expect(hex(first)).toContain(hex(typed.encode()));
    expect(hex(second)).toContain(hex(typed.encode()));
    expect(hex(writer.state())).not.toContain(hex(typed.encode()));
    const reopened = engine('w');
    reopened.applyUpdate(second);
    expect(reopened.view()).toEqual(writer.view());
    expect(reopened.view().text).toBe('ello, world');
    expect(reopened.version()).toEqual(writer.version());
    expect(hex(reopened.state())).toBe(hex(writer.state()));
  });

  it('saves every field as it is now, whatever changed it since the last save', () => {
    // Between saves only the text changes while typing, so the other fields' bytes are kept from the
    // last save; a local edit or a peer's operation in any of them must show in the next save.
    const writer = engine('w');
    const peer = engine('p');
    const fromPeer = recordChanges(peer);
    const reopenedEqual = (): void => {
      const reopened = engine('w');
      reopened.applyUpdate(writer.save());
      expect(reopened.view()).toEqual(writer.view());
      expect(reopened.version()).toEqual(writer.version());
    };
    writer.apply({ op: 'text.insert', pos: 0, text: 'hi' });
    reopenedEqual();
    const edits = [
      { op: 'counter.increment', name: 'likes', by: 2 },
      { op: 'counter.increment', name: 'stock', by: -3 },
      { op: 'cart.add', product: 'pen', qty: 1 },
      { op: 'cart.setQuantity', product: 'pen', qty: 4 },
      { op: 'note.set', value: 'mine' },
      { op: 'cart.remove', product: 'pen' },
    ] as const;
    for (const edit of edits) {
      writer.apply(edit);
      reopenedEqual();
      reopenedEqual(); // saved twice with nothing between: the same state
    }
    for (const edit of [
      { op: 'counter.increment', name: 'likes', by: 5 },
      { op: 'counter.increment', name: 'stock', by: 7 },
      { op: 'cart.add', product: 'ink', qty: 2 },
      { op: 'note.set', value: 'theirs' },
    ] as const) {
      peer.apply(edit);
      const change = fromPeer[fromPeer.length - 1] as EngineChange;
      writer.receiveOps(peer.opsOf(change) ?? [], 'remote');
      reopenedEqual();
    }
    expect(writer.view()).toMatchObject({ cart: { ink: 2 }, counters: { likes: 7, stock: 4 } });
  });

  it('refuses a sync message with a flipped bit instead of taking it as another edit under the same id', () => {
    const a = engine('a');
    const b = engine('b');
    const fromA: Uint8Array[] = [];
    const toB = b.openSession('a', () => {});
    const toA = a.openSession('b', (payload) => fromA.push(payload));
    toA.start();
    a.onChange((change) => toA.changed(change));
    a.apply({ op: 'text.insert', pos: 0, text: 'hello' });
    const ops = fromA.at(-1) as Uint8Array;
    // Flip a bit in every byte in turn: none may land as an edit (an 'h' turned into an 'i' would
    // take the id of a's insert, and a's real insert would then be dropped as a duplicate).
    for (let at = 0; at < ops.length; at++) {
      const flipped = ops.slice();
      flipped[at] = (flipped[at] as number) ^ 1;
      expect(toB.receive(flipped)).toBe(false);
    }
    expect(b.view().text).toBe('');
    expect(toB.receive(ops)).toBe(true);
    expect(b.view().text).toBe('hello');
  });
});
