/**
 * Automerge's applies of peers' changes are paced (issue 19): the next one waits `remoteApplyPace` times
 * as long as the last one took (1 without it), at most MAX_EXTRA_PACE_MS more than it, so however far
 * peers run ahead, taking their changes in keeps a bounded share of the thread busy. Checked through the
 * delays the engine asks its context for, on a scripted clock.
 */
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine.ts';
import { MAX_EXTRA_PACE_MS } from '../../src/engines/automerge/automerge-engine.ts';
import { ENGINES } from '../../src/index.ts';

/** Engine `a` feeds engine `b`, whose remote applies are deferred through a scripted list and clock. */
function pacedPair(remoteApplyPace?: () => number) {
  const clock = { now: 1_000 };
  const deferred: { callback: () => void; delayMs: number }[] = [];
  const a = ENGINES.create('automerge', { replicaId: 'r-a', now: () => clock.now });
  const b = ENGINES.create('automerge', {
    replicaId: 'r-b',
    now: () => clock.now,
    ...(remoteApplyPace === undefined ? {} : { remoteApplyPace }),
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
  /** Run what is deferred; each apply `b` makes in it moves the clock `tookMs` on. */
  const runTaking = (tookMs: number): void => {
    const started = clock.now;
    const unsubscribe = b.onChange(() => {
      clock.now = started + tookMs;
    });
    runAll();
    unsubscribe();
  };
  runAll(); // the handshake, applied at once on the clock
  const delays = (): number[] => deferred.map((d) => d.delayMs);
  return { clock, a, b, runAll, runTaking, delays };
}

function closeAll(...engines: Engine[]): void {
  for (const engine of engines) engine.close();
}

describe('Automerge paces its applies of remote changes', () => {
  it('asks to wait as long as the last apply took before the next', () => {
    const { clock, a, b, runAll, runTaking, delays } = pacedPair();
    a.apply({ op: 'text.insert', pos: 0, text: 'h' });
    expect(delays()).toEqual([0]);
    const started = clock.now;
    runTaking(600); // the apply takes 600 ms
    expect(b.textSlice('text')).toBe('h');
    clock.now = started + 700; // 100 ms after the apply ended
    a.apply({ op: 'text.insert', pos: 1, text: 'i' });
    expect(delays()).toEqual([500]);
    runAll();
    expect(b.textSlice('text')).toBe('hi');
    closeAll(a, b);
  });

  it('waits the pace its context asks for times the last apply (a non-primary engine)', () => {
    const { clock, a, b, runAll, runTaking, delays } = pacedPair(() => 4);
    a.apply({ op: 'text.insert', pos: 0, text: 'h' });
    const started = clock.now;
    runTaking(100); // the apply takes 100 ms
    clock.now = started + 150; // 50 ms after it ended: 4 × 100 ms − 50 ms to go
    a.apply({ op: 'text.insert', pos: 1, text: 'i' });
    a.apply({ op: 'text.insert', pos: 2, text: '!' });
    expect(delays()).toEqual([350]);
    // A slow apply (3 s): the wait is capped at one more second beyond it, not 4 × 3 s.
    runTaking(3_000);
    expect(b.textSlice('text')).toBe('hi!');
    a.apply({ op: 'text.insert', pos: 3, text: '?' });
    expect(delays()).toEqual([3_000 + MAX_EXTRA_PACE_MS]);
    runAll();
    expect(b.textSlice('text')).toBe('hi!?');
    closeAll(a, b);
  });
});

describe('a remote change Automerge takes in later names its sender', () => {
  it('every remote change of a first sync, applied in a later turn, says which peer sent it', () => {
    const deferred: (() => void)[] = [];
    const a = ENGINES.create('automerge', { replicaId: 'r-a', now: () => 1_000 });
    const b = ENGINES.create('automerge', {
      replicaId: 'r-b',
      now: () => 1_000,
      defer: (callback) => {
        deferred.push(callback);
        return () => {};
      },
    });
    a.apply({ op: 'text.insert', pos: 0, text: 'a document already there' });
    const from: (string | undefined)[] = [];
    b.onChange((change) => {
      if (change.origin === 'remote') from.push(change.from);
    });
    const toA = b.openSession('r-a', (payload) => toB.receive(payload));
    const toB = a.openSession('r-b', (payload) => toA.receive(payload));
    toA.start();
    toB.start();
    for (let next = deferred.shift(); next !== undefined; next = deferred.shift()) next();
    expect(b.textSlice('text')).toBe('a document already there');
    expect(from.length).toBeGreaterThan(0);
    expect(from).toEqual(from.map(() => 'r-a'));
    closeAll(a, b);
  });
});
