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
    views: { converge: { a: converge, b: converge }, yjs: { a: yjs, b: view({}) } },
    digests: { converge: { a: 'd1', b: 'd1' }, yjs: { a: 'd2', b: 'd3' } },
    lost: [
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
    expect(text).toContain(`a's note.set of note = "x" lost to b's "y" (concurrent)`);
  });
});
