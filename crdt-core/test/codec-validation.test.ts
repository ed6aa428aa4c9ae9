// Hand-built encodings that are well-formed bytes but break a semantic rule must be refused with a
// DecodeError naming the rule. Each case also builds the valid variant, which must decode, so a
// case cannot pass just because the test wrote garbage.
import {
  Cart,
  DecodeError,
  Encoder,
  GCounter,
  LwwRegister,
  MvRegister,
  OrSet,
  PNCounter,
  stringCodec,
  TypeTag,
  VersionVector,
} from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';

type Dots = readonly (readonly [number, number])[]; // (replica index, counter)

/** A dotted-type prefix: header, replica table, context (prefix entries, cloud dots). */
function dotted(tag: TypeTag, replicas: readonly string[], prefix: Dots, cloud: Dots = []): Encoder {
  const e = new Encoder().header(tag).uint(replicas.length);
  for (const r of replicas) e.string(r);
  e.uint(prefix.length);
  for (const [i, c] of prefix) e.uint(i).uint(c);
  return dots(e, cloud);
}

function dots(e: Encoder, list: Dots): Encoder {
  e.uint(list.length);
  for (const [i, c] of list) e.uint(i).uint(c);
  return e;
}

function orSet(
  element: Dots,
  options: { cloud?: Dots; replicas?: string[]; second?: Dots } = {},
): Uint8Array {
  const e = dotted(TypeTag.OrSet, options.replicas ?? ['a', 'b'], [[0, 3]], options.cloud ?? []);
  e.uint(options.second ? 2 : 1).string('x');
  dots(e, element);
  if (options.second) dots(e.string('y'), options.second);
  return e.finish();
}

function cartLine(amounts: readonly number[], product = 'apple', negativeZero = false): Uint8Array {
  const e = dotted(TypeTag.Cart, ['a'], [[0, amounts.length]]);
  e.uint(1).string(product).uint(amounts.length);
  amounts.forEach((amount, i) => {
    e.uint(0).uint(i + 1);
    e.byte(amount < 0 || negativeZero ? 1 : 0).uint(Math.abs(amount));
  });
  return e.finish();
}

function counter(entries: readonly [string, number, number][]): Uint8Array {
  const e = new Encoder().header(TypeTag.GCounter).uint(entries.length);
  for (const [r, n, total] of entries) e.string(r).uint(n).uint(total);
  return e.finish();
}

function expectRefused(decode: () => unknown, why: RegExp): void {
  expect(decode).toThrow(DecodeError);
  expect(decode).toThrow(why);
}

const MAX = Number.MAX_SAFE_INTEGER;

describe('decoders enforce semantic invariants', () => {
  it('version vectors: ascending replicas, positive counters', () => {
    const vv = (pairs: [string, number][]) => {
      const e = new Encoder().header(TypeTag.VersionVector).uint(pairs.length);
      for (const [r, c] of pairs) e.string(r).uint(c);
      return e.finish();
    };
    expect(
      VersionVector.decode(
        vv([
          ['a', 1],
          ['b', 2],
        ]),
      ).toString(),
    ).toBe('a:1 b:2');
    expectRefused(
      () =>
        VersionVector.decode(
          vv([
            ['b', 1],
            ['a', 2],
          ]),
        ),
      /ascending/,
    );
    expectRefused(
      () =>
        VersionVector.decode(
          vv([
            ['a', 1],
            ['a', 2],
          ]),
        ),
      /ascending/,
    );
    expectRefused(() => VersionVector.decode(vv([['a', 0]])), /counter is 0/);
    expectRefused(() => VersionVector.decode(vv([['', 300]])), /replica id/);
  });

  it('counters: ascending replicas, totals that can hold their increments, safe sums', () => {
    expect(
      GCounter.decode(
        counter([
          ['a', 2, 5],
          ['b', 1, 1],
        ]),
      ).value(),
    ).toBe(6);
    expectRefused(
      () =>
        GCounter.decode(
          counter([
            ['b', 1, 1],
            ['a', 1, 1],
          ]),
        ),
      /ascending/,
    );
    expectRefused(() => GCounter.decode(counter([['a', 3, 2]])), /below the number of increments/);
    expectRefused(
      () =>
        GCounter.decode(
          counter([
            ['a', 1, MAX],
            ['b', 1, 1],
          ]),
        ),
      /safe range/,
    );
    const pn = (up: number, down: number) =>
      new Encoder().header(TypeTag.PNCounter).uint(1).string('a').uint(3).uint(up).uint(down).finish();
    expect(PNCounter.decode(pn(1, 2)).value()).toBe(-1);
    expectRefused(() => PNCounter.decode(pn(1, 1)), /below the number of changes/);
    const op = (n: number) => new Encoder().header(TypeTag.GCounterOp).string('a').uint(n).uint(1).finish();
    expect(GCounter.decodeOp(op(1)).total).toBe(1);
    expectRefused(() => GCounter.decodeOp(op(0)), /counter is 0/);
  });

  it('OR-Set states: dots in the context, used once, canonical context and table', () => {
    expect(OrSet.decode(orSet([[0, 1]], { second: [[0, 2]] }), stringCodec).value()).toEqual(['x', 'y']);
    expectRefused(() => OrSet.decode(orSet([[1, 1]]), stringCodec), /missing from the causal context/);
    expectRefused(() => OrSet.decode(orSet([[0, 1]], { second: [[0, 1]] }), stringCodec), /used twice/);
    expectRefused(
      () =>
        OrSet.decode(
          orSet([
            [0, 2],
            [0, 1],
          ]),
          stringCodec,
        ),
      /ascending/,
    );
    expectRefused(() => OrSet.decode(orSet([], { second: [[0, 2]] }), stringCodec), /without dots/);
    expectRefused(() => OrSet.decode(orSet([[0, 1]], { cloud: [[0, 4]] }), stringCodec), /canonical/);
    expect(OrSet.decode(orSet([[0, 1]], { cloud: [[0, 5]] }), stringCodec).value()).toEqual(['x']);
    expectRefused(() => OrSet.decode(orSet([[0, 1]], { replicas: ['b', 'a'] }), stringCodec), /table/);
    expectRefused(() => OrSet.decode(orSet([[5, 1]]), stringCodec), /outside a table/);
  });

  it('ops cannot supersede themselves or their writer’s later events', () => {
    const op = (kind: number, observed: Dots) => {
      const e = new Encoder().header(TypeTag.OrSetOp).uint(2).string('a').string('b');
      e.byte(kind).uint(0).uint(3).string('x');
      return dots(e, observed).finish();
    };
    expect(
      OrSet.decodeOp(
        op(1, [
          [0, 2],
          [1, 9],
        ]),
        stringCodec,
      ).kind,
    ).toBe('remove');
    expectRefused(() => OrSet.decodeOp(op(0, [[0, 3]]), stringCodec), /earlier events/);
    expectRefused(() => OrSet.decodeOp(op(0, [[0, 4]]), stringCodec), /earlier events/);
    expectRefused(() => OrSet.decodeOp(op(2, []), stringCodec), /op kind/);
  });

  it('cart states: non-zero amounts, safe line sums, named products, no negative zero', () => {
    expect(Cart.decode(cartLine([MAX, -MAX, 2])).value()).toEqual({ apple: 2 });
    expectRefused(() => Cart.decode(cartLine([1, 0])), /zero amount/);
    expectRefused(() => Cart.decode(cartLine([MAX, 1])), /out of range/);
    expectRefused(() => Cart.decode(cartLine([300], '')), /empty product/);
    expectRefused(() => Cart.decode(cartLine([0], 'apple', true)), /negative zero/);
  });

  it('registers: siblings in the context, presence flag 0 or 1', () => {
    const mv = (counter: number) => {
      const e = dotted(TypeTag.MvRegister, ['a'], [[0, 2]]);
      return e.uint(1).uint(0).uint(counter).string('v').finish();
    };
    expect(MvRegister.decode(mv(2), stringCodec).value()).toEqual(['v']);
    expectRefused(() => MvRegister.decode(mv(3), stringCodec), /missing from the causal context/);
    const lww = (flag: number) => new Encoder().header(TypeTag.LwwRegister).byte(flag).finish();
    expect(LwwRegister.decode(lww(0), stringCodec).value()).toBeUndefined();
    expectRefused(() => LwwRegister.decode(lww(2), stringCodec), /presence flag/);
  });

  it('refuses bytes of another type and trailing garbage', () => {
    const bytes = new GCounter().encode();
    expectRefused(() => PNCounter.decode(bytes), /type tag/);
    expectRefused(() => GCounter.decode(Uint8Array.from([...bytes, 0])), /trailing/);
  });
});
