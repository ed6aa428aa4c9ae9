/**
 * Automerge's cost per apply call grows with the document (a remote keystroke into a 1 MB text takes
 * hundreds of ms, about what ten in one call take), so a replica takes in everything its peers sent in a
 * turn with one call (issue 19). Counted in remote changes, which each apply call reports once (and the
 * store appends once), never in time.
 */
import { decodeReplicaMessage, type Timers } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { ENGINES, MemoryStore, type StoreRecord } from '../src/index.ts';
import { type CountedFrame, countFrames } from '../testing/frame-counter.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

/** A memory store that counts the Automerge update records appended to it. */
function countingStore(): { store: MemoryStore; updates: () => number; reset: () => void } {
  const store = new MemoryStore();
  let updates = 0;
  const append = store.append.bind(store);
  store.append = (record: StoreRecord) => {
    if (record.kind === 'update' && record.engine === 'automerge') updates++;
    return append(record);
  };
  return { store, updates: () => updates, reset: () => (updates = 0) };
}

describe('Automerge takes in what arrives in one turn with one apply', () => {
  it('ten remote keystrokes arriving together cause one remote change', async () => {
    const { clock, open } = simRoom({
      seed: 3,
      startMs: 1_700_000_000_000,
      latencyMs: 5,
      engines: ENGINES.only(['automerge']),
    });
    const counting = countingStore();
    const typist = await open('r-typist');
    const reader = await open('r-reader', { store: counting.store });
    await typist.apply({ op: 'text.insert', pos: 0, text: 'The quick brown fox. '.repeat(50) });
    clock.advance(5_000);
    expect(reader.textSlice('automerge')).toBe(typist.textSlice('automerge'));
    counting.reset();
    for (let k = 0; k < 10; k++) await typist.apply({ op: 'text.insert', pos: 10 + k, text: 'x' });
    clock.advance(100);
    expect(reader.textSlice('automerge')).toBe(typist.textSlice('automerge'));
    expect(counting.updates()).toBe(1);
  });

  it('a local edit lands among what arrived even while Automerge put it off', async () => {
    const { clock, open } = simRoom({
      seed: 5,
      startMs: 1_700_000_000_000,
      latencyMs: 5,
      antiEntropyMs: 0,
      engines: ENGINES.only(['converge', 'automerge']),
    });
    // The peer's timers hold back what it runs "in a later task" (delay 0) until the test lets it go.
    const held: (() => void)[] = [];
    const timers: Timers = {
      now: () => clock.now(),
      setTimeout: (callback, ms) => {
        if (ms > 0) return clock.setTimeout(callback, ms);
        let live = true;
        held.push(() => live && callback());
        return () => {
          live = false;
        };
      },
    };
    const window = await open('r-window');
    const peer = await open('r-peer', { timers });
    await window.apply({ op: 'text.insert', pos: 0, text: 'ab' });
    clock.advance(50);
    for (const run of held.splice(0)) run();
    clock.advance(50);
    expect(peer.textSlice('automerge')).toBe('ab');
    await window.apply({ op: 'text.insert', pos: 1, text: 'XYZ' });
    clock.advance(50);
    expect(peer.textSlice('converge')).toBe('aXYZb');
    expect(held.length).toBeGreaterThan(0); // Automerge's apply of it, put off
    // Inside what just arrived: no engine that had not taken it in could place it there.
    await peer.apply({ op: 'text.insert', pos: 2, text: '!' });
    for (const run of held.splice(0)) run();
    clock.advance(1_000);
    for (const replica of [window, peer])
      for (const engine of ['converge', 'automerge'] as const)
        expect(replica.textSlice(engine)).toBe('aX!YZb');
  });
});

describe('a change Automerge took in later still names its sender', () => {
  it('the change event of a deferred apply carries the peer that sent it', async () => {
    const { clock, open } = simRoom({
      seed: 7,
      startMs: 1_700_000_000_000,
      latencyMs: 5,
      antiEntropyMs: 0,
      engines: ENGINES.only(['automerge']),
    });
    const typist = await open('r-typist');
    const reader = await open('r-reader');
    clock.advance(1_000);
    const peers: (string | undefined)[] = [];
    reader.subscribe((event) => {
      if (event.type === 'change' && event.origin === 'remote') peers.push(event.peer);
    });
    await typist.apply({ op: 'text.insert', pos: 0, text: 'first' });
    clock.advance(1_000);
    expect(reader.textSlice('automerge')).toBe('first');
    // The history panel shows "received from r-typist" from this; without it, "—".
    expect(peers.length).toBeGreaterThan(0);
    expect(peers).toEqual(peers.map(() => 'r-typist'));
  });
});

describe('Automerge pushes a typist’s keystrokes and answers no report that only shows them on their way', () => {
  it('two peers reporting their heads as each keystroke lands get no answer', async () => {
    const { clock, net, open } = simRoom({
      seed: 8,
      startMs: 1_700_000_000_000,
      latencyMs: 50,
      engines: ENGINES.only(['automerge']),
      antiEntropyMs: 60_000,
    });
    const frames: CountedFrame[] = [];
    const typist = await open('r-typist', { transport: countFrames(net.transport('r-typist'), frames) });
    const readers = [await open('r-reader1'), await open('r-reader2')];
    await typist.apply({ op: 'text.insert', pos: 0, text: 'The quick brown fox. '.repeat(50) });
    clock.advance(5_000);
    frames.length = 0;
    for (let k = 0; k < 20; k++) {
      await typist.apply({ op: 'text.insert', pos: 10 + k, text: 'x' });
      clock.advance(50);
    }
    clock.advance(1_000);
    const automerge = ENGINES.get('automerge');
    const kinds = frames.map((f) => {
      const message = decodeReplicaMessage(f.payload);
      return message.kind === 'sync' ? automerge.describePayload(message.payload) : message.kind;
    });
    // Keystrokes as fast as frames travel: a reader's turn takes in the typist's push with the other
    // reader's copy of the one before, and reports its heads to the typist, every keystroke. The typist
    // pushes each keystroke once for both (its change, not a sync message; the first may go as a sync
    // message), and sends no reader anything of its own: no answer per report.
    expect(kinds.filter((k) => k === 'change (pushed)').length).toBeGreaterThanOrEqual(19);
    expect(kinds.filter((k) => k.startsWith('sync')).length).toBeLessThanOrEqual(1);
    expect(frames.filter((f) => f.to !== null)).toEqual([]);
    for (const reader of readers) expect(reader.digest('automerge')).toBe(typist.digest('automerge'));
  });

  it('so does the first sync of a peer that opens later, taken in by a deferred apply', async () => {
    const { clock, open } = simRoom({
      seed: 9,
      startMs: 1_700_000_000_000,
      latencyMs: 5,
      antiEntropyMs: 0,
      engines: ENGINES.only(['converge', 'automerge']),
    });
    const typist = await open('r-typist');
    await typist.apply({ op: 'text.insert', pos: 0, text: 'first' });
    clock.advance(1_000);
    // As a new window opens: Automerge loads after the primary's first sync, then syncs in a later turn.
    const reader = await open('r-reader', { progressive: true });
    const peers: (string | undefined)[] = [];
    reader.subscribe((event) => {
      if (event.type === 'change' && event.origin === 'remote') peers.push(event.peer);
    });
    for (let ms = 0; ms < 10_000 && reader.loading().length > 0; ms += 10) {
      clock.advance(10);
      await new Promise((resolve) => setImmediate(resolve));
    }
    clock.advance(1_000);
    expect(reader.textSlice('automerge')).toBe('first');
    expect(peers.length).toBeGreaterThan(0);
    expect(peers).toEqual(peers.map(() => 'r-typist'));
  });
});
