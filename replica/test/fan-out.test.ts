/**
 * A fan-out (a change handed to every session, a round of digests or of anti-entropy) puts what every peer
 * gets alike on the wire once, as a broadcast the relay fans out; what differs goes to each peer; a
 * transport without broadcast gets one frame per peer; a cut link still delivers nothing.
 */
import { decodeReplicaMessage, type Transport, VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../src/engine-name.ts';
import { Replica } from '../src/replica.ts';
import { SimNetwork } from '../src/sim-network.ts';
import { MemoryStore } from '../src/store.ts';
import { type CountedFrame, countFrames } from '../testing/frame-counter.ts';
import { toyFactory } from '../testing/toy-engine.ts';

const ENGINES: readonly EngineName[] = ['converge', 'yjs'];

function world(antiEntropyMs = 0) {
  const clock = new VirtualClock(1_000_000);
  const net = new SimNetwork({ timers: clock, seed: 5 });
  const toys = toyFactory();
  const registry = toys.registry(ENGINES);
  const sent = new Map<string, CountedFrame[]>();
  const open = (id: string, wrap: (t: Transport) => Transport = (t) => t): Promise<Replica> => {
    const frames: CountedFrame[] = [];
    sent.set(id, frames);
    return Replica.open({
      id,
      transport: countFrames(wrap(net.transport(id)), frames),
      store: new MemoryStore(),
      engines: registry,
      timers: clock,
      antiEntropyMs,
    });
  };
  /** What `id` sent since the last call: per frame, its addressing and its kind. */
  const drain = (id: string): string[] =>
    (sent.get(id) ?? []).splice(0).map((f) => {
      const engine = registry.byWireCode(f.channel);
      const message = decodeReplicaMessage(f.payload);
      const kind = message.kind === 'sync' ? engine?.describePayload(message.payload) : message.kind;
      return `${engine?.name} ${f.to ?? '*'} ${kind}`;
    });
  return { clock, net, open, drain };
}

/** Without broadcast: the transport as a replica before broadcasts saw it. */
function unicastOnly(inner: Transport): Transport {
  return {
    nodeId: inner.nodeId,
    start: (handlers) => inner.start(handlers),
    send: (to, channel, payload) => inner.send(to, channel, payload),
    reachable: () => inner.reachable(),
    state: () => inner.state(),
    close: () => inner.close(),
  };
}

describe('fan-out', () => {
  it('sends a local change every peer lacks once, as a broadcast, per engine', async () => {
    const { clock, open, drain } = world();
    const a = await open('a');
    const b = await open('b');
    const c = await open('c');
    clock.advance(10);
    drain('a');
    await a.apply({ op: 'cart.add', product: 'pen', qty: 2 });
    expect(drain('a')).toEqual(['converge * ops', 'yjs * ops']);
    clock.advance(150); // the digests, once for both peers
    expect(drain('a')).toEqual(['converge * digest', 'yjs * digest']);
    for (const replica of [b, c])
      for (const engine of ENGINES) expect(replica.view(engine).cart).toEqual({ pen: 2 });
  });

  it('sends each peer its own frame when the transport cannot broadcast', async () => {
    const { clock, open, drain } = world();
    const a = await open('a', unicastOnly);
    const b = await open('b');
    const c = await open('c');
    clock.advance(10);
    drain('a');
    await a.apply({ op: 'cart.add', product: 'pen', qty: 2 });
    expect(drain('a').sort()).toEqual(['converge b ops', 'converge c ops', 'yjs b ops', 'yjs c ops']);
    clock.advance(10);
    for (const replica of [b, c])
      for (const engine of ENGINES) expect(replica.view(engine).cart).toEqual({ pen: 2 });
  });

  it('sends what not every peer gets to each peer that gets it', async () => {
    const { clock, net, open, drain } = world();
    await open('a');
    const b = await open('b');
    const c = await open('c');
    const d = await open('d');
    clock.advance(10);
    net.cut('b', 'c');
    drain('a');
    // b's change reaches a, which passes it on to c only: never back to b, nor to d, which b reaches.
    await b.apply({ op: 'cart.add', product: 'ink', qty: 1 });
    clock.advance(5);
    expect(drain('a').filter((f) => f.endsWith('ops'))).toEqual(['converge c ops', 'yjs c ops']);
    expect(c.view('yjs').cart).toEqual({ ink: 1 });
    expect(d.view('yjs').cart).toEqual({ ink: 1 });
  });

  it("passes a peer's keystroke on to no peer when its source reaches them all", async () => {
    const { clock, open, drain } = world();
    const a = await open('a');
    const b = await open('b');
    const c = await open('c');
    clock.advance(10);
    drain('a');
    drain('c');
    await b.apply({ op: 'cart.add', product: 'ink', qty: 1 });
    clock.advance(150); // the digests follow the change
    for (const node of ['a', 'c']) {
      expect(drain(node)).toEqual(['converge * digest', 'yjs * digest']);
    }
    for (const replica of [a, c]) {
      for (const engine of ENGINES) expect(replica.view(engine).cart).toEqual({ ink: 1 });
    }
  });

  it('sends an anti-entropy round once: the digests and the hellos', async () => {
    const { clock, open, drain } = world(1_000);
    await open('a');
    await open('b');
    await open('c');
    clock.advance(500);
    drain('a');
    clock.advance(500);
    expect(drain('a')).toEqual([
      'converge * digest',
      'converge * hello (vector)',
      'yjs * digest',
      'yjs * hello (vector)',
    ]);
  });

  it('delivers nothing over a cut link, and the cut-off peer catches up once it heals', async () => {
    const { clock, net, open } = world(1_000);
    const a = await open('a');
    const b = await open('b');
    const c = await open('c');
    const fromA: Uint8Array[] = [];
    const d = await open('d', (inner) => ({
      ...unicastOnly(inner),
      start: (handlers) =>
        inner.start({
          ...handlers,
          message: (from, channel, payload) => {
            if (from === 'a') fromA.push(payload);
            handlers.message(from, channel, payload);
          },
        }),
    }));
    clock.advance(10);
    net.cut('a', 'd');
    fromA.length = 0;
    await a.apply({ op: 'cart.add', product: 'pen', qty: 2 });
    clock.advance(500);
    for (const replica of [b, c]) expect(replica.view('converge').cart).toEqual({ pen: 2 });
    expect(fromA).toEqual([]); // d has it from b and c, never over the cut link
    expect(d.view('converge').cart).toEqual({ pen: 2 });
    net.heal();
    clock.advance(2_000);
    expect(fromA.length).toBeGreaterThan(0);
    for (const engine of ENGINES) expect(d.view(engine).cart).toEqual({ pen: 2 });
  });
});
