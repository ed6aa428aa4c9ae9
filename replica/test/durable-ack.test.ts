import { reportingSends, type Transport, VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../src/engine-name.ts';
import { Replica, type ReplicaOptions } from '../src/replica.ts';
import { SimNetwork } from '../src/sim-network.ts';
import { DURABLE, MemoryStore, type Store, type StoreRecord } from '../src/store.ts';
import { type ToyEngine, toyFactory } from '../testing/toy-engine.ts';

const ENGINES: readonly EngineName[] = ['converge', 'yjs'];

function world() {
  const clock = new VirtualClock(1_000_000);
  const net = new SimNetwork({ timers: clock, seed: 7 });
  const toys = toyFactory();
  const replicas: Replica[] = [];
  const open = async (id: string, extra: Partial<ReplicaOptions> = {}): Promise<Replica> => {
    const replica = await Replica.open({
      id,
      transport: net.transport(id),
      store: new MemoryStore(),
      engines: toys.registry(ENGINES),
      timers: clock,
      antiEntropyMs: 0,
      ...extra,
    });
    replicas.push(replica);
    return replica;
  };
  const toy = (replica: string, engine: EngineName): ToyEngine => {
    const found = toys.engines.get(replica)?.get(engine);
    if (!found) throw new Error(`no toy ${engine} for ${replica}`);
    return found;
  };
  const close = () => Promise.all(replicas.map((r) => r.close()));
  return { clock, net, open, toy, close };
}

/**
 * A memory store (durable on return: `DURABLE`) that can hold appends: while `holding`, each waits, in
 * order, until `release` (records still become durable in the order they were appended).
 */
class HoldingStore implements Store {
  readonly inner = new MemoryStore();
  holding = false;
  /** Whether each append returned `DURABLE`, in order. */
  readonly durableOnReturn: boolean[] = [];
  private held: (() => void)[] = [];
  load = () => this.inner.load();
  compact: Store['compact'] = (snapshot) => this.inner.compact(snapshot);
  close = () => this.inner.close();
  flush = () => this.inner.flush();
  append(record: StoreRecord): Promise<void> {
    if (!this.holding) {
      const written = this.inner.append(record);
      this.durableOnReturn.push(written === DURABLE);
      return written;
    }
    this.durableOnReturn.push(false);
    return new Promise((resolve, reject) => {
      this.held.push(() => this.inner.append(record).then(resolve, reject));
    });
  }
  release(): void {
    this.holding = false;
    for (const go of this.held.splice(0)) go();
  }
}

const flushMicrotasks = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('Replica: acknowledging writes durable on return', () => {
  it('settles writes durable on return before apply returns, and forwards them in one microtask', async () => {
    const { open, clock, toy, close } = world();
    const a = await open('a');
    await open('b');
    clock.advance(10); // handshakes
    const acknowledged = a.apply({ op: 'note.set', value: 'now' });
    const later = a.apply({ op: 'note.set', value: 'later' });
    // No microtask has run: both records are durable (memory), settled, and not sent yet.
    expect(a.pendingWriteCount()).toBe(0);
    clock.advance(10);
    expect(toy('b', 'yjs').view().note).toEqual([]);
    // Both go out, in order, in the one microtask that follows.
    await Promise.resolve();
    clock.advance(10);
    expect(toy('b', 'yjs').view().note).toEqual(['later']);
    await Promise.all([acknowledged, later]);
    await close();
  });

  it('acknowledges held writes in order, none before durable, then at once again', async () => {
    const { open, clock, toy, close } = world();
    const store = new HoldingStore();
    const a = await open('a', { store });
    await open('b');
    clock.advance(10);
    store.durableOnReturn.length = 0;
    store.holding = true;
    const order: string[] = [];
    const first = a.apply({ op: 'note.set', value: 'one' }).then(() => order.push('one'));
    const second = a.apply({ op: 'note.set', value: 'two' }).then(() => order.push('two'));
    await flushMicrotasks();
    clock.advance(10);
    await flushMicrotasks();
    expect(order).toEqual([]);
    expect(a.pendingWriteCount()).toBe(2);
    expect(toy('b', 'yjs').view().note).toEqual([]); // nothing forwarded before it is durable
    store.release();
    // Durable on return, but the two before it have not been acknowledged yet: it waits its turn.
    const third = a.apply({ op: 'counter.increment', name: 'likes', by: 1 }).then(() => order.push('three'));
    expect(store.durableOnReturn).toEqual([false, false, true]);
    expect(a.pendingWriteCount()).toBe(3);
    await Promise.all([first, second, third]);
    expect(order).toEqual(['one', 'two', 'three']);
    clock.advance(10);
    expect(toy('b', 'yjs').view().note).toEqual(['two']);
    expect(toy('b', 'yjs').view().counters.likes).toBe(1);
    // Nothing pending: an edit durable on return is acknowledged at once again.
    const fourth = a.apply({ op: 'note.set', value: 'four' });
    expect(a.pendingWriteCount()).toBe(0);
    await fourth;
    await close();
  });

  it('answers a peer’s handshake with no edit whose record is not durable yet', async () => {
    const { open, clock, net, toy, close } = world();
    const store = new HoldingStore();
    const a = await open('a', { store });
    await open('b');
    clock.advance(10); // handshakes
    store.holding = true;
    const acknowledged = a.apply({ op: 'note.set', value: 'pending' });
    await flushMicrotasks();
    // b's link drops and comes back while the edit is being stored: its handshake asks a for what it
    // lacks. Were the edit sent and its record then lost (a crash), b would hold an edit a never made.
    net.setOffline('b', true);
    clock.advance(10);
    net.setOffline('b', false);
    clock.advance(10);
    await flushMicrotasks();
    clock.advance(10);
    expect(toy('b', 'yjs').view().note).toEqual([]);
    expect(toy('b', 'converge').view().note).toEqual([]);
    store.release();
    await acknowledged;
    clock.advance(10);
    expect(toy('b', 'yjs').view().note).toEqual(['pending']);
    expect(toy('b', 'converge').view().note).toEqual(['pending']);
    await close();
  });

  it('forwards an edit whose write settles while the replica closes, before its connection closes', async () => {
    const { open, clock, net, close } = world();
    const store = new HoldingStore();
    // What a's replica hands its transport, in order: a frame sent before close leaves with the connection.
    const wire: string[] = [];
    const inner = net.transport('a');
    const transport: Transport = {
      ...reportingSends(inner, (_to, channel) => wire.push(`send ${channel}`)),
      close: () => {
        wire.push('close');
        inner.close();
      },
    };
    const a = await open('a', { store, transport });
    await open('b');
    clock.advance(10); // handshakes
    store.holding = true;
    const acknowledged = a.apply({ op: 'note.set', value: 'bye' });
    await flushMicrotasks();
    wire.length = 0;
    // The window goes away while the edit is still being stored (e.g. switching rooms).
    const closing = a.close();
    await expect(a.apply({ op: 'note.set', value: 'too late' })).rejects.toThrow('is closed');
    store.release();
    await acknowledged;
    await closing;
    expect(wire.at(-1)).toBe('close');
    expect(wire.filter((what) => what.startsWith('send')).length).toBeGreaterThan(0);
    await close();
  });
});
