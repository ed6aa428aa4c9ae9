// The link table alone: directed cuts, presets, validation, generations.
import { describe, expect, it } from 'vitest';
import { LinkOperationError, LinkTable } from '../src/link-table.ts';

const reach = (t: LinkTable, nodes: string[]): string[] => {
  const out: string[] = [];
  for (const a of nodes) for (const b of nodes) if (a < b && t.reachable(a, b)) out.push(`${a}${b}`);
  return out;
};

describe('LinkTable', () => {
  it('cuts and heals directed links; reachable needs both directions', () => {
    const t = new LinkTable();
    t.apply({ op: 'cut', from: 'a', to: 'b' }, ['a', 'b']);
    expect(t.isUp('a', 'b')).toBe(false);
    expect(t.isUp('b', 'a')).toBe(true);
    expect(t.reachable('a', 'b')).toBe(false);
    t.apply({ op: 'heal', from: 'a', to: 'b' }, ['a', 'b']);
    expect(t.reachable('a', 'b')).toBe(true);
    t.apply({ op: 'cut', from: 'a', to: 'b', bothWays: true }, []);
    expect(t.cutLinks()).toEqual([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'a' },
    ]);
  });

  it('counts a generation per cut, not per repeated cut', () => {
    const t = new LinkTable();
    t.apply({ op: 'cut', from: 'a', to: 'b' }, []);
    t.apply({ op: 'cut', from: 'a', to: 'b' }, []);
    expect(t.generation('a', 'b')).toBe(1);
    t.apply({ op: 'heal-all' }, []);
    t.apply({ op: 'cut', from: 'a', to: 'b' }, []);
    expect(t.generation('a', 'b')).toBe(2);
    expect(t.generation('b', 'a')).toBe(0);
  });

  it('isolate, split, bridge and heal-all', () => {
    const nodes = ['a', 'b', 'c', 'd'];
    const t = new LinkTable();
    t.apply({ op: 'isolate', node: 'a' }, nodes);
    expect(reach(t, nodes)).toEqual(['bc', 'bd', 'cd']);
    t.apply({ op: 'split', groups: [['a', 'b'], ['c'], ['d']] }, nodes);
    expect(reach(t, nodes)).toEqual(['ab']);
    t.apply({ op: 'bridge', node: 'c', groups: [['a', 'b'], ['d']] }, nodes);
    expect(reach(t, nodes)).toEqual(['ab', 'ac', 'bc', 'cd']);
    t.apply({ op: 'heal-all' }, nodes);
    expect(reach(t, nodes)).toEqual(['ab', 'ac', 'ad', 'bc', 'bd', 'cd']);
    expect(t.isDefault()).toBe(true);
  });

  it('splits the windows and places the storage peer where the operation says', () => {
    const nodes = ['a', 'b', 'c', 'storage'];
    const t = new LinkTable();
    const groups = [['a', 'b'], ['c']];
    t.apply({ op: 'split', groups, storage: 'alone' }, nodes);
    expect(reach(t, nodes)).toEqual(['ab']);
    t.apply({ op: 'split', groups, storage: 'with-c' }, nodes);
    expect(reach(t, nodes)).toEqual(['ab', 'cstorage']);
    t.apply({ op: 'split', groups, storage: 'with-b' }, nodes);
    expect(reach(t, nodes)).toEqual(['ab', 'astorage', 'bstorage']);
    // Everywhere: the storage peer bridges the halves (edits cross the split through it).
    t.apply({ op: 'split', groups, storage: 'everywhere' }, nodes);
    expect(reach(t, nodes)).toEqual(['ab', 'astorage', 'bstorage', 'cstorage']);
  });

  it('puts the checkout authority with the first group unless the split places it', () => {
    const t = new LinkTable();
    const present = ['a', 'b', 'c', 'authority'];
    t.apply({ op: 'split', groups: [['a'], ['b', 'c']] }, present);
    expect(reach(t, present)).toEqual(['aauthority', 'bc']);
    t.apply({ op: 'split', groups: [['a'], ['b', 'c', 'authority']] }, present);
    expect(reach(t, present)).toEqual(['bc', 'authorityb', 'authorityc']);
  });

  it('says where to put the storage peer when a split leaves it out', () => {
    const t = new LinkTable();
    expect(() => t.apply({ op: 'split', groups: [['a'], ['b']] }, ['a', 'b', 'storage'])).toThrow(
      /missing: storage \(say where the storage peer goes: "storage": "alone" \| "everywhere"/,
    );
  });

  it('rejects invalid operations without changing anything', () => {
    const t = new LinkTable();
    const nodes = ['a', 'b', 'c'];
    t.apply({ op: 'cut', from: 'a', to: 'c' }, nodes);
    const before = t.cutLinks();
    const bad = [
      { op: 'split', groups: [['a', 'b']] },
      { op: 'split', groups: [['a'], ['b']] },
      {
        op: 'split',
        groups: [
          ['a', 'b'],
          ['b', 'c'],
        ],
      },
      { op: 'split', groups: [['a', 'b'], []] },
      { op: 'split', groups: [['a'], ['b', 'c']], storage: 'nowhere' },
      { op: 'split', groups: [['a'], ['b', 'c']], storage: 'with-' },
      { op: 'split', groups: [['a'], ['b', 'c', 'storage']], storage: 'alone' },
      { op: 'split', groups: [['a', 'b', 'c']], storage: 'with-a' },
      { op: 'bridge', node: 'a', groups: [['a', 'b'], ['c']] },
      { op: 'cut', from: 'a', to: 'a' },
      { op: 'cut', from: 'a b', to: 'c' },
      { op: 'isolate', node: '' },
      { op: 'explode' },
    ] as const;
    for (const operation of bad) {
      expect(() => t.apply(operation as never, nodes), JSON.stringify(operation)).toThrow(LinkOperationError);
      expect(t.cutLinks()).toEqual(before);
    }
  });
});
