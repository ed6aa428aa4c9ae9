// The converge engine's incremental saves through the runtime: a replica compacting again and again (each
// compaction saving the text as the last snapshot plus the edits since), restarted in between, reopens
// to the very text and version it had.

import { SeededRandom } from '@converge/crdt-core';
import { VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { ENGINES, MemoryStore, Replica, SimNetwork } from '../src/index.ts';

describe('a replica compacting the converge engine again and again', () => {
  it('reopens to the same text and version after many compactions and restarts', async () => {
    const clock = new VirtualClock(1_000_000);
    const net = new SimNetwork({ timers: clock, seed: 7 });
    const store = new MemoryStore();
    const open = () =>
      Replica.open({
        id: 'writer',
        transport: net.transport('writer'),
        store,
        engines: ENGINES.only(['converge']),
        timers: clock,
        antiEntropyMs: 0,
        compactAfter: 7,
      });
    const rng = new SeededRandom(19);
    let replica = await open();
    let expected = '';
    let compactions = 0;
    for (let step = 0; step < 400; step++) {
      const length = replica.textLength('converge');
      if (rng.chance(0.7) || length < 2) {
        const pos = rng.chance(0.7) ? length : rng.int(0, length);
        const text = rng.pick(['a', 'b', ' ', 'ok', 'é']);
        await replica.apply({ op: 'text.insert', pos, text });
        expected = expected.slice(0, pos) + text + expected.slice(pos);
      } else {
        const pos = rng.int(0, length - 1);
        await replica.apply({ op: 'text.delete', pos, len: 1 });
        expected = expected.slice(0, pos) + expected.slice(pos + 1);
      }
      const before = store.log.recordCount();
      clock.advance(0); // compaction runs in a task of its own
      if (store.log.recordCount() < before) compactions++;
      if (rng.chance(0.03)) {
        await replica.close();
        replica = await open();
        expect(replica.view('converge').text).toBe(expected);
      }
    }
    const version = replica.version('converge');
    await replica.close();
    const reopened = await open();
    expect(compactions).toBeGreaterThan(30);
    expect(reopened.view('converge').text).toBe(expected);
    expect(reopened.version('converge')).toEqual(version);
    await reopened.close();
  });
});
