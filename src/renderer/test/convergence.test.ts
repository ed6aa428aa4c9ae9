import { ENGINES } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { comparedPeers, convergenceByEngine, engineConvergence } from '../logic/convergence.ts';

const v = (entries: Record<string, number>) => ({ kind: 'vector' as const, entries });

describe('engineConvergence', () => {
  const base = {
    digest: 'd1',
    version: v({ a: 1 }),
    peerDigests: new Map<string, string>(),
    peerVersions: {},
  };

  it('prefers digests, then versions, and says unknown without evidence', () => {
    const result = engineConvergence({
      ...base,
      completeVersion: true,
      peers: ['b', 'c', 'd'],
      peerDigests: new Map([['b', 'd1']]),
      peerVersions: { c: v({ a: 1 }) },
    });
    expect(result.peers).toEqual([
      { peer: 'b', same: true, basis: 'digest' },
      { peer: 'c', same: true, basis: 'version' },
      { peer: 'd', same: undefined, basis: 'none' },
    ]);
    expect(result.converged).toBeUndefined();
  });

  it('takes no peer digest as proof while its own digest is not known yet (a first status)', () => {
    const result = engineConvergence({
      ...base,
      digest: undefined,
      completeVersion: true,
      peers: ['b', 'c'],
      peerDigests: new Map([
        ['b', 'd1'],
        ['c', 'other'],
      ]),
    });
    expect(result.peers).toEqual([
      { peer: 'b', same: undefined, basis: 'none' },
      { peer: 'c', same: undefined, basis: 'none' },
    ]);
    expect(result.converged).toBeUndefined();
  });

  it('is false as soon as one peer differs, and undefined alone', () => {
    expect(
      engineConvergence({
        ...base,
        completeVersion: true,
        peers: ['b', 'c'],
        peerDigests: new Map([['b', 'other']]),
      }).converged,
    ).toBe(false);
    expect(engineConvergence({ ...base, completeVersion: true, peers: [] }).converged).toBeUndefined();
  });

  it('does not trust equal versions where they leave operations out (Yjs), but trusts that different ones differ', () => {
    const equal = engineConvergence({
      ...base,
      completeVersion: false,
      peers: ['b'],
      peerVersions: { b: v({ a: 1 }) },
    });
    expect(equal.converged).toBeUndefined();
    const behind = engineConvergence({
      ...base,
      completeVersion: false,
      peers: ['b'],
      peerVersions: { b: v({}) },
    });
    expect(behind.converged).toBe(false);
  });
});

describe('convergenceByEngine', () => {
  it('checks every engine against room replicas, session peers and digest announcers, never itself', () => {
    const state = { digest: 'd', version: v({ a: 1 }), peerVersions: { s: v({ a: 1 }) } };
    const digests = new Map([['c', { lww: 'd', yjs: 'x' }]]);
    const peers = comparedPeers('a', {
      sessionPeers: ['s'],
      roomReplicas: ['a', 'b'],
      digestPeers: digests.keys(),
    });
    expect(peers).toEqual(['b', 'c', 's']);
    const result = convergenceByEngine(ENGINES, { lww: state, yjs: state }, peers, digests);
    expect(result.lww?.peers.map((p) => p.peer)).toEqual(['b', 'c', 's']);
    expect(result.lww?.converged).toBeUndefined(); // b is unknown
    expect(result.yjs?.converged).toBe(false); // c's yjs digest differs
  });

  it("takes whether equal versions prove anything from each engine's descriptor", () => {
    const state = { digest: 'd', version: v({ a: 1 }), peerVersions: { b: v({ a: 1 }) } };
    const result = convergenceByEngine(ENGINES, { lww: state, yjs: state }, ['b'], new Map());
    expect(ENGINES.get('lww').completeVersion).toBe(true);
    expect(result.lww?.converged).toBe(true);
    expect(ENGINES.get('yjs').completeVersion).toBe(false);
    expect(result.yjs?.converged).toBeUndefined();
  });

  it('offline, still counts the peers it knew when online (not "1 of 1" with three in the room)', () => {
    // The relay lists only the nodes connected now: another window that went offline, and the storage
    // peer (not a "replica" node), are missing from it.
    const now = { sessionPeers: [], roomReplicas: ['a', 'c'], digestPeers: [] };
    expect(comparedPeers('a', now)).toEqual(['c']);
    expect(comparedPeers('a', now, ['b', 'c', 'storage'])).toEqual(['b', 'c', 'storage']);
    const state = { digest: 'd', version: v({ a: 1 }), peerVersions: {} };
    const result = convergenceByEngine(
      ENGINES,
      { converge: state },
      comparedPeers('a', now, ['b', 'c', 'storage']),
      new Map(),
    );
    expect(result.converge).toEqual({
      converged: undefined,
      peers: ['b', 'c', 'storage'].map((peer) => ({ peer, same: undefined, basis: 'none' })),
    });
  });
});
