/**
 * Automerge's cost per apply call grows with the document (a remote keystroke into a 1 MB text takes
 * hundreds of ms, about what ten in one call take), so a replica takes in everything its peers sent in a
 * turn with one call (issue 19). Counted in remote changes, which each apply call reports once (and the
 * store appends once), never in time.
 */
import { describe, expect, it } from 'vitest';
import { ENGINES, MemoryStore, type StoreRecord } from '../src/index.ts';
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
});
