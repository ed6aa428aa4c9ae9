import { describe, expect, it } from 'vitest';
import { convergenceByEngine, engineConvergence } from '../logic/convergence.ts';
import { DigestBeacon } from '../logic/digest-beacon.ts';
import { FakeBroadcast } from './support.ts';

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
      engine: 'lww',
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

  it('is false as soon as one peer differs, and undefined alone', () => {
    expect(
      engineConvergence({ ...base, engine: 'lww', peers: ['b', 'c'], peerDigests: new Map([['b', 'other']]) })
        .converged,
    ).toBe(false);
    expect(engineConvergence({ ...base, engine: 'lww', peers: [] }).converged).toBeUndefined();
  });

  it('does not trust equal Yjs state vectors (they leave deletions out), but trusts that different ones differ', () => {
    const equal = engineConvergence({
      ...base,
      engine: 'yjs',
      peers: ['b'],
      peerVersions: { b: v({ a: 1 }) },
    });
    expect(equal.converged).toBeUndefined();
    const behind = engineConvergence({ ...base, engine: 'yjs', peers: ['b'], peerVersions: { b: v({}) } });
    expect(behind.converged).toBe(false);
  });
});

describe('DigestBeacon', () => {
  it('shares digests between windows, answers newcomers and forgets windows that close', () => {
    const bus = new FakeBroadcast();
    const a = new DigestBeacon(bus.channel(), 'a', () => 1);
    a.publish({ yjs: 'x' });
    const b = new DigestBeacon(bus.channel(), 'b', () => 2); // its hello makes a announce again
    expect(b.peers().get('a')?.digests).toEqual({ yjs: 'x' });
    b.publish({ yjs: 'y', lww: 'z' });
    expect(a.peers().get('b')?.digests).toEqual({ yjs: 'y', lww: 'z' });
    b.close();
    expect(a.peers().has('b')).toBe(false);
  });

  it('ignores malformed messages', () => {
    const bus = new FakeBroadcast();
    const a = new DigestBeacon(bus.channel(), 'a', () => 1);
    const raw = bus.channel();
    for (const junk of [
      null,
      42,
      { type: 'digests' },
      { type: 'digests', report: { replica: '', at: 1, digests: {} } },
      { type: 'hello', replica: 7 },
    ]) {
      raw.postMessage(junk);
    }
    raw.postMessage({
      type: 'digests',
      report: { replica: 'z', at: 1, digests: { yjs: 5, lww: 'ok', bogus: 'x' } },
    });
    expect([...a.peers().keys()]).toEqual(['z']);
    expect(a.peers().get('z')?.digests).toEqual({ lww: 'ok' });
  });
});

describe('convergenceByEngine', () => {
  it('checks every engine against room replicas, session peers and digest reporters, never itself', () => {
    const state = { digest: 'd', version: v({ a: 1 }), peerVersions: { s: v({ a: 1 }) } };
    const result = convergenceByEngine(
      'a',
      { lww: state, yjs: state },
      ['s'],
      ['a', 'b'],
      new Map([['c', { lww: 'd', yjs: 'x' }]]),
    );
    expect(result.lww?.peers.map((p) => p.peer)).toEqual(['b', 'c', 's']);
    expect(result.lww?.converged).toBeUndefined(); // b is unknown
    expect(result.yjs?.converged).toBe(false); // c's yjs digest differs
  });
});

describe('DigestBeacon liveness', () => {
  it('re-announces unchanged digests periodically and forgets windows that went silent', () => {
    const bus = new FakeBroadcast();
    let now = 0;
    const a = new DigestBeacon(bus.channel(), 'a', () => now);
    const b = new DigestBeacon(bus.channel(), 'b', () => now);
    a.publish({ yjs: 'x' });
    expect(b.peers().get('a')?.at).toBe(0);
    now = 5_000;
    a.publish({ yjs: 'x' }); // unchanged and recent: not sent
    expect(b.peers().get('a')?.at).toBe(0);
    now = 10_000;
    a.publish({ yjs: 'x' }); // heartbeat
    expect(b.peers().get('a')?.at).toBe(10_000);
    now = 40_001;
    expect(b.peers().has('a')).toBe(false);
  });
});
