/**
 * Automerge's applies of peers' changes are paced (issue 19): the next one waits as long as the last one
 * took, so however far peers run ahead, taking their changes in keeps at most half of the thread busy.
 * Checked through the delays the engine asks its context for, on a scripted clock.
 */
import { describe, expect, it } from 'vitest';
import { MAX_EXTRA_PACE_MS } from '../../src/engines/automerge/automerge-engine.ts';
import { ENGINES } from '../../src/index.ts';

describe('Automerge paces its applies of remote changes', () => {
  it('asks to wait as long as the last apply took before the next', () => {
    let now = 1_000;
    const deferred: { callback: () => void; delayMs: number }[] = [];
    const a = ENGINES.create('automerge', { replicaId: 'r-a', now: () => now });
    const b = ENGINES.create('automerge', {
      replicaId: 'r-b',
      now: () => now,
      defer: (callback, delayMs = 0) => {
        deferred.push({ callback, delayMs });
        return () => {};
      },
    });
    const toA = b.openSession('r-a', (payload) => toB.receive(payload));
    const toB = a.openSession('r-b', (payload) => expect(toA.receive(payload)).toBe(true));
    a.onChange((change) => toB.changed(change));
    toA.start();
    toB.start();
    const runAll = (): void => {
      for (let next = deferred.shift(); next !== undefined; next = deferred.shift()) next.callback();
    };
    runAll(); // the handshake, applied at once on the clock
    a.apply({ op: 'text.insert', pos: 0, text: 'h' });
    expect(deferred.map((d) => d.delayMs)).toEqual([0]);
    const started = now;
    const { callback } = deferred.shift() as { callback: () => void };
    // The apply takes 600 ms: the clock moves while it runs.
    const unsubscribe = b.onChange(() => {
      now = started + 600;
    });
    callback();
    unsubscribe();
    expect(b.textSlice('text')).toBe('h');
    now = started + 700; // 100 ms after the apply ended
    a.apply({ op: 'text.insert', pos: 1, text: 'i' });
    expect(deferred.map((d) => d.delayMs)).toEqual([500]);
    runAll();
    expect(b.textSlice('text')).toBe('hi');
    a.close();
    b.close();
  });

  it('waits the pace its context asks for times the last apply (a non-primary engine)', () => {
    let now = 1_000;
    const deferred: { callback: () => void; delayMs: number }[] = [];
    const a = ENGINES.create('automerge', { replicaId: 'r-a', now: () => now });
    const b = ENGINES.create('automerge', {
      replicaId: 'r-b',
      now: () => now,
      remoteApplyPace: () => 4,
      defer: (callback, delayMs = 0) => {
        deferred.push({ callback, delayMs });
        return () => {};
      },
    });
    const toA = b.openSession('r-a', (payload) => toB.receive(payload));
    const toB = a.openSession('r-b', (payload) => expect(toA.receive(payload)).toBe(true));
    a.onChange((change) => toB.changed(change));
    toA.start();
    toB.start();
    const runAll = (): void => {
      for (let next = deferred.shift(); next !== undefined; next = deferred.shift()) next.callback();
    };
    runAll();
    a.apply({ op: 'text.insert', pos: 0, text: 'h' });
    const started = now;
    const { callback } = deferred.shift() as { callback: () => void };
    const unsubscribe = b.onChange(() => {
      now = started + 100; // the apply takes 100 ms
    });
    callback();
    unsubscribe();
    now = started + 150; // 50 ms after it ended: 4 × 100 ms − 50 ms to go
    a.apply({ op: 'text.insert', pos: 1, text: 'i' });
    a.apply({ op: 'text.insert', pos: 2, text: '!' });
    expect(deferred.map((d) => d.delayMs)).toEqual([350]);
    // A slow apply (3 s): the wait is capped at one more second beyond it, not 4 × 3 s.
    const slow = now;
    const slowed = b.onChange(() => {
      now = slow + 3_000;
    });
    runAll();
    slowed();
    expect(b.textSlice('text')).toBe('hi!');
    a.apply({ op: 'text.insert', pos: 3, text: '?' });
    expect(deferred.map((d) => d.delayMs)).toEqual([3_000 + MAX_EXTRA_PACE_MS]);
    runAll();
    expect(b.textSlice('text')).toBe('hi!?');
    a.close();
    b.close();
  });
});
