import { type ConnectionState, VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { type ChaosSettings, SimNetwork, SimNetworkError, type SimTransport } from '../src/sim-network.ts';

interface Node {
  readonly transport: SimTransport;
  readonly events: string[];
  readonly messages: { from: string; channel: number; text: string; at: number }[];
}

function setup(
  ids: readonly string[],
  options: { seed?: number; chaos?: ChaosSettings; latencyMs?: number } = {},
) {
  const clock = new VirtualClock();
  const net = new SimNetwork({ timers: clock, seed: options.seed ?? 1, ...options });
  const nodes = new Map<string, Node>();
  const join = (id: string): Node => {
    const node: Node = { transport: net.transport(id), events: [], messages: [] };
    node.transport.start({
      linkUp: (peer) => node.events.push(`up ${peer}`),
      linkDown: (peer) => node.events.push(`down ${peer}`),
      message: (from, channel, payload) =>
        node.messages.push({ from, channel, text: new TextDecoder().decode(payload), at: clock.now() }),
      state: (state: ConnectionState) => node.events.push(`state ${state}`),
    });
    nodes.set(id, node);
    return node;
  };
  for (const id of ids) join(id);
  const get = (id: string): Node => nodes.get(id) as Node;
  const send = (from: string, to: string, text: string, channel = 1): void =>
    get(from).transport.send(to, channel, new TextEncoder().encode(text));
  return { clock, net, get, join, send };
}

describe('SimNetwork topology', () => {
  it('raises linkUp for every pair as nodes join, and linkDown when one leaves', () => {
    const { get, join } = setup(['a', 'b']);
    expect(get('a').events).toEqual(['up b']);
    expect(get('b').events).toEqual(['up a']);
    join('c');
    expect(get('a').events).toEqual(['up b', 'up c']);
    expect([...get('c').transport.reachable()].sort()).toEqual(['a', 'b']);
    get('c').transport.close();
    expect(get('a').events.at(-1)).toBe('down c');
    expect(get('c').events).toEqual(['up a', 'up b']); // the node that left hears nothing more
  });

  it('a pair is reachable only while links both ways are up', () => {
    const { net, get } = setup(['a', 'b']);
    net.cut('a', 'b');
    expect(net.reachable('a', 'b')).toBe(false);
    expect(get('a').events).toEqual(['up b', 'down b']);
    net.cut('b', 'a');
    net.restore('a', 'b');
    expect(net.reachable('a', 'b')).toBe(false);
    net.restore('b', 'a');
    expect(get('b').events).toEqual(['up a', 'down a', 'up a']);
    expect(net.cutLinks()).toEqual([]);
  });

  it('partitions into groups, isolates unlisted nodes, and heals', () => {
    const { net, get } = setup(['a', 'b', 'c', 'd']);
    net.partition([['a', 'b'], ['c']]);
    expect([...get('a').transport.reachable()]).toEqual(['b']);
    expect([...get('c').transport.reachable()]).toEqual([]);
    expect([...get('d').transport.reachable()]).toEqual([]);
    net.heal();
    expect([...get('d').transport.reachable()].sort()).toEqual(['a', 'b', 'c']);
    expect(() => net.partition([['a'], ['a', 'b']])).toThrow(SimNetworkError);
  });

  it('bridges two halves through one node and isolates a node', () => {
    const { net, get } = setup(['a', 'b', 'm', 'x', 'y']);
    net.bridge(['a', 'b'], 'm', ['x', 'y']);
    expect([...get('a').transport.reachable()].sort()).toEqual(['b', 'm']);
    expect([...get('m').transport.reachable()].sort()).toEqual(['a', 'b', 'x', 'y']);
    expect([...get('y').transport.reachable()].sort()).toEqual(['m', 'x']);
    net.heal();
    net.isolate('m');
    expect([...get('m').transport.reachable()]).toEqual([]);
    expect([...get('a').transport.reachable()].sort()).toEqual(['b', 'x', 'y']);
  });

  it('offline takes every link of a node down and reports the connection state', () => {
    const { net, get } = setup(['a', 'b']);
    get('a').transport.setOffline(true);
    expect(get('a').transport.state()).toBe('offline');
    expect(get('a').events).toEqual(['up b', 'state offline', 'down b']);
    net.heal(); // healing links does not bring an offline node back
    expect(net.reachable('a', 'b')).toBe(false);
    get('a').transport.setOffline(false);
    expect(get('a').events.slice(-2)).toEqual(['state online', 'up b']);
  });

  it('allows one live transport per node and a fresh one after close (restart)', () => {
    const { net, get, join } = setup(['a', 'b']);
    expect(() => net.transport('a')).toThrow(/already has a live transport/);
    get('a').transport.close();
    const again = join('a');
    expect(again.events).toEqual(['up b']);
    expect(get('b').events).toEqual(['up a', 'down a', 'up a']);
  });
});

describe('SimNetwork delivery', () => {
  it('delivers in order after the latency, with the channel and a private copy of the payload', () => {
    const { clock, get, net } = setup(['a', 'b'], { latencyMs: 5 });
    const payload = new TextEncoder().encode('x');
    get('a').transport.send('b', 3, payload);
    payload[0] = 0x79; // the sender reusing its buffer must not change what is delivered
    for (let i = 0; i < 5; i++) get('a').transport.send('b', 2, new TextEncoder().encode(String(i)));
    clock.advance(4);
    expect(get('b').messages).toEqual([]);
    clock.advance(1);
    expect(get('b').messages.map((m) => `${m.channel}:${m.text}@${m.at}`)).toEqual([
      '3:x@5',
      '2:0@5',
      '2:1@5',
      '2:2@5',
      '2:3@5',
      '2:4@5',
    ]);
    expect(net.stats()).toMatchObject({ sent: 6, delivered: 6, lost: 0 });
    expect(net.inFlight()).toBe(0);
  });

  it('never carries frames across a link-down, even if the link is back before they would arrive', () => {
    const { clock, net, get, send } = setup(['a', 'b'], { latencyMs: 10 });
    send('a', 'b', 'old');
    clock.advance(3);
    net.cut('a', 'b');
    net.restore('a', 'b');
    send('a', 'b', 'new');
    expect(net.inFlight()).toBe(1);
    clock.advance(20);
    expect(get('b').messages.map((m) => m.text)).toEqual(['new']);
    send('a', 'b', 'into the void');
    net.isolate('b');
    send('a', 'b', 'unreachable');
    clock.advance(20);
    expect(get('b').messages.map((m) => m.text)).toEqual(['new']);
    expect(net.stats().lost).toBe(3);
  });

  it('chaos drops, duplicates, delays and reorders at roughly the configured rates, reproducibly', () => {
    const run = (seed: number) => {
      const { clock, get, net, send } = setup(['a', 'b'], {
        seed,
        chaos: { drop: 0.2, duplicate: 0.2, reorder: 0.3, delayMs: 20 },
      });
      for (let i = 0; i < 2000; i++) {
        send('a', 'b', String(i));
        clock.advance(1);
      }
      clock.advance(100);
      return { order: get('b').messages.map((m) => Number(m.text)), stats: net.stats() };
    };
    const first = run(7);
    expect(run(7)).toEqual(first);
    expect(run(8).order).not.toEqual(first.order);
    const { stats, order } = first;
    expect(stats.dropped / stats.sent).toBeGreaterThan(0.15);
    expect(stats.dropped / stats.sent).toBeLessThan(0.25);
    expect(stats.duplicated / (stats.sent - stats.dropped)).toBeGreaterThan(0.15);
    expect(stats.delivered).toBe(stats.sent - stats.dropped + stats.duplicated);
    const inversions = order.filter((n, i) => i > 0 && n < (order[i - 1] as number)).length;
    expect(inversions).toBeGreaterThan(50);
  });

  it('without reorder, a random delay keeps each link in FIFO order', () => {
    const { clock, get, send } = setup(['a', 'b'], { chaos: { delayMs: 50 } });
    for (let i = 0; i < 200; i++) {
      send('a', 'b', String(i));
      clock.advance(1);
    }
    clock.advance(100);
    const order = get('b').messages.map((m) => Number(m.text));
    expect(order).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('validates chaos settings', () => {
    const { net } = setup(['a']);
    expect(() => net.setChaos({ drop: 1.5 })).toThrow(/drop must be within/);
    expect(() => net.setChaos({ delayMs: -1 })).toThrow(/delayMs/);
    net.setChaos({ drop: 0.5 });
    net.setChaos(undefined);
    expect(net.chaosSettings()).toEqual({ drop: 0, duplicate: 0, reorder: 0, delayMs: 0 });
  });

  it('a frame sent by a handler during delivery is scheduled, not delivered re-entrantly', () => {
    const clock = new VirtualClock();
    const net = new SimNetwork({ timers: clock, seed: 3 });
    const a = net.transport('a');
    const b = net.transport('b');
    const log: string[] = [];
    a.start({ linkUp: () => {}, linkDown: () => {}, message: (_f, _e, p) => log.push(`a got ${p[0]}`) });
    b.start({
      linkUp: (peer) => b.send(peer, 1, Uint8Array.of(1)),
      linkDown: () => {},
      message: (from, channel, p) => {
        log.push(`b got ${p[0]}`);
        b.send(from, channel, Uint8Array.of((p[0] ?? 0) + 1));
      },
    });
    a.send('b', 1, Uint8Array.of(10));
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['a got 1', 'b got 10']);
    clock.advance(1);
    expect(log).toEqual(['a got 1', 'b got 10', 'a got 11']);
  });
});
