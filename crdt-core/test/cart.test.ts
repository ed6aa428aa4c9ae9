import { Cart, replicaId } from '@converge/crdt-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crdtLaws, type ModelEvent, survivors } from './support/crdt-laws.ts';

const a = replicaId('a');
const b = replicaId('b');

type CartAction =
  | { readonly kind: 'add'; readonly product: string; readonly qty: number }
  | { readonly kind: 'take'; readonly product: string; readonly qty: number }
  | { readonly kind: 'remove'; readonly product: string }
  | { readonly kind: 'set'; readonly product: string; readonly qty: number };

const isReset = (action: CartAction): boolean =>
  action.kind === 'remove' || (action.kind === 'set' && action.qty === 0);

/**
 * Reference model of the cart's rule: a change survives unless a remove of its product has it in
 * its causal past; a line's quantity is the sum of its surviving changes; a line exists while it
 * has a surviving non-zero change. setQuantity changes by the difference to what its writer saw.
 */
function cartModel(events: readonly ModelEvent<CartAction>[], visible: ReadonlySet<number>) {
  const memo = new Map<number, number>();
  const amount = (event: ModelEvent<CartAction>): number => {
    const { action } = event;
    if (action.kind === 'add') return action.qty;
    if (action.kind === 'take') return -action.qty;
    if (isReset(action) || action.kind !== 'set') return 0;
    let cached = memo.get(event.index);
    if (cached === undefined) {
      cached = action.qty - (lines(event.past)[action.product] ?? 0);
      memo.set(event.index, cached);
    }
    return cached;
  };
  function lines(seen: ReadonlySet<number>): Record<string, number> {
    const live = survivors(
      events,
      seen,
      (event) => amount(event) !== 0,
      (killer, victim) => isReset(killer.action) && killer.action.product === victim.action.product,
    );
    const quantities = new Map<string, number>();
    for (const event of live) {
      quantities.set(event.action.product, (quantities.get(event.action.product) ?? 0) + amount(event));
    }
    return Object.fromEntries([...quantities].sort(([p], [q]) => (p < q ? -1 : 1)));
  }
  return lines(visible);
}

const product = fc.constantFrom('apple', 'pear');
const cartAction: fc.Arbitrary<CartAction> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), product, qty: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('take' as const), product, qty: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('remove' as const), product }),
  fc.record({ kind: fc.constant('set' as const), product, qty: fc.integer({ min: 0, max: 5 }) }),
);

describe('Cart', () => {
  crdtLaws({
    create: () => new Cart(),
    action: cartAction,
    perform: (cart, replica, action) => {
      switch (action.kind) {
        case 'add':
          return cart.add(replica, action.product, action.qty);
        case 'take':
          return cart.decrement(replica, action.product, action.qty);
        case 'remove':
          return cart.remove(replica, action.product);
        case 'set':
          return cart.setQuantity(replica, action.product, action.qty);
      }
    },
    decode: Cart.decode,
    encodeOp: Cart.encodeOp,
    decodeOp: Cart.decodeOp,
    version: (cart) => cart.version(),
    model: cartModel,
  });

  function twoReplicasWith(qty: number): [Cart, Cart] {
    const x = new Cart();
    x.add(a, 'apple', qty);
    return [x, x.clone()];
  }

  it('a remove concurrent with an increment keeps the item with only the concurrent increment', () => {
    const [x, y] = twoReplicasWith(3);
    x.remove(a, 'apple');
    y.add(b, 'apple', 2);
    x.merge(y);
    y.merge(x);
    expect(x.value()).toEqual({ apple: 2 });
    expect(y.value()).toEqual({ apple: 2 });
  });

  it('a decrement is a counter step: concurrent with increments, every step counts', () => {
    const [x, y] = twoReplicasWith(6);
    x.add(a, 'apple', 1);
    x.add(a, 'apple', 1);
    y.decrement(b, 'apple', 1);
    x.merge(y);
    y.merge(x);
    expect(x.value()).toEqual({ apple: 7 });
    expect(y.value()).toEqual({ apple: 7 });
    expect(() => y.decrement(b, 'apple', 0)).toThrow(RangeError);
  });

  it('concurrent setQuantity calls add up their differences', () => {
    const [x, y] = twoReplicasWith(5);
    x.setQuantity(a, 'apple', 7);
    y.setQuantity(b, 'apple', 6);
    x.merge(y);
    expect(x.quantity('apple')).toBe(8);
  });

  it('shows a line that concurrent decrements took to zero or below (an oversell)', () => {
    const [x, y] = twoReplicasWith(3);
    x.setQuantity(a, 'apple', 1);
    y.setQuantity(b, 'apple', 1);
    x.merge(y);
    expect(x.value()).toEqual({ apple: -1 });
    expect(x.oversold()).toEqual([{ product: 'apple', quantity: -1 }]);
    x.setQuantity(a, 'apple', 2); // a user repairs it
    expect(x.value()).toEqual({ apple: 2 });
    expect(x.oversold()).toEqual([]);
  });

  it('a decrement concurrent with a remove leaves the negative difference', () => {
    const [x, y] = twoReplicasWith(5);
    x.setQuantity(a, 'apple', 3);
    y.remove(b, 'apple');
    x.merge(y);
    expect(x.value()).toEqual({ apple: -2 });
  });

  it('setQuantity 0 removes the line; removing what was seen leaves nothing behind', () => {
    const cart = new Cart();
    cart.add(a, 'apple', 2);
    cart.add(a, 'pear', 1);
    cart.setQuantity(a, 'apple', 0);
    expect(cart.value()).toEqual({ pear: 1 });
    expect(cart.has('apple')).toBe(false);
    expect(cart.lines()).toEqual([{ product: 'pear', quantity: 1 }]);
  });

  it('handles product ids that are special property names', () => {
    const cart = new Cart();
    cart.add(a, '__proto__', 1);
    cart.add(a, 'constructor', 2);
    const value = cart.value();
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBe(1);
  });

  it('rejects bad arguments with clear errors and keeps quantities safe', () => {
    const cart = new Cart();
    expect(() => cart.add(a, '', 1)).toThrow(TypeError);
    expect(() => cart.add(a, 'apple', 0)).toThrow(RangeError);
    expect(() => cart.setQuantity(a, 'apple', -1)).toThrow(RangeError);
    cart.add(a, 'apple', Number.MAX_SAFE_INTEGER);
    expect(() => cart.add(a, 'apple', 1)).toThrow(/safe integer range/);
    expect(cart.quantity('apple')).toBe(Number.MAX_SAFE_INTEGER);
    expect(cart.version().toString()).toBe('a:1'); // the refused change used no dot
  });

  it('refuses a merge that would overflow a line, changing nothing', () => {
    const x = new Cart();
    const y = new Cart();
    x.add(a, 'apple', Number.MAX_SAFE_INTEGER);
    y.add(b, 'apple', 1);
    const before = x.encode();
    expect(() => x.merge(y)).toThrow(RangeError);
    expect(x.encode()).toEqual(before);
    expect(() => x.apply(Cart.decodeOp(Cart.encodeOp(y.add(b, 'apple', 1))))).toThrow(RangeError);
    expect(x.encode()).toEqual(before);
  });
});
