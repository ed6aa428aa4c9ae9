import { integerCodec, OrSet, replicaId, stringCodec } from '@converge/crdt-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crdtLaws, type ModelEvent, survivors } from './support/crdt-laws.ts';

const a = replicaId('a');
const b = replicaId('b');

interface SetAction {
  readonly add: boolean;
  readonly element: string;
}

/** Add-wins reference: an element is in iff one of its adds is not in the past of any of its removes. */
function addWinsModel(events: readonly ModelEvent<SetAction>[], visible: ReadonlySet<number>): string[] {
  const live = survivors(
    events,
    visible,
    (event) => event.action.add,
    (killer, victim) => !killer.action.add && killer.action.element === victim.action.element,
  );
  return [...new Set(live.map((event) => event.action.element))].sort();
}

describe('OrSet', () => {
  crdtLaws({
    create: () => new OrSet(stringCodec),
    action: fc.record({ add: fc.boolean(), element: fc.constantFrom('x', 'y', 'z') }),
    perform: (set, replica, { add, element }) =>
      add ? set.add(replica, element) : set.remove(replica, element),
    decode: (bytes) => OrSet.decode(bytes, stringCodec),
    encodeOp: (op) => OrSet.encodeOp(op, stringCodec),
    decodeOp: (bytes) => OrSet.decodeOp(bytes, stringCodec),
    version: (set) => set.version(),
    model: addWinsModel,
  });

  it('an add concurrent with a remove wins', () => {
    const x = new OrSet(stringCodec);
    x.add(a, 'milk');
    const y = x.clone();
    x.remove(a, 'milk');
    y.add(b, 'milk');
    x.merge(y);
    expect(x.value()).toEqual(['milk']);
    expect(x.has('milk')).toBe(true);
  });

  it('a remove deletes only what it observed, and leaves no tombstone', () => {
    const x = new OrSet(stringCodec);
    x.add(a, 'milk');
    x.add(a, 'milk'); // re-tags: still one dot
    const remove = x.remove(a, 'milk');
    expect(remove.observed).toEqual([{ replica: a, counter: 2 }]);
    expect(x.value()).toEqual([]);
    expect(x.size).toBe(0);
    // The context stays a version vector: nothing per removed element.
    expect(x.version().toString()).toBe('a:3');
  });

  it('a remove that arrives before the add it observed still removes it', () => {
    const source = new OrSet(stringCodec);
    const add = source.add(a, 'tea');
    const remove = source.remove(b, 'tea');
    const sink = new OrSet(stringCodec);
    expect(sink.apply(remove)).toBe(true);
    expect(sink.apply(add)).toBe(false); // the remove's context already covers it
    expect(sink.value()).toEqual([]);
    expect(sink.version().toString()).toBe('a:1 b:1');
  });

  it('works with any value codec', () => {
    const set = new OrSet(integerCodec);
    set.add(a, 10);
    set.add(b, -3);
    set.remove(a, 10);
    const copy = OrSet.decode(set.encode(), integerCodec);
    expect(copy.value()).toEqual([-3]);
    expect(() => set.add(a, 1.5)).toThrow(TypeError);
  });
});
