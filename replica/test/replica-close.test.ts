/** A replica closes even when its store failed a write by throwing instead of rejecting. */
import { VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../src/engines/index.ts';
import { Replica } from '../src/replica.ts';
import { SimNetwork } from '../src/sim-network.ts';
import { MemoryStore } from '../src/store.ts';

describe('Replica.close', () => {
  it('resolves after a store append threw synchronously', async () => {
    const timers = new VirtualClock(1_700_000_000_000);
    const net = new SimNetwork({ timers, seed: 9 });
    const store = new MemoryStore();
    const replica = await Replica.open({
      id: 'r-closer1',
      transport: net.transport('r-closer1'),
      store,
      engines: ENGINES.only(['converge']),
      timers,
      antiEntropyMs: 0,
    });
    store.append = () => {
      throw new Error('the log is closed');
    };
    await expect(replica.apply({ op: 'text.insert', pos: 0, text: 'x' })).rejects.toThrow(
      'the log is closed',
    );
    expect(replica.pendingWriteCount()).toBe(0);
    const closed = await Promise.race([
      replica.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2_000)),
    ]);
    expect(closed).toBe('closed');
  });
});
