// Every decoder against thousands of random and mutated inputs (budget(3000, 100000) each): each must
// decode to a valid value or throw a DecodeError. Valid samples come from seeded random histories.
import {
  Cart,
  decodeHybridTimestamp,
  encodeHybridTimestamp,
  GCounter,
  LwwRegister,
  MvRegister,
  OrSet,
  PNCounter,
  type ReplicaId,
  type Replicated,
  replicaId,
  SeededRandom,
  stringCodec,
  VersionVector,
} from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';
import { fuzzDecoder, testSeed } from './support/index.ts';

const seed = testSeed();
const REPLICAS = ['a', 'bob', 'ç', 'a'.repeat(40)].map(replicaId);

/**
 * Encoded states and ops from a random history: three replicas acting and merging. The state
 * samples include the empty state and each replica's state along the way.
 */
function samplesOf<S extends Replicated<S, Op, unknown>, Op>(
  create: () => S,
  act: (state: S, replica: ReplicaId, rng: SeededRandom, step: number) => Op,
  encodeOp: (op: Op) => Uint8Array,
): { states: Uint8Array[]; ops: Uint8Array[] } {
  const rng = new SeededRandom(seed);
  const replicas = REPLICAS.slice(0, 3).map(() => create());
  const states = [create().encode()];
  const ops: Uint8Array[] = [];
  for (let step = 0; step < 40; step++) {
    const i = rng.int(0, 2);
    const state = replicas[i] as S;
    if (rng.chance(0.25)) state.merge(rng.pick(replicas));
    else ops.push(encodeOp(act(state, REPLICAS[i] as ReplicaId, rng, step)));
    if (step % 8 === 7) states.push(state.encode());
  }
  for (const state of replicas) states.push(state.encode());
  return { states, ops };
}

const words = ['', 'x', 'milk', 'crème brûlée', '🛒', 'a'.repeat(100)];

const gCounter = samplesOf(
  () => new GCounter(),
  (c, r, rng) => c.increment(r, rng.pick([1, 2, 1000, 2 ** 40])),
  GCounter.encodeOp,
);
const pnCounter = samplesOf(
  () => new PNCounter(),
  (c, r, rng) => (rng.chance(0.5) ? c.increment(r, rng.int(1, 300)) : c.decrement(r, rng.int(1, 300))),
  PNCounter.encodeOp,
);
const orSet = samplesOf(
  () => new OrSet(stringCodec),
  (s, r, rng) => (rng.chance(0.6) ? s.add(r, rng.pick(words)) : s.remove(r, rng.pick(words))),
  (op) => OrSet.encodeOp(op, stringCodec),
);
const cart = samplesOf(
  () => new Cart(),
  (c, r, rng) => {
    const product = rng.pick(['apple', 'pear', '__proto__', 'tea']);
    const roll = rng.int(0, 2);
    if (roll === 0) return c.add(r, product, rng.pick([1, 3, 2 ** 50]));
    if (roll === 1) return c.remove(r, product);
    return c.setQuantity(r, product, rng.int(0, 6));
  },
  Cart.encodeOp,
);
const mvRegister = samplesOf(
  () => new MvRegister(stringCodec),
  (m, r, rng) => m.set(r, rng.pick(words)),
  (op) => MvRegister.encodeOp(op, stringCodec),
);
const lwwRegister = samplesOf(
  () => new LwwRegister(stringCodec),
  (l, r, rng, step) => l.set(rng.pick(words), { wallMs: rng.int(0, 2 ** 45), logical: step, replica: r }),
  (op) => LwwRegister.encodeOp(op, stringCodec),
);

const vectors = [
  VersionVector.empty,
  VersionVector.from(REPLICAS.map((r, i): [string, number] => [r, i * 1000 + 1])),
];
const timestamps = REPLICAS.map((replica, i) => ({
  wallMs: 1_700_000_000_000 + i,
  logical: i * 300,
  replica,
}));

/** Run the fuzzer; insist that it exercised both outcomes, so the harness itself cannot be vacuous. */
function fuzz<T>(
  name: string,
  decode: (bytes: Uint8Array) => T,
  samples: Uint8Array[],
  encode: (value: T) => Uint8Array,
  check: (value: T) => void = () => {},
): void {
  it(`${name}: decodes or throws DecodeError (seed ${seed})`, () => {
    const report = fuzzDecoder(name, decode, samples, { seed, encode, check });
    expect(report.rejected).toBeGreaterThan(0);
    expect(report.accepted).toBeGreaterThan(0);
  });
}

const safeValue = (value: number): void => {
  if (!Number.isSafeInteger(value)) throw new RangeError(`value ${value} is not a safe integer`);
};

describe('decoder fuzzing', () => {
  fuzz('VersionVector', VersionVector.decode, [...vectors.map((v) => v.encode())], (v) => v.encode());
  fuzz(
    'HybridTimestamp',
    decodeHybridTimestamp,
    timestamps.map(encodeHybridTimestamp),
    encodeHybridTimestamp,
  );
  fuzz(
    'GCounter',
    GCounter.decode,
    gCounter.states,
    (c) => c.encode(),
    (c) => safeValue(c.value()),
  );
  fuzz('GCounterOp', GCounter.decodeOp, gCounter.ops, GCounter.encodeOp);
  fuzz(
    'PNCounter',
    PNCounter.decode,
    pnCounter.states,
    (c) => c.encode(),
    (c) => safeValue(c.value()),
  );
  fuzz('PNCounterOp', PNCounter.decodeOp, pnCounter.ops, PNCounter.encodeOp);
  fuzz(
    'OrSet',
    (b) => OrSet.decode(b, stringCodec),
    orSet.states,
    (s) => s.encode(),
    (s) => s.value(),
  );
  fuzz(
    'OrSetOp',
    (b) => OrSet.decodeOp(b, stringCodec),
    orSet.ops,
    (op) => OrSet.encodeOp(op, stringCodec),
  );
  fuzz(
    'Cart',
    Cart.decode,
    cart.states,
    (c) => c.encode(),
    (c) => Object.values(c.value()).forEach(safeValue),
  );
  fuzz('CartOp', Cart.decodeOp, cart.ops, Cart.encodeOp);
  fuzz(
    'MvRegister',
    (b) => MvRegister.decode(b, stringCodec),
    mvRegister.states,
    (m) => m.encode(),
  );
  fuzz(
    'MvRegisterOp',
    (b) => MvRegister.decodeOp(b, stringCodec),
    mvRegister.ops,
    (op) => MvRegister.encodeOp(op, stringCodec),
  );
  fuzz(
    'LwwRegister',
    (b) => LwwRegister.decode(b, stringCodec),
    lwwRegister.states,
    (l) => l.encode(),
  );
  fuzz(
    'LwwRegisterOp',
    (b) => LwwRegister.decodeOp(b, stringCodec),
    lwwRegister.ops,
    (op) => LwwRegister.encodeOp(op, stringCodec),
  );

  it('a decoded op from hostile bytes can be applied without breaking the state', () => {
    // Ops that decode are applied to a live cart: either accepted or refused with a RangeError.
    const rng = new SeededRandom(seed);
    const live = Cart.decode(cart.states[cart.states.length - 1] as Uint8Array);
    for (let i = 0; i < 500; i++) {
      const bytes = (rng.pick(cart.ops) as Uint8Array).slice();
      const at = rng.int(0, bytes.length - 1);
      bytes[at] = (bytes[at] as number) ^ (1 << rng.int(0, 7));
      let op: ReturnType<typeof Cart.decodeOp>;
      try {
        op = Cart.decodeOp(bytes);
      } catch {
        continue;
      }
      try {
        live.apply(op);
      } catch (error) {
        expect(error, `seed ${seed}`).toBeInstanceOf(RangeError);
      }
      expect(Cart.decode(live.encode()).value(), `seed ${seed}`).toEqual(live.value());
    }
  });
});
