import { parseScenario } from '@converge/scenarios/format';
import { describe, expect, it } from 'vitest';
import { defaultRole, planReplay, replay } from '../logic/scenario-session.ts';

describe('planReplay', () => {
  const scenario = parseScenario({
    name: 'two',
    replicas: ['a', 'b'],
    steps: [
      { offline: 'a' },
      { replica: 'a', op: 'text.insert', pos: 0, text: 'Hello' },
      { replica: 'b', op: 'text.insert', pos: 0, text: 'Bye' },
      { skew: { replica: 'a', ms: -500 } },
      { partition: [['a'], ['b']] },
      { online: 'a' },
      { sync: true },
      { restart: 'a' },
    ],
  });

  it('replays the played replica’s edits, connection and skew steps in order', () => {
    const plan = planReplay(scenario, 'a');
    expect(plan.actions).toEqual([
      { kind: 'offline', index: 0, offline: true },
      { kind: 'edit', index: 1, intent: { op: 'text.insert', pos: 0, text: 'Hello' } },
      { kind: 'skew', index: 3, ms: -500 },
      { kind: 'offline', index: 5, offline: false },
    ]);
    expect(plan.skipped.map((s) => s.index)).toEqual([2, 4, 6, 7]);
    expect(plan.skipped[0]?.reason).toContain('replica b');
    expect(plan.carriesStart).toBe(false);
    expect(
      planReplay(parseScenario({ name: 's', replicas: ['a'], start: { engines: {} }, steps: [] }), 'a')
        .carriesStart,
    ).toBe(true);
  });

  it('plays another replica of the file when asked, and refuses one that is not in it', () => {
    expect(planReplay(scenario, 'b').actions).toEqual([
      { kind: 'edit', index: 2, intent: { op: 'text.insert', pos: 0, text: 'Bye' } },
    ]);
    expect(() => planReplay(scenario, 'zz')).toThrow(/not one of/);
  });

  it('plays this window’s id by default, else the first replica', () => {
    expect(defaultRole(scenario, 'b')).toBe('b');
    expect(defaultRole(scenario, 'r-123')).toBe('a');
  });
});

describe('replay', () => {
  it('runs the actions in order, pausing between them, and goes on after a refused edit', async () => {
    const log: string[] = [];
    const scenario = parseScenario({
      name: 'r',
      replicas: ['a'],
      steps: [
        { offline: 'a' },
        { replica: 'a', op: 'text.insert', pos: 9, text: 'x' },
        { skew: { replica: 'a', ms: 5 } },
        { replica: 'a', op: 'cart.add', product: 'p', qty: 1 },
        { replica: 'a', op: 'undo' },
        { replica: 'a', op: 'redo' },
      ],
    });
    const outcomes = await replay(
      planReplay(scenario, 'a'),
      {
        apply: async (intent) => {
          log.push(intent.op);
          return intent.op !== 'text.insert';
        },
        setOffline: (offline) => log.push(`offline=${offline}`),
        setSkew: async (ms) => {
          log.push(`skew=${ms}`);
        },
        undo: async () => {
          log.push('undo');
          return true;
        },
        redo: async () => {
          log.push('redo');
          return false;
        },
      },
      { pauseMs: 10, sleep: async (ms) => void log.push(`sleep ${ms}`) },
    );
    expect(log).toEqual([
      'offline=true',
      'sleep 10',
      'text.insert',
      'sleep 10',
      'skew=5',
      'sleep 10',
      'cart.add',
      'sleep 10',
      'undo',
      'sleep 10',
      'redo',
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, true, true, false]);
  });
});
