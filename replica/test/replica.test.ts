import { type Transport, VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../src/engine-name.ts';
import { EngineRegistry, EngineRegistryError } from '../src/engine-registry.ts';
import { ENGINES } from '../src/engines/index.ts';
import { Replica, ReplicaError, type ReplicaEvent, type ReplicaOptions } from '../src/replica.ts';
import { IntentError } from '../src/schema.ts';
import { SimNetwork } from '../src/sim-network.ts';
import { MemoryStore, type Store, type StoreRecord } from '../src/store.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';
import { encodeToy, type ToyEngine, toyFactory } from '../testing/toy-engine.ts';

closeSimRoomsAfterEach();

const TOY_ENGINES: readonly EngineName[] = ['converge', 'yjs'];

function world(options: { antiEntropyMs?: number; compactAfter?: number } = {}) {
  const clock = new VirtualClock(1_000_000);
  const net = new SimNetwork({ timers: clock, seed: 42 });
  const toys = toyFactory();
  const stores = new Map<string, MemoryStore>();
  const open = (id: string, extra: Partial<ReplicaOptions> = {}): Promise<Replica> => {
    const store = stores.get(id) ?? new MemoryStore();
    stores.set(id, store);
    return Replica.open({
      id,
      transport: net.transport(id),
      store,
      engines: toys.registry(TOY_ENGINES),
      timers: clock,
      antiEntropyMs: options.antiEntropyMs ?? 0,
      ...(options.compactAfter === undefined ? {} : { compactAfter: options.compactAfter }),
      ...extra,
    });
  };
  const toy = (replica: string, engine: EngineName): ToyEngine => {
    const found = toys.engines.get(replica)?.get(engine);
    if (!found) throw new Error(`no toy ${engine} for ${replica}`);
    return found;
  };
  return { clock, net, open, toy, toys, stores };
}

/** A store whose appends wait until released, to observe what happens before an edit is durable. */
class GatedStore implements Store {
  readonly inner = new MemoryStore();
  private held: (() => void)[] = [];
  gated = false;
  load = () => this.inner.load();
  compact: Store['compact'] = (snapshot) => this.inner.compact(snapshot);
  close = () => this.inner.close();
  flush = () => this.inner.flush();
  append(record: StoreRecord): Promise<void> {
    if (!this.gated) return this.inner.append(record);
    return new Promise((resolve, reject) => {
      this.held.push(() => this.inner.append(record).then(resolve, reject));
    });
  }
  release(): void {
    for (const go of this.held.splice(0)) go();
  }
}

describe('Replica: local edits', () => {
  it('applies one intent to every engine and persists each engine’s update', async () => {
    const { open, toy, stores } = world();
    const a = await open('a');
    await a.apply({ op: 'counter.increment', name: 'likes', by: 2 });
    for (const engine of TOY_ENGINES) {
      expect(toy('a', engine).applied).toEqual([{ op: 'counter.increment', name: 'likes', by: 2 }]);
      expect(a.view(engine).counters.likes).toBe(2);
    }
    const stored = await stores.get('a')?.load();
    expect(stored?.updates.map((u) => u.engine)).toEqual(['converge', 'yjs']);
    expect(stored?.metadata).toEqual({ replicaId: 'a', skewMs: 0, primary: 'converge' });
  });

  it('stores an intent as one record holding every engine’s update, so a crash keeps all or none', async () => {
    const { open, stores } = world();
    const a = await open('a');
    const appended: StoreRecord[] = [];
    const store = stores.get('a') as MemoryStore;
    const append = store.append.bind(store);
    store.append = (record) => {
      appended.push(record);
      return append(record);
    };
    await a.apply({ op: 'text.insert', pos: 0, text: 'hi' });
    expect(appended).toEqual([
      {
        kind: 'intent',
        updates: [
          { engine: 'converge', update: expect.any(Uint8Array) },
          { engine: 'yjs', update: expect.any(Uint8Array) },
        ],
      },
    ]);
  });

  it('resolves only once the updates are durable, and ships them to peers only then', async () => {
    const { open, clock, toy } = world();
    const store = new GatedStore();
    const a = await open('a', { store });
    await open('b');
    clock.advance(10); // handshakes
    store.gated = true;
    let acknowledged = false;
    const pending = a.apply({ op: 'note.set', value: 'hi' }).then(() => {
      acknowledged = true;
    });
    clock.advance(10);
    await Promise.resolve();
    expect(acknowledged).toBe(false);
    expect(toy('b', 'yjs').view().note).toEqual([]); // not sent before it is durable
    store.release();
    await pending;
    expect(acknowledged).toBe(true);
    clock.advance(10);
    expect(toy('b', 'yjs').view().note).toEqual(['hi']);
  });

  it('rejects an invalid intent or an out-of-range text edit without touching any engine', async () => {
    const { open, toy } = world();
    const a = await open('a');
    await expect(a.apply({ op: 'counter.increment', name: 'likes', by: -1 })).rejects.toThrow(IntentError);
    await expect(a.apply({ op: 'text.delete', pos: 0, len: 1 })).rejects.toThrow(/beyond the text/);
    await expect(a.apply({ op: 'text.insert', pos: 1, text: 'x' })).rejects.toThrow(IntentError);
    await expect(a.apply(null as never)).rejects.toThrow(IntentError);
    await expect(a.apply({ op: 'cart.explode' } as never)).rejects.toThrow(/unknown op/);
    expect(toy('a', 'converge').applied).toEqual([]);
    expect(toy('a', 'yjs').applied).toEqual([]);
  });

  it('reports a non-primary engine failure after keeping the edit everywhere else', async () => {
    const { open, toy, clock } = world();
    const a = await open('a');
    toy('a', 'yjs').failApply = true;
    await expect(a.apply({ op: 'cart.add', product: 'pen', qty: 1 })).rejects.toThrow(
      /applied to converge but failed on yjs: yjs refuses/,
    );
    expect(a.view('converge').cart).toEqual({ pen: 1 });
    expect(a.problems()).toEqual([expect.objectContaining({ kind: 'engine-error', engine: 'yjs' })]);
    toy('a', 'converge').failApply = true;
    clock.advance(1000); // a step of its own
    await expect(a.apply({ op: 'cart.add', product: 'pen', qty: 1 })).rejects.toThrow('converge refuses');
    // The refused edit left no empty undo step: undo takes back the pen that was added.
    toy('a', 'converge').failApply = false;
    expect(await a.undo()).toBe(true);
    expect(a.view('converge').cart).toEqual({});
  });

  it('aligns a text edit to each engine’s own text (real yjs and lww engines with diverged texts)', async () => {
    const { clock, net, open } = simRoom({
      seed: 1,
      startMs: 1_000_000,
      engines: ENGINES.only(['yjs', 'lww']),
      antiEntropyMs: 0,
    });
    const a = await open('a');
    const b = await open('b');
    await a.apply({ op: 'text.insert', pos: 0, text: 'hello world' });
    clock.advance(10);
    net.partition([['a'], ['b']]);
    await a.apply({ op: 'text.insert', pos: 5, text: ' big' });
    clock.advance(1); // b's concurrent edit gets the later LWW stamp and wins the whole text there
    await b.apply({ op: 'text.insert', pos: 11, text: '!' });
    net.heal();
    clock.advance(10);
    expect(a.view('yjs').text).toBe('hello big world!');
    expect(a.view('lww').text).toBe('hello world!');
    // The user types against the yjs text; each engine gets the comma after "hello".
    await a.apply({ op: 'text.insert', pos: 5, text: ',' });
    expect(a.view('yjs').text).toBe('hello, big world!');
    expect(a.view('lww').text).toBe('hello, world!');
    // Deleting "big " (which lww never had) leaves lww alone; deleting "world" hits both.
    await a.apply({ op: 'text.delete', pos: 7, len: 4 });
    expect(a.view('lww').text).toBe('hello, world!');
    await a.apply({ op: 'text.delete', pos: 7, len: 5 });
    expect(a.view('yjs').text).toBe('hello, !');
    expect(a.view('lww').text).toBe('hello, !');
    await a.close();
    await b.close();
  });
});

describe('Replica: sessions', () => {
  it('opens and starts one session per engine on linkUp and closes them on linkDown', async () => {
    const { open, net, toy } = world();
    const a = await open('a');
    const events: ReplicaEvent[] = [];
    a.subscribe((event) => events.push(event));
    await open('b');
    expect(a.peers()).toEqual(['b']);
    for (const engine of TOY_ENGINES) {
      const [session] = toy('a', engine).sessions;
      expect(session?.peer).toBe('b');
      expect(session?.started).toBe(1);
    }
    net.isolate('a');
    expect(a.peers()).toEqual([]);
    expect(toy('a', 'yjs').sessions[0]?.closed).toBe(true);
    expect(events.filter((e) => e.type === 'peers')).toEqual([
      { type: 'peers', peers: ['b'] },
      { type: 'peers', peers: [] },
    ]);
  });

  it('sends nothing for a session after linkDown, even if the session keeps talking', async () => {
    const { open, net, toy, clock } = world();
    const a = await open('a');
    await open('b');
    clock.advance(10);
    const session = toy('a', 'yjs').sessions[0];
    const sentBefore = a.trafficOf('yjs').framesSent;
    net.cut('a', 'b');
    net.restore('a', 'b'); // a fresh session is open again...
    session?.sendAnyway(encodeToy({ type: 'hello', vector: {} })); // ...but the old one must stay silent
    // Only the new session's handshake and the digest announcement that goes with a linkUp.
    expect(a.trafficOf('yjs').framesSent).toBe(sentBefore + 2);
  });

  it('forwards changes to every open session and dispatches payloads by engine', async () => {
    const { open, clock, toy } = world();
    const a = await open('a');
    const b = await open('b');
    const c = await open('c');
    clock.advance(10);
    await a.apply({ op: 'cart.add', product: 'pen', qty: 3 });
    clock.advance(10);
    for (const replica of [b, c])
      for (const engine of TOY_ENGINES) expect(replica.view(engine).cart).toEqual({ pen: 3 });
    // b got a's update once from a and once relayed from c: the session skips echoing to the source.
    const bToA = toy('b', 'converge').sessions.find((s) => s.peer === 'a');
    expect(bToA?.changes).toHaveLength(1);
    expect(a.trafficOf('converge').framesReceived).toBeGreaterThan(0);
    expect(a.trafficOf('converge').bytesSent).toBeGreaterThan(0);
  });

  it('counts and reports malformed payloads and payloads for engines it does not host', async () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ timers: clock, seed: 5 });
    const toys = toyFactory();
    const a = await Replica.open({
      id: 'a',
      transport: net.transport('a'),
      store: new MemoryStore(),
      engines: toys.registry(['yjs']),
      timers: clock,
      antiEntropyMs: 0,
    });
    const evil = net.transport('evil');
    evil.start({ linkUp: () => {}, linkDown: () => {}, message: () => {} });
    evil.send('a', ENGINES.get('yjs').wireCode, Uint8Array.of(0xff, 0xfe));
    evil.send('a', ENGINES.get('lww').wireCode, Uint8Array.of(1)); // an engine a does not host
    evil.send('a', 250, Uint8Array.of(1)); // a channel no engine stands for
    clock.advance(5);
    expect(a.trafficOf('yjs')).toMatchObject({ framesReceived: 1, framesRejected: 1, bytesReceived: 2 });
    expect(a.problems().map((p) => `${p.kind}:${p.peer}`)).toEqual([
      'rejected-payload:evil',
      'unknown-engine:evil',
      'unknown-engine:evil',
    ]);
  });

  it('runs anti-entropy on every session at the configured period, and stops on close', async () => {
    const { open, clock, toy } = world({ antiEntropyMs: 100 });
    const a = await open('a');
    await open('b');
    await open('c');
    clock.advance(350);
    for (const session of toy('a', 'yjs').sessions) expect(session.antiEntropyRounds).toBe(3);
    await a.close();
    clock.advance(1000);
    for (const session of toy('a', 'yjs').sessions) expect(session.antiEntropyRounds).toBe(3);
  });

  it('anti-entropy repairs what chaos dropped on links that never went down', async () => {
    const { open, clock, net } = world({ antiEntropyMs: 200 });
    const a = await open('a');
    const b = await open('b');
    clock.advance(10);
    net.setChaos({ drop: 1 });
    await a.apply({ op: 'counter.increment', name: 'stock', by: -4 });
    clock.advance(100);
    expect(b.view('yjs').counters.stock).toBe(0);
    net.setChaos(undefined);
    clock.advance(300);
    expect(b.view('yjs').counters.stock).toBe(-4);
    expect(b.digest('yjs')).toBe(a.digest('yjs'));
  });

  it('works offline and syncs on reconnect', async () => {
    const { open, clock } = world();
    const a = await open('a');
    const b = await open('b');
    const states: string[] = [];
    a.subscribe((e) => {
      if (e.type === 'connection') states.push(e.state);
    });
    a.setOffline(true);
    expect(a.connection()).toBe('offline');
    expect(a.peers()).toEqual([]);
    await a.apply({ op: 'note.set', value: 'written offline' });
    clock.advance(50);
    expect(b.view('converge').note).toEqual([]);
    a.setOffline(false);
    clock.advance(50);
    expect(b.view('converge').note).toEqual(['written offline']);
    expect(states).toEqual(['offline', 'online']);
  });

  it('stays offline across a restart: a reopened offline replica pushes nothing until switched back', async () => {
    const { open, clock } = world();
    const a = await open('a');
    const b = await open('b');
    await a.setOffline(true);
    await a.setSkew(-5000);
    await a.apply({ op: 'note.set', value: 'written offline' });
    await a.close();
    const reopened = await open('a');
    expect(reopened.isOffline).toBe(true);
    expect(reopened.status()).toMatchObject({ offline: true, skewMs: -5000, connection: 'offline' });
    clock.advance(100);
    expect(b.view('converge').note).toEqual([]);
    expect(reopened.peers()).toEqual([]);
    await reopened.setOffline(false);
    clock.advance(100);
    expect(b.view('converge').note).toEqual(['written offline']);
    await reopened.close();
    expect((await open('a')).isOffline).toBe(false);
  });

  it('refuses to go offline on a transport without an offline switch', async () => {
    const transport: Transport = {
      nodeId: 'a',
      start: () => {},
      send: () => {},
      reachable: () => new Set(),
      state: () => 'online',
      close: () => {},
    };
    const a = await Replica.open({
      id: 'a',
      transport,
      store: new MemoryStore(),
      engines: toyFactory().registry(['yjs']),
      antiEntropyMs: 0,
    });
    expect(() => a.setOffline(true)).toThrow(/cannot be switched offline/);
    await a.close();
  });
});

describe('Replica: store and settings', () => {
  it('reopens from its store with its data and settings before any peer answers', async () => {
    const { open, net } = world();
    const a = await open('a', { primary: 'yjs' });
    await a.apply({ op: 'text.insert', pos: 0, text: 'persist me' });
    await a.setSkew(-5000);
    await a.close();
    net.isolate('a');
    const again = await open('a');
    expect(again.view('converge').text).toBe('persist me');
    expect(again.view('yjs').text).toBe('persist me');
    expect(again.skewMs).toBe(-5000);
    expect(again.primary).toBe('yjs');
  });

  it('gives engines a wall clock that includes the skew setting', async () => {
    const { open, toy, clock } = world();
    const a = await open('a', { skewMs: 250 });
    expect(toy('a', 'yjs').ctx.now()).toBe(clock.now() + 250);
    await a.setSkew(-1000);
    expect(toy('a', 'yjs').ctx.now()).toBe(clock.now() - 1000);
    await expect(a.setSkew(0.5)).rejects.toThrow(ReplicaError);
    await expect(a.setPrimary('lww')).rejects.toThrow(/not hosted/);
  });

  it('refuses a store that belongs to another replica', async () => {
    const { open, stores } = world();
    await (await open('a')).close();
    const store = stores.get('a') as MemoryStore;
    const clock = new VirtualClock();
    const net = new SimNetwork({ timers: clock, seed: 1 });
    await expect(
      Replica.open({
        id: 'b',
        transport: net.transport('b'),
        store,
        engines: toyFactory().registry(['yjs']),
      }),
    ).rejects.toThrow(/belongs to replica a/);
  });

  it('compacts the log into snapshots and reopens to the same state', async () => {
    const { open, stores, clock } = world({ compactAfter: 10 });
    const a = await open('a');
    for (let i = 0; i < 12; i++) await a.apply({ op: 'counter.increment', name: 'likes', by: 1 });
    const store = stores.get('a') as MemoryStore;
    // Not in the keystroke's own task (saving every engine takes a while): in a task of its own, next.
    expect(store.log.recordCount()).toBeGreaterThanOrEqual(10);
    clock.advance(0);
    expect(store.log.recordCount()).toBeLessThan(10);
    const digests = TOY_ENGINES.map((e) => a.digest(e));
    await a.close();
    const again = await open('a');
    expect(TOY_ENGINES.map((e) => again.digest(e))).toEqual(digests);
    expect(again.view('yjs').counters.likes).toBe(12);
  });

  it('keeps (and never compacts away) data of engines it does not host', async () => {
    const { open, stores, net, toys } = world({ compactAfter: 2 });
    const full = await open('a');
    await full.apply({ op: 'note.set', value: 'kept' });
    await full.close();
    net.isolate('a');
    const partial = await open('a', { engines: toys.registry(['yjs']) });
    for (let i = 0; i < 5; i++) await partial.apply({ op: 'counter.increment', name: 'likes', by: 1 });
    await partial.close();
    expect((stores.get('a') as MemoryStore).log.recordCount()).toBeGreaterThan(5); // no compaction
    const again = await open('a');
    expect(again.view('converge').note).toEqual(['kept']);
  });

  it('reports damaged stored updates and still loads the rest', async () => {
    const store = new MemoryStore();
    await store.load();
    await store.append({ kind: 'update', engine: 'yjs', update: Uint8Array.of(1, 2, 3) });
    await store.append({
      kind: 'update',
      engine: 'yjs',
      update: encodeToy([{ replica: 'a', seq: 1, lamport: 1, intent: { op: 'note.set', value: 'ok' } }]),
    });
    const clock = new VirtualClock();
    const net = new SimNetwork({ timers: clock, seed: 1 });
    const a = await Replica.open({
      id: 'a',
      transport: net.transport('a'),
      store,
      engines: toyFactory().registry(['yjs']),
      timers: clock,
    });
    expect(a.view('yjs').note).toEqual(['ok']);
    expect(a.problems()).toEqual([expect.objectContaining({ kind: 'load-damage', engine: 'yjs' })]);
    await a.close();
  });

  it('exposes a status snapshot for the UI', async () => {
    const { open, clock } = world({ antiEntropyMs: 100 });
    const a = await open('a');
    await open('b');
    clock.advance(10);
    await a.apply({ op: 'cart.add', product: 'tea', qty: 2 });
    clock.advance(150); // an anti-entropy round re-advertises b's version
    const status = a.status();
    expect(status).toMatchObject({
      id: 'a',
      connection: 'online',
      peers: ['b'],
      skewMs: 0,
      primary: 'converge',
    });
    expect(status.engines.yjs?.view.cart).toEqual({ tea: 2 });
    expect(status.engines.yjs?.version).toEqual({ kind: 'vector', entries: { a: 1 } });
    expect(status.engines.yjs?.peerVersions.b).toEqual({ kind: 'vector', entries: { a: 1 } });
    expect(status.engines.converge?.traffic.framesSent).toBeGreaterThan(0);
  });

  it('validates its options', async () => {
    const { open, toys } = world();
    await expect(open('a', { engines: new EngineRegistry([]) })).rejects.toThrow(/at least one engine/);
    expect(() => toys.registry(['yjs', 'yjs'])).toThrow(EngineRegistryError);
    await expect(open('c', { primary: 'lww' })).rejects.toThrow(/primary engine lww/);
  });
});

describe('Replica: lifecycle', () => {
  it('closes every engine once its pending writes settle, and refuses reads afterwards', async () => {
    const { open, toy } = world();
    const store = new GatedStore();
    const a = await open('a', { store });
    store.gated = true;
    const edit = a.apply({ op: 'counter.increment', name: 'likes', by: 1 });
    const closing = a.close();
    await Promise.resolve();
    // The append is still pending: the engines are still open.
    for (const engine of TOY_ENGINES) expect(toy('a', engine).closed).toBe(false);
    store.release();
    await edit;
    await closing;
    for (const engine of TOY_ENGINES) expect(toy('a', engine).closed).toBe(true);
    expect(() => a.view('yjs')).toThrow(ReplicaError);
    expect(() => a.digest('yjs')).toThrow(/replica a is closed/);
    await a.close(); // idempotent
  });

  it('closes its engines when it fails to open', async () => {
    const { open, toy, stores } = world();
    const a = await open('a');
    await a.close();
    // The store belongs to replica a: opening it as b fails after the engines were built.
    const b = open('b', { store: stores.get('a') as MemoryStore });
    await expect(b).rejects.toThrow(/belongs to replica a/);
    for (const engine of TOY_ENGINES) expect(toy('b', engine).closed).toBe(true);
  });

  it('closes the engines already built when building another fails', async () => {
    const toys = toyFactory();
    const engines = new EngineRegistry([
      toys.descriptor('converge'),
      {
        ...toys.descriptor('yjs'),
        create: () => {
          throw new Error('no yjs today');
        },
      },
    ]);
    const net = new SimNetwork({ timers: new VirtualClock(0), seed: 1 });
    await expect(
      Replica.open({
        id: 'a',
        transport: net.transport('a'),
        store: new MemoryStore(),
        engines,
      }),
    ).rejects.toThrow(/no yjs today/);
    expect(toys.engines.get('a')?.get('converge')?.closed).toBe(true);
  });
});
