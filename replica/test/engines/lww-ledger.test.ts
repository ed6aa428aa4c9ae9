/**
 * The lww engine's history: causal delivery, the write codec and its validation, and the lost-write
 * ledger, checked against a direct (quadratic) reading of its definition on random histories.
 */
import { budget, fcParams, testSeed } from '@converge/crdt-core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seal } from '../../src/engines/kit/envelope.ts';
import { LwwEngine } from '../../src/engines/lww/lww-engine.ts';
import { EnvelopeKind, LwwCodec, type LwwWrite } from '../../src/engines/lww/lww-write.ts';
import { causallyFollows, compareStamps, type LostWrite } from '../../src/ledger.ts';
import { WORKSPACE } from '../../src/workspace.ts';
import { Mesh, randomIntent, SimClock, seeded } from '../../testing/engine-mesh.ts';

const codec = new LwwCodec(WORKSPACE);
/** The ledger by its definition: per field, every non-winning write no other write of the field follows. */
function referenceLedger(writes: readonly LwwWrite[]): LostWrite[] {
  const lost: LostWrite[] = [];
  const fields = new Set(writes.map((w) => w.field));
  for (const field of fields) {
    const ofField = writes.filter((w) => w.field === field);
    const winner = ofField.reduce((best, w) => (compareStamps(w, best) > 0 ? w : best));
    for (const w of ofField) {
      if (w === winner || ofField.some((x) => causallyFollows(x, w))) continue;
      lost.push({
        replica: w.replica,
        counter: w.counter,
        op: w.op,
        field: w.field,
        value: w.value,
        wallMs: w.wallMs,
        ...(w.skewMs !== undefined ? { skewMs: w.skewMs } : {}),
        overwrittenBy: {
          replica: winner.replica,
          counter: winner.counter,
          value: winner.value,
          wallMs: winner.wallMs,
          ...(winner.skewMs !== undefined ? { skewMs: winner.skewMs } : {}),
        },
        reason: causallyFollows(w, winner) ? 'clock-skew' : 'concurrent',
      });
    }
  }
  return lost;
}

const byIdentity = (a: LostWrite, b: LostWrite) =>
  a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : a.counter - b.counter;

/** Replicas with skewed clocks writing and syncing at random (with partitions and chaos). */
function randomHistory(seed: number, replicas: number, intents: number) {
  const { rng, replay } = seeded(seed);
  const clock = new SimClock();
  const ids = Array.from({ length: replicas }, (_, i) => `r${i}`);
  for (const id of ids) clock.skew.set(id, rng.pick([0, 0, -500, 300, 5_000, -60_000]));
  const engines = Object.fromEntries(
    ids.map((id) => [id, new LwwEngine({ replicaId: id, now: clock.nowFor(id) })]),
  );
  const mesh = new Mesh(rng, engines);
  mesh.chaos = { drop: 0.1, duplicate: 0.1, reorder: true };
  mesh.connectAll();
  for (let i = 0; i < intents; i++) {
    const id = rng.pick(ids);
    const engine = mesh.engine(id);
    engine.apply(randomIntent(rng, engine.view()));
    clock.advance(rng.int(0, 50));
    if (rng.chance(0.1)) mesh.disconnect(rng.pick(ids), rng.pick(ids));
    if (rng.chance(0.1)) mesh.connect(rng.pick(ids), rng.pick(ids));
    if (rng.chance(0.05)) mesh.antiEntropy();
    const deliveries = rng.int(0, 8);
    for (let d = 0; d < deliveries; d++) mesh.step();
  }
  return { mesh, ids, engines: engines as Record<string, LwwEngine>, replay };
}

describe('lww ledger', () => {
  it('matches the definition on random histories, mid-sync and after convergence', () => {
    const runs = budget(6, 100);
    for (let r = 0; r < runs; r++) {
      const seed = testSeed();
      const { mesh, ids, engines, replay } = randomHistory(seed, 2 + (r % 4), budget(60, 200));
      // Mid-sync: each replica's ledger is the definition applied to the writes it holds.
      for (const id of ids) {
        const engine = engines[id] as LwwEngine;
        expect(engine.ledger().sort(byIdentity), replay).toEqual(
          referenceLedger(engine.writes()).sort(byIdentity),
        );
      }
      mesh.quiesce();
      expect(mesh.agreed(), replay).toBe(true);
      const first = engines[ids[0] as string] as LwwEngine;
      const ledger = first.ledger();
      const writes = first.writes();
      expect(ledger.sort(byIdentity), replay).toEqual(referenceLedger(writes).sort(byIdentity));
      for (const id of ids) expect((engines[id] as LwwEngine).ledger(), replay).toEqual(first.ledger());
      // Every write is accounted for: it is the field's value, or a later write of its field
      // replaced it knowingly, or the ledger lists it.
      const view = first.view();
      const lostKeys = new Set(ledger.map((l) => `${l.replica}@${l.counter}`));
      for (const w of writes) {
        const isValue = writes.filter((x) => x.field === w.field).every((x) => compareStamps(w, x) >= 0);
        const replaced = writes.some((x) => x.field === w.field && causallyFollows(x, w));
        const listed = lostKeys.has(`${w.replica}@${w.counter}`);
        expect(Number(isValue) + Number(listed), `${replay}: ${JSON.stringify(w)}`).toBeLessThanOrEqual(1);
        expect(isValue || replaced || listed, `${replay}: ${JSON.stringify(w)}`).toBe(true);
        if (isValue && w.field === 'note') expect(view.note, replay).toEqual([w.value]);
        if (isValue && w.field === 'text') expect(view.text, replay).toBe(w.value);
      }
    }
  });
});

describe('lww causal delivery', () => {
  it('holds a write until the writes it depends on arrive, and drops duplicates', () => {
    const clock = new SimClock();
    const a = new LwwEngine({ replicaId: 'a', now: clock.nowFor('a') });
    const b = new LwwEngine({ replicaId: 'b', now: clock.nowFor('b') });
    const c = new LwwEngine({ replicaId: 'c', now: clock.nowFor('c') });
    const fromA: Uint8Array[] = [];
    a.onChange((ch) => fromA.push(ch.update));
    a.apply({ op: 'note.set', value: 'a1' });
    b.applyUpdate(fromA[0] as Uint8Array);
    const fromB: Uint8Array[] = [];
    b.onChange((ch) => fromB.push(ch.update));
    b.apply({ op: 'note.set', value: 'b1 (saw a1)' });
    a.apply({ op: 'counter.increment', name: 'likes', by: 1 });

    // c receives b's write first: it depends on a1, so it waits.
    c.applyUpdate(fromB[0] as Uint8Array);
    expect(c.waitingCount()).toBe(1);
    expect(c.view().note).toEqual([]);
    // a2 alone cannot be delivered either (a1 is missing).
    c.applyUpdate(fromA[1] as Uint8Array);
    expect(c.waitingCount()).toBe(2);
    c.applyUpdate(fromA[0] as Uint8Array);
    expect(c.waitingCount()).toBe(0);
    expect(c.version()).toEqual({ kind: 'vector', entries: { a: 2, b: 1 } });
    expect(c.view().note).toEqual(['b1 (saw a1)']);
    expect(c.view().counters.likes).toBe(1);
    const events: unknown[] = [];
    c.onChange((ch) => events.push(ch));
    for (const u of [...fromA, ...fromB]) c.applyUpdate(u);
    expect(events).toEqual([]);
    expect(c.ledger()).toEqual([]);
  });
});

describe('lww write codec', () => {
  const write: LwwWrite = {
    replica: 'a',
    counter: 2,
    op: 'cart.add',
    field: 'cart/apple',
    value: 4,
    wallMs: 1_700_000_000_123,
    vector: { a: 2, b: 7 },
  };

  it('reads writes stored before they carried the clock skew (skew unknown)', () => {
    const old = codec.decodeWrites(codec.encodeWritesWithoutSkew([{ ...write, skewMs: 5000 }]));
    expect(old).toEqual([write]);
    expect(old[0]?.skewMs).toBeUndefined();
    expect(codec.decodeWrites(codec.encodeWrites([{ ...write, skewMs: -5000 }]))).toEqual([
      { ...write, skewMs: -5000 },
    ]);
  });

  it('round-trips writes and messages', () => {
    const writeArb = fc
      .record({
        replica: fc.string({ minLength: 1, maxLength: 8 }),
        counter: fc.integer({ min: 1, max: 1e9 }),
        wallMs: fc.integer({ min: -1e13, max: 1e13 }),
        others: fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 1e6 })),
        kind: fc.constantFrom('text', 'note', 'likes', 'cart', 'remove', 'less'),
        text: fc.string({ maxLength: 30 }),
        n: fc.integer({ min: -1e6, max: 1e6 }),
        skew: fc.option(fc.integer({ min: -1e9, max: 1e9 }), { nil: undefined }),
      })
      .map(({ replica, counter, wallMs, others, kind, text, n, skew }): LwwWrite => {
        const vector = { ...others, [replica]: counter };
        const base = { replica, counter, wallMs, ...(skew !== undefined ? { skewMs: skew } : {}), vector };
        if (kind === 'text') return { ...base, op: 'text.insert', field: 'text', value: text };
        if (kind === 'note') return { ...base, op: 'note.set', field: 'note', value: text };
        if (kind === 'likes') return { ...base, op: 'counter.increment', field: 'counters/likes', value: n };
        if (kind === 'remove')
          return { ...base, op: 'cart.remove', field: `cart/${text || 'x'}`, value: null };
        if (kind === 'less') return { ...base, op: 'cart.decrement', field: `cart/${text || 'x'}`, value: n };
        return { ...base, op: 'cart.setQuantity', field: `cart/${text || 'x'}`, value: n };
      });
    fc.assert(
      fc.property(fc.array(writeArb, { maxLength: 5 }), (writes) => {
        expect(codec.decodeWrites(codec.encodeWrites(writes))).toEqual(writes);
        expect(codec.decodeMessage(codec.encodeMessage({ type: 'writes', writes }))).toEqual({
          type: 'writes',
          writes,
        });
      }),
      fcParams(100, 2000),
    );
    expect(
      codec.decodeMessage(codec.encodeMessage({ type: 'hello', vector: { a: 1, __proto__x: 2 } })),
    ).toEqual({
      type: 'hello',
      vector: { a: 1, __proto__x: 2 },
    });
  });

  it('rejects writes that do not make sense', () => {
    const bad: LwwWrite[] = [
      { ...write, field: 'text' }, // cart op on the text field
      { ...write, field: 'cart/' }, // empty product
      { ...write, value: 'four' }, // quantity must be a number
      { ...write, value: 1.5 },
      { ...write, op: 'cart.remove' }, // a removal writes null
      { ...write, op: 'note.set', field: 'note', value: null },
      { ...write, op: 'counter.increment', field: 'counters/hearts' as LwwWrite['field'] },
      { ...write, replica: '', vector: { '': 2 } },
      { ...write, counter: 0, vector: { a: 0 } },
      { ...write, vector: { a: 2, b: 0 } },
    ];
    for (const w of bad) {
      expect(() => codec.decodeWrites(codec.encodeWrites([w])), JSON.stringify(w)).toThrow();
    }
    // The codec leaves the writer's own vector entry out (it equals the counter); validation still
    // refuses a write object that disagrees.
    expect(() => codec.validate({ ...write, vector: { a: 1 } })).toThrow(/own entry/);
    expect(codec.validate(write)).toBe(write);
    // An unknown message type inside a valid envelope.
    expect(() => codec.decodeMessage(seal(EnvelopeKind.LwwMessage, new Uint8Array([9])))).toThrow(
      /message type/,
    );
    // A store batch is not a sync message and vice versa.
    expect(() => codec.decodeMessage(codec.encodeWrites([write]))).toThrow(/kind/);
  });
});
