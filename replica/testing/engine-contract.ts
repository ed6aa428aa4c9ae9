/**
 * The Engine contract, run over every engine of a registry (`engineContract(ENGINES)` in
 * test/engines/engine-contract.test.ts; a test engine's own registry elsewhere): intents and their
 * checks, convergence under any delivery order with drops, duplicates and partitions, harmless duplicate
 * payloads, store round trips, corrupt store bytes, malformed sync payloads, session lifecycle, and what
 * the descriptor says of the engine.
 */
import { budget, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';
import {
  type Engine,
  type EngineChange,
  type EngineDescriptor,
  type EngineRegistry,
  type Intent,
  IntentError,
} from '../src/index.ts';
import { applyTextDeltas } from '../src/text-delta.ts';
import { closeEnginesAfterEach, Mesh, makeEngine, randomIntent, SimClock, seeded } from './engine-mesh.ts';

const IDS = ['a', 'b', 'c'];

function trio(kind: EngineDescriptor, seed: number) {
  const { rng, replay } = seeded(seed);
  const clock = new SimClock();
  const engines = Object.fromEntries(IDS.map((id) => [id, makeEngine(kind, id, clock, rng)]));
  return { rng, replay, clock, mesh: new Mesh(rng, engines) };
}

/** Random intents at random replicas, with partitions, heals and chaos along the way. */
function chaoticRun(kind: EngineDescriptor, seed: number, intents: number) {
  const run = trio(kind, seed);
  const { rng, clock, mesh } = run;
  mesh.chaos = { drop: 0.2, duplicate: 0.2, reorder: true };
  mesh.connectAll();
  for (let i = 0; i < intents; i++) {
    const id = rng.pick(IDS);
    const engine = mesh.engine(id);
    engine.apply(randomIntent(rng, engine.view()));
    clock.advance(rng.int(0, 20));
    const action = rng.int(0, 99);
    if (action < 8) mesh.disconnect(rng.pick(IDS), rng.pick(IDS));
    else if (action < 16) mesh.connect(rng.pick(IDS), rng.pick(IDS));
    else if (action < 22) mesh.antiEntropy();
    const deliveries = rng.int(0, 6);
    for (let d = 0; d < deliveries; d++) mesh.step();
  }
  mesh.quiesce();
  return run;
}

function captureChanges(engine: Engine): EngineChange[] {
  const changes: EngineChange[] = [];
  engine.onChange((change) => changes.push(change));
  return changes;
}

/** Every test of the contract for every engine of `registry` (call at the top level of a test file). */
export function engineContract(registry: EngineRegistry): void {
  closeEnginesAfterEach();
  describe.each(registry.descriptors.map((d) => [d.name, d] as const))('%s engine', (_, kind) => {
    it('applies every kind of intent to its view', () => {
      const { mesh } = trio(kind, 1);
      const e = mesh.engine('a');
      const intents: Intent[] = [
        { op: 'cart.add', product: 'apple', qty: 2 },
        { op: 'cart.add', product: 'apple', qty: 3 },
        { op: 'cart.add', product: 'apple', qty: 1 },
        { op: 'cart.decrement', product: 'apple', qty: 1 },
        { op: 'cart.decrement', product: 'plum', qty: 1 }, // no such line: nothing to take off
        { op: 'cart.add', product: 'pear', qty: 1 },
        { op: 'cart.setQuantity', product: 'pear', qty: 7 },
        { op: 'cart.add', product: 'fig', qty: 1 },
        { op: 'cart.remove', product: 'fig' },
        { op: 'text.insert', pos: 0, text: 'hello world' },
        { op: 'text.delete', pos: 5, len: 6 },
        { op: 'text.insert', pos: 5, text: ' 😀' },
        { op: 'counter.increment', name: 'likes', by: 3 },
        { op: 'counter.increment', name: 'stock', by: 5 },
        { op: 'counter.increment', name: 'stock', by: -7 },
        { op: 'note.set', value: 'first' },
        { op: 'note.set', value: 'second' },
      ];
      for (const intent of intents) e.apply(intent);
      expect(e.view()).toEqual({
        text: 'hello 😀',
        cart: { apple: 5, pear: 7 },
        counters: { likes: 3, stock: -2 },
        note: ['second'],
      });
    });

    it('rejects invalid intents with IntentError and leaves the state alone', () => {
      const { mesh } = trio(kind, 2);
      const e = mesh.engine('a');
      e.apply({ op: 'text.insert', pos: 0, text: 'a😀b' });
      const changes = captureChanges(e);
      const before = e.digest();
      const bad: Intent[] = [
        { op: 'text.insert', pos: 5, text: 'x' },
        { op: 'text.insert', pos: 2, text: 'x' }, // inside the surrogate pair
        { op: 'text.delete', pos: 1, len: 1 }, // half of the pair
        { op: 'text.delete', pos: 3, len: 2 },
        { op: 'counter.increment', name: 'likes', by: -1 },
        { op: 'cart.add', product: '', qty: 1 },
        { op: 'cart.add', product: 'apple', qty: 0 },
        { op: 'bogus' } as unknown as Intent,
      ];
      for (const intent of bad) expect(() => e.apply(intent), JSON.stringify(intent)).toThrow(IntentError);
      expect(e.digest()).toBe(before);
      expect(changes).toEqual([]);
    });

    it('reports each local edit as one local change, and none for a no-op removal', () => {
      const { mesh } = trio(kind, 3);
      const e = mesh.engine('a');
      const changes = captureChanges(e);
      e.apply({ op: 'cart.remove', product: 'ghost' });
      expect(changes).toHaveLength(0);
      e.apply({ op: 'cart.add', product: 'apple', qty: 1 });
      e.apply({ op: 'note.set', value: 'n' });
      expect(changes.map((c) => c.origin)).toEqual(['local', 'local']);
    });

    it('converges after concurrent edits, partitions and chaos (drop, duplicate, reorder)', () => {
      const runs = budget(3, 40);
      for (let r = 0; r < runs; r++) {
        const seed = testSeed();
        const { mesh, replay } = chaoticRun(kind, seed, budget(40, 120));
        expect(mesh.agreed(), `${replay}: ${JSON.stringify(mesh.views())}`).toBe(true);
        expect(mesh.rejected, replay).toBe(0);
      }
    });

    it('reports every text change as deltas that rebuild its text, and keeps textLength/Slice/Hash true', () => {
      const seed = testSeed();
      const run = trio(kind, seed);
      const rebuilt = new Map<string, string>();
      for (const id of IDS) {
        rebuilt.set(id, '');
        run.mesh.engine(id).onTextChange((change) => {
          expect(change.field).toBe('text');
          rebuilt.set(id, applyTextDeltas(rebuilt.get(id) ?? '', change.deltas));
        });
      }
      const { rng, clock, mesh } = run;
      mesh.chaos = { drop: 0.1, duplicate: 0.1, reorder: true };
      mesh.connectAll();
      const check = (when: string): void => {
        for (const id of IDS) {
          const engine = mesh.engine(id);
          const text = (engine.view() as { text: string }).text;
          expect(rebuilt.get(id), `${run.replay} ${when} at ${id}`).toBe(text);
          expect(engine.textLength('text')).toBe(text.length);
          expect(engine.textSlice('text')).toBe(text);
          expect(engine.textSlice('text', 1, 3)).toBe(text.slice(1, 3));
          for (const i of [0, 1, text.length - 1, text.length])
            expect(engine.textCodeUnit('text', i)).toBe(text.charCodeAt(i));
        }
      };
      for (let i = 0; i < budget(60, 200); i++) {
        const engine = mesh.engine(rng.pick(IDS));
        engine.apply(randomIntent(rng, engine.view()));
        clock.advance(rng.int(0, 20));
        for (let d = rng.int(0, 6); d > 0; d--) mesh.step();
        if (i % 10 === 0) check(`after intent ${i}`);
      }
      mesh.quiesce();
      check('at rest');
      // Equal texts hash equal, so equal views digest equal: here, and in every other engine.
      const [first, ...others] = IDS.map((id) => mesh.engine(id));
      for (const other of others) expect(other?.textHash('text')).toBe(first?.textHash('text'));
    });

    it('digests a view like any other engine holding the same view', () => {
      const engine = makeEngine(kind, 'a', new SimClock(), seeded(3).rng);
      const reference = makeEngine('converge', 'z', new SimClock(), seeded(4).rng);
      const intents: Intent[] = [
        { op: 'text.insert', pos: 0, text: 'hello \u{1F600} world' },
        { op: 'text.delete', pos: 0, len: 6 },
        { op: 'cart.add', product: 'apple', qty: 2 },
        { op: 'counter.increment', name: 'likes', by: 3 },
        { op: 'note.set', value: 'n' },
      ] as Intent[];
      for (const intent of intents) {
        engine.apply(intent);
        reference.apply(intent);
        expect(engine.view()).toEqual(reference.view());
        expect(engine.digest()).toBe(reference.digest());
      }
      engine.apply({ op: 'text.insert', pos: 3, text: 'x' } as Intent);
      expect(engine.digest()).not.toBe(reference.digest());
    });

    it('goes quiet after a lost payload (no endless exchange), and anti-entropy repairs the gap', () => {
      const { mesh } = trio(kind, 8);
      mesh.connect('a', 'b');
      mesh.run();
      const a = mesh.engine('a');
      a.apply({ op: 'note.set', value: 'one' });
      a.apply({ op: 'counter.increment', name: 'likes', by: 1 });
      mesh.dropPending();
      a.apply({ op: 'note.set', value: 'two' });
      const before = mesh.delivered;
      mesh.run(50);
      expect(mesh.delivered - before).toBeLessThan(20);
      mesh.antiEntropy();
      mesh.run(200);
      expect(mesh.engine('b').view().note).toEqual(['two']);
      expect(mesh.engine('b').view().counters.likes).toBe(1);
      expect(mesh.engine('b').digest()).toBe(a.digest());
    });

    it('treats replayed payloads as harmless duplicates', () => {
      const seed = testSeed();
      const { mesh, rng, replay } = chaoticRun(kind, seed, 30);
      const digests = mesh.digests();
      const remote: EngineChange[] = [];
      for (const id of IDS) mesh.engine(id).onChange((c) => remote.push(c));
      for (const message of rng.shuffle(mesh.sent)) mesh.deliver(message);
      mesh.quiesce();
      expect(mesh.digests(), replay).toEqual(digests);
      expect(remote, replay).toEqual([]);
    });

    it('round-trips through save → applyUpdate and through the stream of emitted updates', () => {
      const seed = testSeed();
      const { mesh, rng, clock, replay } = trio(kind, seed);
      const a = mesh.engine('a');
      const stored: Uint8Array[] = [];
      a.onChange((c) => stored.push(c.update));
      mesh.connectAll();
      for (let i = 0; i < 40; i++) {
        const id = rng.pick(IDS);
        mesh.engine(id).apply(randomIntent(rng, mesh.engine(id).view()));
        if (rng.chance(0.5)) mesh.run();
      }
      mesh.quiesce();
      const snapshot = a.save();

      const fromSnapshot = makeEngine(kind, 'a', clock, rng);
      fromSnapshot.applyUpdate(snapshot);
      expect(fromSnapshot.view(), replay).toEqual(a.view());
      expect(fromSnapshot.digest(), replay).toBe(a.digest());
      expect(fromSnapshot.version(), replay).toEqual(a.version());

      // Applying the same snapshot again changes nothing and reports nothing.
      const again = captureChanges(fromSnapshot);
      fromSnapshot.applyUpdate(snapshot);
      expect(again, replay).toEqual([]);

      // The update stream alone, replayed in order and shuffled, rebuilds the same state.
      for (const order of [stored, rng.shuffle(stored)]) {
        const replayed = makeEngine(kind, 'a', clock, rng);
        const events = captureChanges(replayed);
        for (const update of order) replayed.applyUpdate(update);
        expect(replayed.digest(), replay).toBe(a.digest());
        expect(
          events.every((c) => c.origin === 'store'),
          replay,
        ).toBe(true);
      }
    });

    it('throws a clear error on corrupt store bytes and keeps its state', () => {
      const seed = testSeed();
      const { mesh, rng, replay } = trio(kind, seed);
      const a = mesh.engine('a');
      for (let i = 0; i < 10; i++) a.apply(randomIntent(rng, a.view()));
      const good = a.save();
      const target = mesh.engine('b');
      target.apply({ op: 'note.set', value: 'mine' });
      const before = target.digest();
      const corrupt: Uint8Array[] = [
        new Uint8Array(0),
        new Uint8Array([1, 2, 3]),
        good.slice(0, good.length - 1),
      ];
      for (let i = 0; i < 40; i++) {
        const flipped = good.slice();
        const at = rng.int(0, flipped.length - 1);
        flipped[at] = (flipped[at] as number) ^ (1 << rng.int(0, 7));
        corrupt.push(flipped);
        corrupt.push(good.slice(0, rng.int(0, good.length - 1)));
      }
      for (const bytes of corrupt) expect(() => target.applyUpdate(bytes), replay).toThrow(Error);
      expect(target.digest(), replay).toBe(before);
    });

    it('rejects malformed sync payloads without throwing, then still converges', () => {
      const seed = testSeed();
      const { mesh, rng, replay } = trio(kind, seed);
      mesh.connect('a', 'b');
      mesh.engine('a').apply({ op: 'text.insert', pos: 0, text: 'hello' });
      mesh.engine('b').apply({ op: 'counter.increment', name: 'likes', by: 2 });
      const valid = mesh.sent.map((m) => m.payload);
      mesh.run();
      const session = mesh.nodes.get('b')?.sessions.get('a');
      if (!session) throw new Error('no session');
      const garbage: Uint8Array[] = [new Uint8Array(0), new Uint8Array([0]), new Uint8Array([255, 255, 255])];
      for (let i = 0; i < 60; i++) {
        const bytes = new Uint8Array(rng.int(1, 64));
        for (let j = 0; j < bytes.length; j++) bytes[j] = rng.int(0, 255);
        garbage.push(bytes);
      }
      for (const payload of valid) {
        for (let cut = 0; cut < payload.length; cut += Math.max(1, Math.floor(payload.length / 7))) {
          garbage.push(payload.slice(0, cut));
        }
      }
      for (const payload of garbage) expect(session.receive(payload), replay).toBe(false);
      expect(session.receive(null as unknown as Uint8Array)).toBe(false);
      // Bit flips may or may not be detectable (Yjs and Automerge sync messages carry no checksum);
      // they must never throw.
      for (const payload of valid) {
        for (let i = 0; i < 20; i++) {
          const flipped = payload.slice();
          const at = rng.int(0, flipped.length - 1);
          flipped[at] = (flipped[at] as number) ^ (1 << rng.int(0, 7));
          expect(() => session.receive(flipped), replay).not.toThrow();
        }
      }
      mesh.engine('c').apply({ op: 'note.set', value: 'after' });
      mesh.quiesce();
      expect(mesh.agreed(), replay).toBe(true);
      expect(mesh.engine('c').view().text, replay).toContain('hello');
    });

    it('sends a handshake on start, nothing before start, nothing after close', () => {
      const { mesh } = trio(kind, 4);
      const a = mesh.engine('a');
      const sent: Uint8Array[] = [];
      const session = a.openSession('b', (p) => sent.push(p));
      a.onChange((c) => session.changed(c));
      a.apply({ op: 'note.set', value: 'before start' });
      expect(sent).toHaveLength(0);
      session.start();
      expect(sent.length).toBeGreaterThan(0);
      session.close();
      const count = sent.length;
      a.apply({ op: 'note.set', value: 'after close' });
      session.antiEntropy();
      session.start();
      expect(sent).toHaveLength(count);
      expect(session.peer).toBe('b');
    });

    it('answers a hello that came before start on start, after its own handshake', () => {
      // A replica holds a session's start while it catches up from another peer first (first-source.ts);
      // the peer's hello that came meanwhile is not repeated until its next anti-entropy round.
      const { mesh } = trio(kind, 6);
      const a = mesh.engine('a');
      const b = mesh.engine('b');
      a.apply({ op: 'note.set', value: 'held by a' });
      const toA: Uint8Array[] = [];
      const toB: Uint8Array[] = [];
      const atA = a.openSession('b', (p) => toB.push(p));
      const atB = b.openSession('a', (p) => toA.push(p));
      atB.start();
      for (const payload of toA.splice(0)) atA.receive(payload);
      expect(toB).toHaveLength(0);
      atA.start();
      // No anti-entropy: only the handshakes and what they are answered with.
      for (let turn = 0; turn < 10 && toA.length + toB.length > 0; turn++) {
        for (const payload of toB.splice(0)) atB.receive(payload);
        for (const payload of toA.splice(0)) atA.receive(payload);
      }
      expect(b.view().note).toEqual(['held by a']);
    });

    it("learns the peer's version from its handshake", () => {
      const { mesh } = trio(kind, 5);
      mesh.engine('b').apply({ op: 'counter.increment', name: 'likes', by: 1 });
      mesh.connect('a', 'b');
      const session = mesh.nodes.get('a')?.sessions.get('b');
      expect(session?.peerVersion()).toBeUndefined();
      mesh.run();
      const expected = mesh.engine('b').version();
      expect(session?.peerVersion()?.kind).toBe(expected.kind);
      expect(mesh.engine('a').version()).toEqual(expected);
    });

    it('names itself and reports the version kind its descriptor implies', () => {
      const { mesh } = trio(kind, 6);
      const e = mesh.engine('a');
      expect(e.name).toBe(kind.name);
      expect(e.version().kind).toBe(kind.heads === undefined ? 'vector' : 'heads');
    });

    it('describes its sync payloads for the wire log, and anything else without throwing', () => {
      const { mesh } = trio(kind, 9);
      mesh.engine('a').apply({ op: 'note.set', value: 'described' });
      mesh.connect('a', 'b');
      mesh.run();
      expect(mesh.sent.length).toBeGreaterThan(0);
      for (const { payload } of mesh.sent) expect(kind.describePayload(payload)).not.toBe('unrecognised');
      for (const junk of [new Uint8Array(0), Uint8Array.of(0xff, 0xfe, 0xfd), new Uint8Array(40).fill(7)]) {
        expect(typeof kind.describePayload(junk)).toBe('string');
      }
    });

    it('offers a ledger or heads only where its engine keeps them', () => {
      const { mesh } = trio(kind, 10);
      const e = mesh.engine('a');
      e.apply({ op: 'note.set', value: 'one' });
      if (kind.ledger !== undefined) {
        expect(kind.ledger.writes(e).length).toBeGreaterThan(0);
        expect(kind.ledger.lost(e)).toEqual([]);
      }
      if (kind.heads !== undefined) {
        const version = e.version();
        const heads = version.kind === 'heads' ? version.heads : [];
        expect(kind.heads(e).unknown(heads)).toEqual([]);
        expect(kind.heads(e).changesNotIn(heads)).toBe(0);
      }
    });
  });
}
