import type { WorkspaceView } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { buildReport, formatReport } from '../src/report.ts';

const view = (over: Partial<WorkspaceView>): WorkspaceView => ({
  text: '',
  cart: {},
  counters: { likes: 0, stock: 0 },
  note: [],
  ...over,
});

describe('merge report', () => {
  const converge = view({
    text: 'Hello World',
    cart: { apple: 3 },
    counters: { likes: 2, stock: -1 },
    note: ['x', 'y'],
  });
  const yjs = view({
    text: 'Hello Wold',
    cart: { apple: 2 },
    counters: { likes: 1, stock: -1 },
    note: ['y'],
  });
  const report = buildReport({
    name: 'demo',
    world: { kind: 'simulation', seed: 1, storagePeer: true },
    engines: ['converge', 'yjs', 'automerge', 'lww'],
    start: { converge: view({}), yjs: view({}) },
    wallTime: [{ engine: 'lww', field: 'note', replicas: ['a', 'b'], reason: 'concurrent' }],
    views: { converge: { a: converge, b: converge }, yjs: { a: yjs, b: view({}) } },
    digests: { converge: { a: 'd1', b: 'd1' }, yjs: { a: 'd2', b: 'd3' } },
    ledgers: {
      lww: [
        {
          replica: 'a',
          op: 'note.set',
          field: 'note',
          value: 'x',
          overwrittenBy: 'b',
          winningValue: 'y',
          reason: 'concurrent',
        },
      ],
    },
  });

  it('says per engine whether every replica converged', () => {
    expect(report.engines.converge?.converged).toBe(true);
    expect(report.engines.yjs?.converged).toBe(false);
    expect(report.engines.automerge).toBeUndefined();
  });

  it('lists every difference from the reference engine', () => {
    expect(report.differences).toEqual([
      {
        engine: 'yjs',
        versus: 'converge',
        field: 'text',
        diff: [
          ['=', 'Hello Wo'],
          ['-', 'r'],
          ['=', 'ld'],
        ],
      },
      { engine: 'yjs', versus: 'converge', field: 'cart', key: 'apple', value: 2, versusValue: 3 },
      { engine: 'yjs', versus: 'converge', field: 'counters', key: 'likes', value: 1, versusValue: 2 },
      { engine: 'yjs', versus: 'converge', field: 'note', value: ['y'], versusValue: ['x', 'y'] },
    ]);
  });

  it('prints a readable report with the lost writes', () => {
    const text = formatReport(report);
    expect(text).toContain('converge: converged');
    expect(text).toContain('yjs: NOT converged');
    expect(text).toContain('Hello Wo[-r]ld');
    expect(text).toContain('Writes lost by last-writer-wins:');
    expect(text).toContain(`a's note.set of note = "x" lost to b's "y" (concurrent)`);
    expect(text).toContain('World: simulation, seed 1, with the storage peer');
    expect(text).toContain('The room was empty at the start.');
    expect(text).toContain('lww note: a, b (concurrent writes, the later timestamp wins)');
  });

  it('says what the room held at the start when it was not empty', () => {
    const started = buildReport({
      name: 'named room',
      world: { kind: 'relay', url: 'ws://h:1', room: 'r', roomNamed: true, seed: 1, storagePeer: true },
      engines: ['converge'],
      start: { converge: view({ text: 'left over' }) },
      wallTime: [],
      views: {},
      digests: {},
      ledgers: {},
    });
    expect(started.start).toEqual({
      empty: false,
      engines: { converge: { text: 'left over', cart: {}, counters: { likes: 0, stock: 0 }, note: [] } },
    });
    const text = formatReport(started);
    expect(text).toContain(
      'World: relay ws://h:1, room r (named by the scenario), seed 1, with the storage peer',
    );
    expect(text).toContain('The room was NOT empty at the start; it held:');
    expect(text).toContain('"left over"');
  });
});
