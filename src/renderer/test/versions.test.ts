import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { automergeHeadsResolver } from '../logic/automerge-heads.ts';
import { compareVersions, describeVersion } from '../logic/versions.ts';

const vector = (entries: Record<string, number>) => ({ kind: 'vector' as const, entries });

describe('compareVersions (vectors)', () => {
  it('lists per replica what each side has that the other lacks', () => {
    const result = compareVersions(vector({ a: 5, b: 2 }), vector({ a: 3, b: 4, c: 1 }));
    expect(result.relation).toBe('concurrent');
    expect(result.has).toEqual([{ who: 'a', count: 2, detail: '#4–#5' }]);
    expect(result.lacks).toEqual([
      { who: 'b', count: 2, detail: '#3–#4' },
      { who: 'c', count: 1, detail: '#1' },
    ]);
  });

  it('says equal, ahead or behind', () => {
    expect(compareVersions(vector({ a: 1 }), vector({ a: 1 })).relation).toBe('equal');
    expect(compareVersions(vector({ a: 2 }), vector({ a: 1 })).relation).toBe('ahead');
    expect(compareVersions(vector({}), vector({ a: 1 })).relation).toBe('behind');
  });

  it('is unknown without the peer’s version or with a different kind', () => {
    expect(compareVersions(vector({ a: 1 }), undefined).relation).toBe('unknown');
    expect(compareVersions(vector({ a: 1 }), { kind: 'heads', heads: [] }).relation).toBe('unknown');
  });

  it('orders numeric keys (Yjs client ids) numerically', () => {
    const result = compareVersions(vector({ '10': 1, '9': 1, x: 1 }), vector({}));
    expect(result.has.map((g) => g.who)).toEqual(['9', '10', 'x']);
  });
});

describe('compareVersions (Automerge heads)', () => {
  it('without a resolver only tells whether heads differ', () => {
    expect(
      compareVersions({ kind: 'heads', heads: ['x', 'y'] }, { kind: 'heads', heads: ['y', 'x'] }).relation,
    ).toBe('equal');
    const different = compareVersions({ kind: 'heads', heads: ['x'] }, { kind: 'heads', heads: ['y'] });
    expect(different.relation).toBe('different');
  });

  it('with the change graph counts the changes the peer lacks and the heads we do not know', () => {
    let base = A.from<{ n: number[] }>({ n: [] }, { actor: 'aa' });
    let mine = A.clone(base, { actor: 'bb' });
    mine = A.change(mine, (d) => {
      d.n.push(1);
    });
    mine = A.change(mine, (d) => {
      d.n.push(2);
    });
    base = A.change(base, (d) => {
      d.n.push(3);
    });
    const resolver = automergeHeadsResolver(() => mine);
    const baseHeads = { kind: 'heads' as const, heads: A.getHeads(base) };
    const myHeads = { kind: 'heads' as const, heads: A.getHeads(mine) };
    const result = compareVersions(myHeads, baseHeads, resolver);
    expect(result.relation).toBe('concurrent');
    // The peer's head is unknown here, so what it covers of ours is unknown too: an upper bound (all 3).
    expect(result.has[0]?.count).toBe(3);
    expect(result.has[0]?.detail).toContain('at most');
    expect(result.lacks[0]?.count).toBe(1);

    const merged = A.merge(A.clone(mine), base);
    const behind = compareVersions(myHeads, { kind: 'heads', heads: A.getHeads(merged) }, resolver);
    expect(behind.relation).toBe('behind');

    const older = A.clone(mine);
    const ahead = compareVersions(
      { kind: 'heads', heads: A.getHeads(merged) },
      { kind: 'heads', heads: A.getHeads(older) },
      automergeHeadsResolver(() => merged),
    );
    expect(ahead).toMatchObject({ relation: 'ahead', has: [{ who: 'changes', count: 1 }], lacks: [] });
  });
});

describe('describeVersion', () => {
  it('says it in plain words, with the technical terms for the tooltip', () => {
    expect(describeVersion({ kind: 'vector', entries: { a: 3, b: 17 } })).toEqual({
      plain: '20 steps from 2 writers',
      technical:
        'version vector: 2 entries, sum 20 (for each writer, how many of its operations this replica holds)',
    });
    expect(describeVersion({ kind: 'vector', entries: {} }).plain).toBe('nothing yet');
    expect(describeVersion({ kind: 'heads', heads: ['abcdef0123456789'] }).plain).toMatch(
      /^history up to change /,
    );
    expect(describeVersion({ kind: 'heads', heads: ['a', 'b'] })).toEqual({
      plain: '2 lines of history not yet joined by a later change',
      technical: 'Automerge heads (the latest changes): 2',
    });
  });
});
