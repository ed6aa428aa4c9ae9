import { describe, expect, it } from 'vitest';
import { placementOf, placeStorage, storagePlacementProblem } from '../src/storage-placement.ts';

describe('storage placement', () => {
  const halves = [['a', 'b'], ['c']];

  it('places the storage peer alone, with a node, or linked to every group', () => {
    expect(placeStorage(halves, 'alone')).toEqual({
      groups: [['a', 'b'], ['c'], ['storage']],
      bridge: undefined,
    });
    expect(placeStorage(halves, 'with-c')).toEqual({
      groups: [
        ['a', 'b'],
        ['c', 'storage'],
      ],
      bridge: undefined,
    });
    expect(placeStorage(halves, 'with-d')).toEqual({
      groups: [['a', 'b'], ['c'], ['d', 'storage']],
      bridge: undefined,
    });
    expect(placeStorage(halves, 'everywhere')).toEqual({ groups: halves, bridge: 'storage' });
    expect(() => placeStorage([['a', 'storage'], ['b']], 'alone')).toThrow(/say where it goes/);
  });

  it('reads a placement back from groups that name the storage peer', () => {
    for (const placement of ['alone', 'with-c', 'with-a', 'everywhere'] as const) {
      const placed = placeStorage(halves, placement);
      const back = placementOf(placed.groups, placed.bridge);
      expect(back.groups).toEqual(halves);
      // with-a and with-b mean the same group; the first window of the group names it.
      expect(back.storage).toBe(placement === 'with-a' ? 'with-a' : placement);
    }
    expect(placementOf([['a'], ['b']])).toEqual({ groups: [['a'], ['b']], storage: 'alone' });
  });

  it('names what is wrong with a bad placement', () => {
    expect(storagePlacementProblem('alone')).toBeUndefined();
    expect(storagePlacementProblem('with-r-1')).toBeUndefined();
    expect(storagePlacementProblem('nowhere')).toMatch(/"alone", "everywhere" or "with-<node id>"/);
    expect(storagePlacementProblem('with-')).toMatch(/must not be empty/);
    expect(storagePlacementProblem('with-storage')).toMatch(/itself/);
    expect(storagePlacementProblem(3)).toBeDefined();
  });
});
