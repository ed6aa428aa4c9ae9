import { parseScenario, parseScenarioText } from '@converge/scenarios/src/scenario.ts';
import { describe, expect, it } from 'vitest';
import { defaultRole, planReplay, replay, SessionRecorder } from '../logic/scenario-session.ts';

describe('SessionRecorder', () => {
  it('coalesces typing, backspaces and forward deletes into single steps', () => {
    const r = new SessionRecorder('a');
    for (const [i, ch] of [...'Hello'].entries()) r.edit({ op: 'text.insert', pos: i, text: ch });
    r.edit({ op: 'text.delete', pos: 4, len: 1 }); // backspace
    r.edit({ op: 'text.delete', pos: 3, len: 1 }); // backspace
    r.edit({ op: 'text.delete', pos: 0, len: 1 }); // forward delete at 0
    r.edit({ op: 'text.delete', pos: 0, len: 1 }); // and again
    r.edit({ op: 'cart.add', product: 'apple', qty: 1 });
    r.edit({ op: 'text.insert', pos: 1, text: 'x' });
    const file = r.toScenario('typing', 'room-1');
    expect(file.steps).toEqual([
      { replica: 'a', op: 'text.insert', pos: 0, text: 'Hello' },
      { replica: 'a', op: 'text.delete', pos: 3, len: 2 },
      { replica: 'a', op: 'text.delete', pos: 0, len: 2 },
      { replica: 'a', op: 'cart.add', product: 'apple', qty: 1 },
      { replica: 'a', op: 'text.insert', pos: 1, text: 'x' },
    ]);
    expect(file.room).toBe('room-1');
  });

  it('does not merge an insert that does not continue the previous one', () => {
    const r = new SessionRecorder('a');
    r.edit({ op: 'text.insert', pos: 0, text: 'ab' });
    r.edit({ op: 'text.insert', pos: 0, text: 'c' });
    expect(r.stepCount).toBe(2);
  });

  it('records network actions, keeps only the settled skew and chaos, and lists peers met', () => {
    const r = new SessionRecorder('a');
    r.sawPeer('b');
    r.sawPeer('storage:room'); // not a scenario id: left out
    r.offline(true);
    r.skew(100);
    r.skew(200);
    r.offline(false);
    r.partition([['a'], ['b', 'storage:room']]);
    r.chaos({ drop: 0.1 });
    r.chaos({ drop: 0.2, seed: 3 });
    r.heal();
    r.omit('cut a → b');
    const file = r.toScenario('network');
    expect(file.replicas).toEqual(['a', 'b']);
    expect(file.steps).toEqual([
      { offline: 'a' },
      { skew: { replica: 'a', ms: 200 } },
      { online: 'a' },
      { partition: [['a'], ['b']] },
      { chaos: { drop: 0.2, seed: 3 } },
      { heal: true },
    ]);
    expect(r.omittedActions).toEqual(['cut a → b']);
    // The export is a valid scenario file, also after a JSON round trip.
    expect(() => parseScenarioText(JSON.stringify(file))).not.toThrow();
  });

  it('leaves out a partition it cannot express', () => {
    const r = new SessionRecorder('a');
    r.partition([['a'], ['x:y']]);
    expect(r.stepCount).toBe(0);
    expect(r.omittedActions).toHaveLength(1);
  });
});

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
    ]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, true]);
  });
});
