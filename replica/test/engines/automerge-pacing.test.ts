/**
 * Automerge's applies of peers' changes are paced (issue 19): the next one waits `remoteApplyPace` times
 * as long as the last one took (1 without it), at most MAX_EXTRA_PACE_MS more than it, so however far
 * peers run ahead, taking their changes in keeps a bounded share of the thread busy; an engine paced as a
 * background one (pace > 1) also waits for its peers to pause (BACKGROUND_QUIET_MS), within that bound.
 * Checked through the delays the engine asks its context for, on a scripted clock.
 */
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine.ts';
import { BACKGROUND_QUIET_MS, MAX_EXTRA_PACE_MS } from '../../src/engines/automerge/automerge-engine.ts';
import { ENGINES } from '../../src/index.ts';

/** Engine `a` feeds engine `b`, whose remote applies are deferred through a scripted list and clock. */
function pacedPair(remoteApplyPace?: () => number, applyMs = 0) {
  const clock = { now: 1_000 };
  const deferred: { callback: () => void; delayMs: number; dueAt: number }[] = [];
  const a = ENGINES.create('automerge', { replicaId: 'r-a', now: () => clock.now });
  const b = ENGINES.create('automerge', {
    replicaId: 'r-b',
    now: () => clock.now,
    ...(remoteApplyPace === undefined ? {} : { remoteApplyPace }),
    defer: (callback, delayMs = 0) => {
      deferred.push({ callback, delayMs, dueAt: clock.now + delayMs });
      return () => {};
    },
  });
  const toA = b.openSession('r-a', (payload) => toB.receive(payload));
  const toB = a.openSession('r-b', (payload) => expect(toA.receive(payload)).toBe(true));
  a.onChange((change) => toB.changed(change));
  // Each remote apply of `b` takes `applyMs` on the clock.
  b.onChange((change) => {
    if (change.origin === 'remote') clock.now += applyMs;
  });
  toA.start();
  toB.start();
  /** Run what is deferred, each when due (the clock moves on to it), until nothing is. */
  const runAll = (): void => {
    for (let next = deferred.shift(); next !== undefined; next = deferred.shift()) {
      clock.now = Math.max(clock.now, next.dueAt);
      next.callback();
    }
  };
  /** Run what is deferred; each apply `b` makes in it moves the clock `tookMs` on. */
  const runTaking = (tookMs: number): void => {
    let started = clock.now;
    const unsubscribe = b.onChange(() => {
      clock.now = started + tookMs;
    });
    for (let next = deferred.shift(); next !== undefined; next = deferred.shift()) {
      clock.now = Math.max(clock.now, next.dueAt);
      started = clock.now;
      next.callback();
    }
    unsubscribe();
  };
  /** Run what is due by `until`, each at its time, and leave the clock at `until`. */
  const runUntil = (until: number): void => {
    for (;;) {
      deferred.sort((x, y) => x.dueAt - y.dueAt);
      const next = deferred[0];
      if (next === undefined || next.dueAt > until) break;
      deferred.shift();
      clock.now = Math.max(clock.now, next.dueAt);
      next.callback();
    }
    clock.now = Math.max(clock.now, until);
  };
  runAll(); // the handshake, applied at once on the clock
  const delays = (): number[] => deferred.map((d) => d.delayMs);
  return { clock, a, b, runAll, runTaking, runUntil, delays, closeAll: () => closeAll(a, b) };
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
    runTaking(100); // the apply takes 100 ms
    clock.now += 50; // 50 ms after it ended: 4 × 100 ms − 50 ms to go
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

  /** A first change taken in (at once: nothing was applied yet), its apply taking `applyMs`; then a pause. */
  function warmedUp(pair: ReturnType<typeof pacedPair>): number {
    pair.a.apply({ op: 'text.insert', pos: 0, text: '>' });
    pair.runUntil(pair.clock.now);
    expect(pair.b.textSlice('text')).toBe('>');
    return pair.clock.now + 3_000;
  }

  it('a background engine (pace > 1) takes changes in once its peers pause', () => {
    const pair = pacedPair(() => 9, 100);
    const { a, b, runUntil, delays } = pair;
    const t1 = warmedUp(pair); // the last apply took 100 ms: pause 9 × 100, at most BACKGROUND_QUIET_MS
    runUntil(t1);
    a.apply({ op: 'text.insert', pos: 1, text: 'h' });
    expect(delays()).toEqual([0]); // due at once by its pace: nothing was applied for long
    runUntil(t1);
    expect(b.textSlice('text')).toBe('>'); // but a peer's keystroke has just arrived
    expect(delays()).toEqual([BACKGROUND_QUIET_MS]);
    runUntil(t1 + 60);
    a.apply({ op: 'text.insert', pos: 2, text: 'i' }); // the next key, 60 ms later
    runUntil(t1 + 60 + BACKGROUND_QUIET_MS - 1);
    expect(b.textSlice('text')).toBe('>');
    runUntil(t1 + 60 + BACKGROUND_QUIET_MS); // the peer paused
    expect(b.textSlice('text')).toBe('>hi');
    pair.closeAll();
  });

  it('while its peers keep typing, a background engine waits at most MAX_EXTRA_PACE_MS', () => {
    const pair = pacedPair(() => 9, 100);
    const { clock, a, b, runUntil } = pair;
    const t1 = warmedUp(pair);
    const applied: { at: number; length: number }[] = [];
    b.onChange((change) => {
      if (change.origin === 'remote') applied.push({ at: clock.now - t1, length: b.textLength('text') });
    });
    for (let at = t1; at < t1 + 4_500; at += 50) {
      runUntil(at);
      a.apply({ op: 'text.insert', pos: a.textLength('text'), text: 'x' }); // a key every 50 ms
    }
    runUntil(t1 + 4_500);
    // The first waits from t1 for its bound (100 ms apply + MAX_EXTRA_PACE_MS), takes 100 ms; the keys
    // meanwhile wait its pace (900 ms), then for the bound from the first of them: never for a pause.
    const first = 100 + MAX_EXTRA_PACE_MS;
    const second = first + 100 + 100 + MAX_EXTRA_PACE_MS;
    expect(applied).toEqual([
      { at: first + 100, length: 1 + first / 50 },
      { at: second + 100, length: 1 + second / 50 },
    ]);
    pair.closeAll();
  });

  it('the primary engine (pace 1) does not wait for its peers to pause', () => {
    const pair = pacedPair(() => 1, 100);
    const t1 = warmedUp(pair);
    pair.runUntil(t1);
    pair.a.apply({ op: 'text.insert', pos: 1, text: 'h' });
    pair.runUntil(t1);
    expect(pair.b.textSlice('text')).toBe('>h');
    pair.closeAll();
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
