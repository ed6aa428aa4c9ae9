import { type EngineName, IntentError } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { classifyFailure, classifyReport } from '../../src/explore/classify.ts';
import type { LostWriteReport, MergeReport, ReplicaState } from '../../src/report.ts';
import { ScenarioRunError } from '../../src/runner.ts';
import { parseScenario, type Step } from '../../src/scenario.ts';

const EMPTY: ReplicaState = { text: '', cart: {}, counters: { likes: 0, stock: 0 }, note: [] };
const ENGINES: EngineName[] = ['converge', 'yjs', 'automerge', 'lww'];

/** A report whose engines all converged to `states` (each engine's differing fields given). */
function report(
  states: Partial<Record<EngineName, Partial<ReplicaState>>>,
  options: { lost?: LostWriteReport[]; notConverged?: EngineName } = {},
): MergeReport {
  const engines = Object.fromEntries(
    ENGINES.map((e) => [
      e,
      {
        converged: options.notConverged !== e,
        replicas: { a: { ...EMPTY, ...states[e] }, b: { ...EMPTY, ...states[e] } },
      },
    ]),
  );
  return {
    name: 't',
    world: { kind: 'simulation', seed: 1, storagePeer: true },
    start: { empty: true },
    engines,
    ledgers: { lww: { lost: options.lost ?? [] } },
    differences: [],
    wallTime: [],
  };
}

const scenario = (steps: Step[]) => parseScenario({ name: 't', replicas: ['a', 'b'], steps });
const all = (state: Partial<ReplicaState>) => Object.fromEntries(ENGINES.map((e) => [e, state]));
const lost = (field: string, reason: 'concurrent' | 'clock-skew'): LostWriteReport => ({
  replica: 'b',
  op: 'note.set',
  field,
  value: 'x',
  overwrittenBy: 'a',
  winningValue: 'y',
  reason,
});
const kindsOf = (s: ReturnType<typeof scenario>, r: MergeReport) => [
  ...new Set(classifyReport(s, r, ENGINES).kinds.map((k) => k.kind)),
];
const bugsOf = (s: ReturnType<typeof scenario>, r: MergeReport) =>
  classifyReport(s, r, ENGINES).bugs.map((b) =>
    `${b.bug} ${b.engines?.join('/') ?? ''} ${b.field ?? ''}`.trim(),
  );

const concurrentNotes = scenario([
  { replica: 'a', op: 'note.set', value: 'x' },
  { replica: 'b', op: 'note.set', value: 'y' },
]);
const sequentialNotes = scenario([
  { replica: 'a', op: 'note.set', value: 'x' },
  { sync: true },
  { replica: 'b', op: 'note.set', value: 'y' },
]);

describe('classifying a run', () => {
  it('concurrent notes: siblings against one value, and two different single values', () => {
    const r = report({
      converge: { note: ['x', 'y'] },
      automerge: { note: ['x', 'y'] },
      yjs: { note: ['x'] },
      lww: { note: ['y'] },
    });
    expect(kindsOf(concurrentNotes, r)).toEqual(['note-siblings', 'note-winner']);
    expect(bugsOf(concurrentNotes, r)).toEqual([]);
  });

  it('a field written one write after another must show the last write in every engine', () => {
    expect(bugsOf(sequentialNotes, report(all({ note: ['y'] })))).toEqual([]);
    const r = report({ ...all({ note: ['y'] }), yjs: { note: ['x'] } });
    expect(bugsOf(sequentialNotes, r)).toEqual(['lost-edit yjs note']);
  });

  it('last-writer-wins may lose a later write to a skewed clock when its ledger says so, and only then', () => {
    const r = (lostWrites: LostWriteReport[]) =>
      report({ ...all({ note: ['y'] }), lww: { note: ['x'] } }, { lost: lostWrites });
    expect(kindsOf(sequentialNotes, r([lost('note', 'clock-skew')]))).toEqual(['lww-clock-skew']);
    expect(bugsOf(sequentialNotes, r([lost('note', 'clock-skew')]))).toEqual([]);
    expect(bugsOf(sequentialNotes, r([]))).toEqual(['lost-edit lww note']);
  });

  it('a ledger that lists a concurrent loss where every write saw the one before is a bug', () => {
    const r = report(all({ note: ['y'] }), { lost: [lost('note', 'concurrent')] });
    expect(bugsOf(sequentialNotes, r)).toEqual(['ledger-mismatch lww note']);
  });

  it('concurrent increments: a total with increments left out is documented, a made-up one is not', () => {
    const s = scenario([
      { replica: 'a', op: 'counter.increment', name: 'likes', by: 1 },
      { replica: 'b', op: 'counter.increment', name: 'likes', by: 2 },
    ]);
    const counters = (likes: number) => ({ counters: { likes, stock: 0 } });
    expect(kindsOf(s, report({ ...all(counters(3)), yjs: counters(2), lww: counters(1) }))).toEqual([
      'counter-lost-increments',
    ]);
    expect(bugsOf(s, report({ ...all(counters(3)), yjs: counters(5) }))).toEqual([
      'unexplained-difference converge/yjs counters/likes',
      'unexplained-difference yjs/automerge counters/likes',
      'unexplained-difference yjs/lww counters/likes',
    ]);
  });

  it('cart lines: steps, a set, and a removal concurrent with a change are told apart', () => {
    const cart = (steps: Step[]) =>
      kindsOf(scenario(steps), report({ ...all({ cart: { pen: 3 } }), yjs: { cart: { pen: 1 } } }));
    const add = (replica: string, qty: number): Step => ({ replica, op: 'cart.add', product: 'pen', qty });
    expect(cart([add('a', 1), add('b', 2)])).toEqual(['cart-concurrent-steps']);
    expect(cart([add('a', 1), { replica: 'b', op: 'cart.setQuantity', product: 'pen', qty: 1 }])).toEqual([
      'cart-concurrent-set',
    ]);
    expect(cart([add('a', 1), add('b', 1), { replica: 'b', op: 'cart.remove', product: 'pen' }])).toEqual([
      'cart-removed-while-edited',
    ]);
  });

  it('text: another order of the same characters; LWW keeping one text; a deletion placed differently', () => {
    const inserts: Step[] = [
      { replica: 'a', op: 'text.insert', pos: 0, text: 'x' },
      { replica: 'b', op: 'text.insert', pos: 0, text: 'y' },
    ];
    const s = scenario(inserts);
    expect(kindsOf(s, report({ ...all({ text: 'xy' }), yjs: { text: 'yx' }, lww: { text: 'y' } }))).toEqual([
      'text-order',
      'text-one-write-wins',
    ]);
    // Characters nobody typed are not an order.
    expect(bugsOf(s, report({ ...all({ text: 'xy' }), lww: { text: 'x' }, yjs: { text: 'xyz' } }))).toEqual([
      'unexplained-difference converge/yjs text',
      'unexplained-difference yjs/automerge text',
    ]);
    const deleted = scenario([
      ...inserts,
      { sync: true },
      { replica: 'a', op: 'text.delete', pos: 0, len: 1 },
    ]);
    const r = report({ ...all({ text: 'y' }), yjs: { text: 'yx' }, lww: { text: 'y' } });
    expect(kindsOf(deleted, r)).toEqual(['text-edit-after-reorder', 'text-one-write-wins']);
    expect(bugsOf(scenario(inserts), r)).toEqual([
      'unexplained-difference converge/yjs text',
      'unexplained-difference yjs/automerge text',
    ]);
  });

  it('an engine whose replicas did not converge is a bug', () => {
    expect(bugsOf(sequentialNotes, report(all({ note: ['y'] }), { notConverged: 'automerge' }))).toEqual([
      'not-converged automerge',
    ]);
  });

  it('a run that threw: an edit that does not fit is no finding; a sync that never ends and a crash are bugs', () => {
    const step = (cause: Error) => new ScenarioRunError('step 2 failed', { cause });
    expect(classifyFailure(step(new IntentError('pos 9 is beyond the text')))).toEqual({
      invalid: 'pos 9 is beyond the text',
    });
    expect(
      classifyFailure(new ScenarioRunError('the final sync failed: the replicas did not sync within 30 s')),
    ).toMatchObject({
      bug: 'not-converged',
    });
    expect(classifyFailure(step(new Error('boom')))).toMatchObject({
      bug: 'crash',
      summary: 'step 2 failed',
    });
  });
});
