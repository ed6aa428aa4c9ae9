import { parseScenarioText } from '@converge/scenarios/format';
import { describe, expect, it } from 'vitest';
import { SessionRecorder, type Snapshot } from '../logic/session-recorder.ts';
import { sessionChannels } from './support.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

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
    const file = r.toScenario('typing');
    expect(file.steps).toEqual([
      { replica: 'a', op: 'text.insert', pos: 0, text: 'Hello' },
      { replica: 'a', op: 'text.delete', pos: 3, len: 2 },
      { replica: 'a', op: 'text.delete', pos: 0, len: 2 },
      { replica: 'a', op: 'cart.add', product: 'apple', qty: 1 },
      { replica: 'a', op: 'text.insert', pos: 1, text: 'x' },
    ]);
    // An export names no room: a replay over a relay gets a fresh one, not the recorded room's leftovers.
    expect(file.room).toBeUndefined();
  });

  it('does not merge an insert that does not continue the previous one', () => {
    const r = new SessionRecorder('a');
    r.edit({ op: 'text.insert', pos: 0, text: 'ab' });
    r.edit({ op: 'text.insert', pos: 0, text: 'c' });
    expect(r.stepCount).toBe(2);
  });

  it('records network actions with a sync before each, keeps the settled skew and chaos, lists peers met', () => {
    const r = new SessionRecorder('a');
    r.sawPeer('b');
    r.sawPeer('storage:room'); // not a scenario id: left out
    r.offline(true);
    r.skew(100);
    r.skew(200);
    r.offline(false);
    r.links({ op: 'split', groups: [['a'], ['b']], storage: 'with-b' }, []);
    r.chaos({ drop: 0.1 });
    r.chaos({ drop: 0.2, seed: 3 });
    r.heal();
    r.links({ op: 'cut', from: 'a', to: 'b' }, []);
    const file = r.toScenario('network');
    expect(file.replicas).toEqual(['a', 'b']);
    expect(file.steps).toEqual([
      { offline: 'a' },
      { sync: true },
      { skew: { replica: 'a', ms: 200 } },
      { sync: true },
      { online: 'a' },
      { sync: true },
      { partition: [['a'], ['b']], storage: 'with-b' },
      { sync: true },
      { chaos: { drop: 0.2, seed: 3 } },
      { sync: true },
      { heal: true },
    ]);
    expect(r.omittedActions).toEqual(['cut link a → b']);
    // The export is a valid scenario file, also after a JSON round trip.
    expect(() => parseScenarioText(JSON.stringify(file))).not.toThrow();
  });

  // Issue 17 item 2: the export listed the storage peer as a replica and repeated {"heal":true}.
  it('never lists the storage peer as a replica and records a heal only after a cut', () => {
    const r = new SessionRecorder('a');
    r.sawPeer('storage');
    r.sawPeer('b');
    r.heal(); // nothing was cut
    r.links({ op: 'split', groups: [['a'], ['b', 'storage']] }, []);
    r.heal();
    r.heal();
    r.links({ op: 'heal-all' }, []);
    const file = r.toScenario('heals');
    expect(file.replicas).toEqual(['a', 'b']);
    expect(file.steps).toEqual([
      { partition: [['a'], ['b']], storage: 'with-b' },
      { sync: true },
      { heal: true },
    ]);
  });

  it('records the presets as partitions that say where the storage peer goes', () => {
    const nodes = [
      { id: 'a', role: 'replica' },
      { id: 'b', role: 'replica' },
      { id: 'c', role: 'replica' },
      { id: 'storage', role: 'storage' },
    ];
    const r = new SessionRecorder('a');
    r.links({ op: 'isolate', node: 'a' }, nodes);
    r.links({ op: 'bridge', node: 'storage', groups: [['a'], ['b', 'c']] }, nodes);
    r.links({ op: 'bridge', node: 'b', groups: [['a'], ['c']] }, nodes);
    r.links({ op: 'isolate', node: 'a' }, nodes.slice(0, 1));
    expect(r.toScenario('presets').steps.filter((s) => !('sync' in s))).toEqual([
      { partition: [['a'], ['b', 'c']], storage: 'with-b' },
      { partition: [['a'], ['b', 'c']], storage: 'everywhere' },
      { partition: [['a']], storage: 'alone' },
    ]);
    expect(r.omittedActions).toEqual(['bridge through b (only the storage peer can bridge in a scenario)']);
  });

  it('leaves out a partition it cannot express', () => {
    const r = new SessionRecorder('a');
    r.partition([['a'], ['x:y']], 'alone');
    expect(r.stepCount).toBe(0);
    expect(r.omittedActions).toHaveLength(1);
  });

  // Issue 17 item 2: an export started mid-room ("pos 29 is beyond the text (length 0)" on replay).
  it('starts the log from the room state the first step was made on', () => {
    let calls = 0;
    const held: Snapshot = { converge: new Uint8Array([1, 2, 3]) };
    const r = new SessionRecorder('a', {
      snapshot: () => {
        calls++;
        return held;
      },
      now: () => 1_780_000_000_000,
    });
    r.edit({ op: 'text.insert', pos: 29, text: '!' });
    r.edit({ op: 'text.insert', pos: 30, text: '?' });
    expect(calls).toBe(1); // taken once, before the first step
    const file = r.toScenario('mid-room');
    expect(file.start).toEqual({ at: 1_780_000_000_000, engines: { converge: 'AQID' } });
    expect(r.startsMidRoom).toBe(true);
    expect(parseScenarioText(JSON.stringify(file)).start?.engines.converge).toEqual(
      new Uint8Array([1, 2, 3]),
    );
    // An empty room at the start: no start state.
    const fresh = new SessionRecorder('b', { snapshot: () => undefined });
    fresh.edit({ op: 'note.set', value: 'x' });
    expect(fresh.toScenario('fresh').start).toBeUndefined();
  });

  it('shares one log between the windows of a room, and a window opened later gets it', async () => {
    const channel = sessionChannels();
    const held: Snapshot = { lww: new Uint8Array([9]) };
    const a = new SessionRecorder('a', { channel: channel(), snapshot: () => held, now: () => 5 });
    const b = new SessionRecorder('b', {
      channel: channel(),
      snapshot: () => ({ lww: new Uint8Array([7]) }),
    });
    a.edit({ op: 'note.set', value: 'from a' });
    await tick();
    b.edit({ op: 'note.set', value: 'from b' });
    await tick();
    a.offline(true);
    await tick();
    const c = new SessionRecorder('c', { channel: channel() });
    await tick();
    c.edit({ op: 'cart.add', product: 'pear', qty: 1 });
    await tick();
    const expected = [
      { replica: 'a', op: 'note.set', value: 'from a' },
      { sync: true },
      { replica: 'b', op: 'note.set', value: 'from b' },
      { sync: true },
      { offline: 'a' },
      { sync: true },
      { replica: 'c', op: 'cart.add', product: 'pear', qty: 1 },
    ];
    for (const r of [a, b, c]) {
      const file = r.toScenario('shared');
      expect(file.steps, r.replicaId).toEqual(expected);
      // The log starts from the state of the window that made its first step.
      expect(file.start, r.replicaId).toEqual({ at: 5, engines: { lww: 'CQ==' } });
      expect(file.replicas[0]).toBe(r.replicaId);
      expect([...file.replicas].sort()).toEqual(['a', 'b', 'c']);
    }
    for (const r of [a, b, c]) r.close();
  });

  it('ignores messages that are not session messages', async () => {
    const channel = sessionChannels();
    const a = new SessionRecorder('a', { channel: channel() });
    const rogue = channel();
    rogue.subscribe(() => {});
    rogue.post({
      kind: 'step',
      from: 'x',
      entry: { ids: ['x#1'], step: { teleport: 'a' } },
      first: true,
    } as never);
    rogue.post('hello' as never);
    await tick();
    expect(a.stepCount).toBe(0);
  });
});
