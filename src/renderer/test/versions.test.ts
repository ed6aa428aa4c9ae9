import { ENGINES, type Engine } from '@converge/replica';
import { afterEach, describe, expect, it } from 'vitest';
import { compareVersions, describeVersion, VersionComparisons } from '../logic/versions.ts';

// Heads come from the engine whose descriptor offers a resolver for them (Automerge's).
const withHeads = ENGINES.descriptors.find((d) => d.heads !== undefined);
const opened: Engine[] = [];
afterEach(() => {
  for (const engine of opened.splice(0)) engine.close();
});
function headsEngine(id: string, seed: number): Engine {
  if (withHeads === undefined) throw new Error('no registered engine reports heads');
  let n = seed;
  const engine = withHeads.create({ replicaId: id, now: () => 0, randomUint32: () => ++n });
  opened.push(engine);
  return engine;
}
function heads(engine: Engine): { kind: 'heads'; heads: readonly string[] } {
  const version = engine.version();
  if (version.kind !== 'heads') throw new Error('expected heads');
  return version;
}

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
    const resolverOf = (engine: Engine) => withHeads?.heads?.(engine);
    const mine = headsEngine('bb', 1);
    const base = headsEngine('aa', 100);
    mine.apply({ op: 'note.set', value: 'one' });
    mine.apply({ op: 'note.set', value: 'two' });
    base.apply({ op: 'note.set', value: 'three' });
    const result = compareVersions(heads(mine), heads(base), resolverOf(mine));
    expect(result.relation).toBe('concurrent');
    // The peer's head is unknown here, so what it covers of ours is unknown too: an upper bound (all 3,
    // the shared first change included).
    expect(result.has[0]?.count).toBe(3);
    expect(result.has[0]?.detail).toContain('at most');
    expect(result.lacks[0]?.count).toBe(1);

    const merged = headsEngine('cc', 200);
    merged.applyUpdate(mine.save());
    merged.applyUpdate(base.save());
    const behind = compareVersions(heads(mine), heads(merged), resolverOf(mine));
    expect(behind.relation).toBe('behind');

    const ahead = compareVersions(heads(merged), heads(mine), resolverOf(merged));
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

describe('VersionComparisons', () => {
  it('asks the resolver again only when one of the two versions changed', () => {
    let resolvers = 0;
    const resolver = () => {
      resolvers++;
      return { unknown: () => [], changesNotIn: () => 1 };
    };
    const comparisons = new VersionComparisons();
    const mine = { kind: 'heads' as const, heads: ['m1'] };
    const theirs = { kind: 'heads' as const, heads: ['t1'] };
    for (let round = 0; round < 3; round++) {
      expect(comparisons.compare('automerge/b', mine, { ...theirs }, resolver).relation).toBe('ahead');
      comparisons.endRound();
    }
    expect(resolvers).toBe(1);
    comparisons.compare('automerge/b', { kind: 'heads', heads: ['m2'] }, theirs, resolver);
    comparisons.compare('automerge/c', mine, theirs, resolver);
    comparisons.endRound();
    expect(resolvers).toBe(3);
    // A key not asked for in a round is forgotten.
    comparisons.endRound();
    comparisons.compare('automerge/c', mine, theirs, resolver);
    expect(resolvers).toBe(4);
  });
});
