import { describe, expect, it } from 'vitest';
import {
  cutOffFrom,
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

describe('presets', () => {
  it('isolates this replica and splits the room in halves with it in the first', () => {
    expect(isolatePreset('a')).toEqual({ op: 'isolate', node: 'a' });
    expect(splitInHalvesPreset(room, 'c')).toEqual({
      op: 'split',
      groups: [
        ['c', 'a'],
        ['b', 'storage'],
      ],
    });
    expect(splitInHalvesPreset({ ...room, nodes: [room.nodes[3]!] }, 'a')).toBeUndefined();
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
      engines: {
        converge: { frames: 0, bytes: 0 },
        yjs: { frames: yjs, bytes: yjs * 10 },
        automerge: { frames: 1, bytes: 5 },
        lww: { frames: 0, bytes: 0 },
      },
      dropped: { cut: dropped, chaos: 1 },
      duplicated: 2,
    });
    const total = roomTraffic([link('a', 'b', 3, 1), link('b', 'a', 4, 0)]);
    expect(total.engines.yjs).toEqual({ frames: 7, bytes: 70 });
    expect(total.engines.automerge).toEqual({ frames: 2, bytes: 10 });
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
