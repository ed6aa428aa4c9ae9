import { EMPTY_VIEW, type LostWrite } from '@converge/replica';
import type { MergeReport } from '@converge/scenarios/report';
import { describe, expect, it } from 'vitest';
import { compareReport } from '../logic/compare-report.ts';

const view = (apple: number, note: string[]) => ({ ...EMPTY_VIEW, text: 'hi', cart: { apple }, note });

describe('the Compare panel as a merge report', () => {
  it('holds every engine state of this window, the differences and the lost writes, in the runner format', () => {
    const lost: LostWrite = {
      replica: 'bob',
      counter: 2,
      op: 'cart.add',
      field: 'cart/apple',
      value: 8,
      wallMs: 1,
      skewMs: 0,
      overwrittenBy: { replica: 'alice', counter: 3, value: 5, wallMs: 2, skewMs: 0 },
      reason: 'concurrent',
    };
    const write = (replica: string, counter: number, value: number, skewMs: number) => ({
      replica,
      counter,
      op: 'cart.add' as const,
      field: 'cart/apple' as const,
      value,
      wallMs: counter,
      skewMs,
      vector: { [replica]: counter },
    });
    const report: MergeReport = compareReport({
      name: 'Compare panel of alice',
      self: 'alice',
      relayUrl: 'ws://127.0.0.1:5173/relay',
      room: 'lab',
      storagePeer: true,
      start: { converge: view(6, []) },
      order: ['converge', 'yjs', 'automerge', 'lww'],
      engines: {
        converge: { view: view(7, ['x']), digest: 'c' },
        yjs: { view: view(5, ['x']), digest: 'y' },
        automerge: { view: view(7, ['x']), digest: 'a' },
        lww: { view: view(5, ['x']), digest: 'l' },
      },
      convergence: {
        converge: { converged: true, peers: [{ peer: 'bob', same: true, basis: 'digest' }] },
        yjs: { converged: undefined, peers: [{ peer: 'bob', same: undefined, basis: 'none' }] },
        automerge: { converged: false, peers: [{ peer: 'bob', same: false, basis: 'digest' }] },
      },
      // Two writes of one line, neither having seen the other, one from a skewed clock.
      ledgers: { lww: { lost: [lost], writes: [write('alice', 1, 5, 0), write('bob', 2, 8, 5000)] } },
    });
    expect(report.name).toBe('Compare panel of alice');
    expect(report.world).toEqual({
      kind: 'window',
      replica: 'alice',
      url: 'ws://127.0.0.1:5173/relay',
      room: 'lab',
      storagePeer: true,
    });
    expect(report.start).toEqual({
      empty: false,
      engines: { converge: { text: 'hi', cart: { apple: 6 }, counters: { likes: 0, stock: 0 }, note: [] } },
    });
    expect(report.wallTime).toEqual([
      { engine: 'lww', field: 'cart/apple', replicas: ['alice', 'bob'], reason: 'concurrent' },
    ]);
    expect(report.engines.converge).toEqual({
      converged: true,
      replicas: { alice: { text: 'hi', cart: { apple: 7 }, counters: { likes: 0, stock: 0 }, note: ['x'] } },
    });
    // Converged only where this window knows every other replica to be the same.
    expect(Object.fromEntries(Object.entries(report.engines).map(([e, r]) => [e, r?.converged]))).toEqual({
      converge: true,
      yjs: false,
      automerge: false,
      lww: false,
    });
    expect(report.differences).toEqual([
      { engine: 'yjs', versus: 'converge', field: 'cart', key: 'apple', value: 5, versusValue: 7 },
      { engine: 'lww', versus: 'converge', field: 'cart', key: 'apple', value: 5, versusValue: 7 },
    ]);
    expect(report.ledgers.lww?.lost).toEqual([
      {
        replica: 'bob',
        op: 'cart.add',
        field: 'cart/apple',
        value: 8,
        overwrittenBy: 'alice',
        winningValue: 5,
        reason: 'concurrent',
      },
    ]);
    // What the runner's JSON holds, nothing else: it round-trips through JSON unchanged.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
