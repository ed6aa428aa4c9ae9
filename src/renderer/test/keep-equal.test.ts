import { describe, expect, it } from 'vitest';
import { keepEqual } from '../logic/keep-equal.ts';

describe('keepEqual', () => {
  it('returns the previous value wherever the next one holds equal data', () => {
    const previous = { a: { b: [1, 2, { c: 'x' }] }, d: new Map([['k', { e: 1 }]]), f: 1 };
    const next = structuredClone(previous);
    expect(keepEqual(previous, next)).toBe(previous);

    const changed = structuredClone(previous);
    changed.f = 2;
    const kept = keepEqual(previous, changed);
    expect(kept).not.toBe(previous);
    expect(kept).toEqual(changed);
    expect(kept.a).toBe(previous.a);
    expect(kept.d).toBe(previous.d);

    const deeper = structuredClone(previous);
    (deeper.a.b[2] as { c: string }).c = 'y';
    const out = keepEqual(previous, deeper);
    expect(out.a.b).not.toBe(previous.a.b);
    expect(out.a.b[2]).toEqual({ c: 'y' });
    expect(out.d).toBe(previous.d);
  });

  it('tells added, removed and reordered entries apart', () => {
    expect(keepEqual({ a: 1 }, { a: 1, b: 2 })).toEqual({ a: 1, b: 2 });
    const previous = { a: 1, b: 2 };
    expect(keepEqual(previous, { a: 1 })).not.toBe(previous);
    const list = [1, 2];
    expect(keepEqual(list, [2, 1])).toEqual([2, 1]);
    expect(keepEqual(list, [1, 2, 3])).toEqual([1, 2, 3]);
    const map = new Map([['a', 1]]);
    expect(keepEqual(map, new Map([['b', 1]]))).toEqual(new Map([['b', 1]]));
    expect(keepEqual(map, new Map([['a', 1]]))).toBe(map);
    expect(keepEqual({ a: [1] }, { a: { 0: 1 } })).toEqual({ a: { 0: 1 } });
  });

  it('compares other objects by identity, and keeps accessors of the previous object uncompared', () => {
    const set = new Set([1]);
    expect(keepEqual(set, new Set([1]))).not.toBe(set);
    const view = { likes: 1 } as { likes: number; text?: string };
    Object.defineProperty(view, 'text', { get: () => 'the page reads this', enumerable: true });
    const kept = keepEqual(view, { likes: 1, text: '' });
    expect(kept).toBe(view);
    expect(kept.text).toBe('the page reads this');
    expect(keepEqual(view, { likes: 2, text: '' })).toEqual({ likes: 2, text: '' });
  });
});

describe('keepEqual, the parts kept before a difference', () => {
  it('keeps the identity of equal parts that come before the first changed one', () => {
    const previous = { a: { x: 1 }, b: [{ y: 1 }, { y: 2 }], c: 1 };
    const next = structuredClone(previous);
    next.c = 2;
    next.b[1] = { y: 3 };
    const kept = keepEqual(previous, next);
    expect(kept).toEqual(next);
    expect(kept.a).toBe(previous.a);
    expect(kept.b[0]).toBe(previous.b[0]);
    expect(kept.b[1]).toEqual({ y: 3 });
  });
});
