import { ENGINES } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import {
  cutOffFrom,
  describeSplit,
  indirectPairs,
  isolatePreset,
  linkMatrix,
  roomTraffic,
  scenarioChaosOf,
  slidersOf,
  splitInHalvesPreset,
  toggleLink,
} from '../logic/network.ts';
import type { LinkTraffic, RoomInfo } from '../logic/relay-admin.ts';

const room: RoomInfo = {
  id: 'r',
  nodes: [
    { id: 'storage', role: 'storage', reachable: ['a', 'c'] },
    { id: 'c', role: 'replica', reachable: ['storage'] },
    { id: 'b', role: 'replica', reachable: [] },
    { id: 'a', role: 'replica', reachable: ['storage'] },
  ],
  cut: [
    { from: 'a', to: 'b' },
    { from: 'c', to: 'b' },
    { from: 'b', to: 'storage' },
    { from: 'a', to: 'c' },
  ],
  chaos: { room: null, links: [] },
};

describe('linkMatrix', () => {
  it('puts this replica first, then replicas, then other roles, and marks cut links', () => {
    const matrix = linkMatrix(room, 'b');
    expect(matrix.nodes.map((n) => n.id)).toEqual(['b', 'a', 'c', 'storage']);
    expect(matrix.rows[0]?.[0]).toBeUndefined();
    expect(matrix.rows[1]?.[0]).toEqual({ from: 'a', to: 'b', up: false });
    expect(matrix.rows[0]?.[1]).toEqual({ from: 'b', to: 'a', up: true });
    expect(toggleLink({ from: 'a', to: 'b', up: false })).toEqual({ op: 'heal', from: 'a', to: 'b' });
    expect(toggleLink({ from: 'b', to: 'a', up: true })).toEqual({ op: 'cut', from: 'b', to: 'a' });
  });
});

describe('indirect routes', () => {
  it('never go through the checkout authority, nor to it', () => {
    const withAuthority: RoomInfo = {
      id: 'r',
      nodes: [
        { id: 'authority', role: 'storage', reachable: ['a', 'b'] },
        { id: 'a', role: 'replica', reachable: ['authority'] },
        { id: 'b', role: 'replica', reachable: ['authority'] },
        { id: 'c', role: 'replica', reachable: ['a'] },
      ],
      cut: [
        { from: 'a', to: 'b' },
        { from: 'c', to: 'authority' },
      ],
      chaos: { room: null, links: [] },
    };
    expect(indirectPairs(linkMatrix(withAuthority, 'a'))).toEqual([]);
  });
});

describe('presets', () => {
  it('isolates this replica from every node, the storage peer included', () => {
    expect(isolatePreset('a')).toEqual({ op: 'isolate', node: 'a' });
  });

  it('splits the windows in halves, this replica in the first, and places the storage peer', () => {
    expect(splitInHalvesPreset(room, 'c', 'alone')).toEqual({
      op: 'split',
      groups: [['c', 'a'], ['b']],
      storage: 'alone',
    });
    expect(splitInHalvesPreset(room, 'c', 'mine')?.storage).toBe('with-c');
    expect(splitInHalvesPreset(room, 'c', 'theirs')?.storage).toBe('with-b');
    expect(splitInHalvesPreset(room, 'c', 'everywhere')?.storage).toBe('everywhere');
    expect(
      splitInHalvesPreset({ ...room, nodes: [room.nodes[3]!, room.nodes[0]!] }, 'a', 'alone'),
    ).toBeUndefined();
  });

  // Issue 17 item 4: with two windows, "split in halves" put both windows on one side and the storage
  // peer on the other, so nothing was split.
  it('puts two windows on different sides, whatever the storage peer does', () => {
    const two: RoomInfo = {
      id: 'r',
      nodes: [
        { id: 'storage', role: 'storage', reachable: ['a', 'b'] },
        { id: 'a', role: 'replica', reachable: ['b', 'storage'] },
        { id: 'b', role: 'replica', reachable: ['a', 'storage'] },
      ],
      cut: [],
      chaos: { room: null, links: [] },
    };
    const split = splitInHalvesPreset(two, 'a', 'alone');
    expect(split?.groups).toEqual([['a'], ['b']]);
    expect(describeSplit(split!)).toBe('a  |  b; the storage peer alone (cut off from both halves)');
    expect(describeSplit(splitInHalvesPreset(two, 'a', 'everywhere')!)).toContain(
      'edits cross the split through it',
    );
    // A relay without a storage peer: nothing to place.
    const bare = { ...two, nodes: two.nodes.slice(1) };
    expect(splitInHalvesPreset(bare, 'a', 'alone')).toEqual({ op: 'split', groups: [['a'], ['b']] });
  });
});

// Issue 17 item 5: cutting the links between two windows left them syncing through the storage peer,
// and the matrix showed only "cut".
describe('routes around a cut', () => {
  it('marks a cut pair that still reaches each other through a third node', () => {
    const routed: RoomInfo = {
      id: 'r',
      nodes: [
        { id: 'storage', role: 'storage', reachable: ['a', 'b'] },
        { id: 'a', role: 'replica', reachable: ['storage'] },
        { id: 'b', role: 'replica', reachable: ['storage'] },
        { id: 'c', role: 'replica', reachable: [] },
      ],
      cut: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'a' },
        { from: 'c', to: 'a' },
        { from: 'c', to: 'b' },
        { from: 'c', to: 'storage' },
      ],
      chaos: { room: null, links: [] },
    };
    const matrix = linkMatrix(routed, 'a');
    expect(matrix.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c', 'storage']);
    expect(matrix.rows[0]?.[1]).toEqual({ from: 'a', to: 'b', up: false, via: ['storage'] });
    expect(matrix.rows[1]?.[0]).toEqual({ from: 'b', to: 'a', up: false, via: ['storage'] });
    // c is cut off from everyone: no way round.
    expect(matrix.rows[0]?.[2]).toEqual({ from: 'a', to: 'c', up: true });
    expect(matrix.rows[0]?.[3]).toEqual({ from: 'a', to: 'storage', up: true });
    expect(indirectPairs(matrix)).toEqual([{ a: 'a', b: 'b', via: ['storage'] }]);
  });
});

describe('cutOffFrom', () => {
  it('lists the nodes this replica cannot reach', () => {
    expect(cutOffFrom(room, 'a')).toEqual(['b', 'c']);
    expect(cutOffFrom(room, 'nobody')).toBeUndefined();
  });
});

describe('roomTraffic', () => {
  it('sums frames and bytes per engine and drops per reason over the links', () => {
    const link = (from: string, to: string, yjs: number, dropped: number): LinkTraffic => ({
      from,
      to,
      // By channel: 1 is yjs, 2 automerge; 9 stands for no engine of ours and is left out.
      channels: {
        '1': { frames: yjs, bytes: yjs * 10 },
        '2': { frames: 1, bytes: 5 },
        '9': { frames: 4, bytes: 4 },
      },
      dropped: { cut: dropped, chaos: 1 },
      duplicated: 2,
    });
    const total = roomTraffic(ENGINES, [link('a', 'b', 3, 1), link('b', 'a', 4, 0)]);
    expect(total.engines.yjs).toEqual({ frames: 7, bytes: 70 });
    expect(total.engines.automerge).toEqual({ frames: 2, bytes: 10 });
    expect(total.engines.lww).toEqual({ frames: 0, bytes: 0 });
    expect(total.dropped).toEqual({ cut: 1, chaos: 2 });
    expect(total.duplicated).toBe(4);
  });
});

describe('chaos sliders', () => {
  it('read the relay config and export as a scenario chaos step', () => {
    const sliders = slidersOf({
      delayMs: 120,
      jitterMs: 0,
      dropRate: 0.1,
      duplicateRate: 0.05,
      reorderWindow: 4,
      reorderHoldMs: 50,
      seed: 42,
    });
    expect(scenarioChaosOf(sliders)).toEqual({
      drop: 0.1,
      duplicate: 0.05,
      reorder: 0.75,
      delayMs: 120,
      seed: 42,
    });
    expect(scenarioChaosOf(slidersOf(null)).reorder).toBe(0);
  });
});
