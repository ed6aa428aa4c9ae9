// Rooms, routing, broadcast, link cuts, presets and reachability notifications over real sockets.
import { encodeBundle, encodeFrame } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { NO_CHAOS, type Relay } from '../src/index.ts';
import {
  closeRelaysAfterEach,
  credentialFor,
  payloadText,
  RawClient,
  reachableSeen,
  startRelay,
  text,
  waitFor,
} from './support.ts';

let relay: Relay;

async function join(room: string, node: string, token?: string): Promise<RawClient> {
  return RawClient.join(relay, room, node, { token });
}

closeRelaysAfterEach();

describe('rooms and routing', () => {
  it('welcomes a node with the peers already there and tells them it joined', async () => {
    ({ relay } = await startRelay());
    const a = await join('r1', 'a');
    const welcomeA = a.of('welcome')[0];
    expect(welcomeA).toMatchObject({ room: 'r1', nodeId: 'a', peers: [] });
    expect(welcomeA?.maxFrameBytes).toBeGreaterThan(0);
    const b = await join('r1', 'b');
    expect(b.of('welcome')[0]?.peers).toEqual([{ id: 'a', role: 'replica', reachable: true }]);
    await a.waitFor((f) => f.type === 'link-up' && f.peer === 'b', 'a sees b');
    expect(a.of('link-up')).toEqual([{ type: 'link-up', peer: 'b', role: 'replica', reason: 'joined' }]);
    // Another room is another world.
    const c = await join('r2', 'c');
    expect(c.of('welcome')[0]?.peers).toEqual([]);
    expect(relay.rooms().map((r) => [r.id, r.nodes.map((n) => n.id)])).toEqual([
      ['r1', ['a', 'b']],
      ['r2', ['c']],
    ]);
  });

  it('routes directed frames to one node and broadcasts to all others, bytes unchanged', async () => {
    ({ relay } = await startRelay());
    const a = await join('room', 'a');
    const b = await join('room', 'b');
    const c = await join('room', 'c');
    const payload = new Uint8Array([0, 1, 2, 254, 255]);
    a.data('a', 'b', 1, payload);
    a.data('a', null, 2, text('to everyone'));
    await b.waitFor((f) => payloadText(f) === 'to everyone', 'broadcast at b');
    await c.waitFor((f) => payloadText(f) === 'to everyone', 'broadcast at c');
    expect(b.of('data')).toEqual([
      { type: 'data', from: 'a', to: 'b', channel: 1, payload },
      { type: 'data', from: 'a', to: null, channel: 2, payload: text('to everyone') },
    ]);
    expect(c.of('data').map(payloadText)).toEqual(['to everyone']);
    expect(a.of('data')).toEqual([]);
    const traffic = relay.traffic('room') ?? [];
    const ab = traffic.find((t) => t.from === 'a' && t.to === 'b');
    expect(ab?.channels[1]?.frames).toBe(1);
    expect(ab?.channels[2]?.frames).toBe(1);
    expect(traffic.find((t) => t.from === 'a' && t.to === 'c')?.channels[2]?.frames).toBe(1);
  });

  it('routes a bundle: each node gets the entries meant for it as one frame, cut or dropped whole', async () => {
    ({ relay } = await startRelay());
    const a = await join('room', 'a');
    const b = await join('room', 'b');
    const c = await join('room', 'c');
    const d = await join('room', 'd');
    const everyone = (channel: number) => ({ to: null, channel, payload: text(`all ${channel}`) });
    const toB = { to: 'b', channel: 9, payload: text('to b') };
    const toGhost = { to: 'ghost', channel: 8, payload: text('to nobody') };
    relay.applyLinks('room', { op: 'cut', from: 'a', to: 'd' });
    a.sendBytes(encodeBundle('a', [everyone(1), toB, everyone(2), toGhost]));
    a.sendBytes(encodeBundle('a', [toB, { ...toB, channel: 10 }]));
    await b.waitFor((f) => f.type === 'bundle' && f.entries[0]?.channel === 9, 'the second bundle at b');
    await c.waitFor((f) => f.type === 'bundle', 'the bundle at c');
    // b: its entries in order, in one frame; c: the broadcast ones only; d: nothing (cut), ghost counted.
    expect(b.frames.filter((f) => f.type === 'bundle' || f.type === 'data')).toEqual([
      { type: 'bundle', from: 'a', entries: [everyone(1), toB, everyone(2)] },
      { type: 'bundle', from: 'a', entries: [toB, { ...toB, channel: 10 }] },
    ]);
    expect(c.frames.filter((f) => f.type === 'bundle' || f.type === 'data')).toEqual([
      { type: 'bundle', from: 'a', entries: [everyone(1), everyone(2)] },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(d.frames.filter((f) => f.type === 'bundle' || f.type === 'data')).toEqual([]);
    expect(relay.rooms().find((r) => r.id === 'room')?.unknownRecipient).toBe(1);
    // Counted per entry on its channel; the bytes of a link are the bytes of the frames it delivered.
    const traffic = relay.traffic('room') ?? [];
    const ab = traffic.find((t) => t.from === 'a' && t.to === 'b');
    expect(ab?.offered).toBe(5);
    expect(Object.entries(ab?.channels ?? {}).map(([ch, t]) => [ch, t.frames])).toEqual([
      ['1', 1],
      ['2', 1],
      ['9', 2],
      ['10', 1],
    ]);
    const abBytes = Object.values(ab?.channels ?? {}).reduce((n, t) => n + t.bytes, 0);
    expect(abBytes).toBe(
      encodeBundle('a', [everyone(1), toB, everyone(2)]).length +
        encodeBundle('a', [toB, { ...toB, channel: 10 }]).length,
    );
    const ad = traffic.find((t) => t.from === 'a' && t.to === 'd');
    expect(ad?.dropped.cut).toBe(2);
    // Chaos takes a frame whole: dropping everything drops every entry of it.
    relay.setChaos('room', { from: 'a', to: 'c' }, { ...NO_CHAOS, dropRate: 1, seed: 1 });
    a.sendBytes(encodeBundle('a', [everyone(3), everyone(4)]));
    await b.waitFor((f) => f.type === 'bundle' && f.entries[0]?.channel === 3, 'the third bundle at b');
    await waitFor(
      () =>
        traffic.length > 0 &&
        (relay.traffic('room')?.find((t) => t.to === 'c' && t.from === 'a')?.dropped.chaos ?? 0) === 2,
      'dropped at c',
    );
  });

  it('keeps order on a link', async () => {
    ({ relay } = await startRelay());
    const a = await join('room', 'a');
    const b = await join('room', 'b');
    for (let i = 0; i < 500; i++) a.data('a', 'b', 0, text(String(i)));
    await waitFor(() => b.of('data').length === 500, '500 frames');
    expect(b.of('data').map(payloadText)).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
  });

  it('tells the others when a node leaves, and a reconnect with the same id replaces the old socket', async () => {
    ({ relay } = await startRelay());
    const aToken = await credentialFor(relay, 'room', 'a');
    const a = await join('room', 'a', aToken);
    const b = await join('room', 'b');
    await b.close();
    await a.waitFor((f) => f.type === 'link-down' && f.peer === 'b', 'b left');
    expect(a.of('link-down')).toEqual([{ type: 'link-down', peer: 'b', reason: 'left' }]);
    const a2 = await join('room', 'a', aToken);
    const closed = await a.waitClosed();
    expect(closed.code).toBe(4009);
    expect(a.of('error').map((e) => e.code)).toEqual(['replaced']);
    expect(relay.room('room')?.nodes.map((n) => n.id)).toEqual(['a']);
    expect(a2.of('welcome')).toHaveLength(1);
  });

  it('forgets a room when its last node leaves', async () => {
    ({ relay } = await startRelay());
    const a = await join('temp', 'a');
    expect(relay.rooms()).toHaveLength(1);
    await a.close();
    await waitFor(() => relay.rooms().length === 0, 'room removed');
  });
});

describe('link table', () => {
  it('a cut link delivers nothing, both ends are told, heal tells both again', async () => {
    ({ relay } = await startRelay());
    const a = await join('room', 'a');
    const b = await join('room', 'b');
    const change = relay.applyLinks('room', { op: 'cut', from: 'a', to: 'b' });
    expect(change).toEqual({ cut: [{ from: 'a', to: 'b' }], healed: [] });
    await a.waitFor((f) => f.type === 'link-down', 'a told');
    await b.waitFor((f) => f.type === 'link-down', 'b told');
    expect(a.of('link-down')).toEqual([{ type: 'link-down', peer: 'b', reason: 'cut' }]);
    expect(b.of('link-down')).toEqual([{ type: 'link-down', peer: 'a', reason: 'cut' }]);
    a.data('a', 'b', 3, text('lost'));
    a.data('a', null, 3, text('lost too'));
    // The other direction is still up: frames flow b → a (the ends decide not to use it).
    b.data('b', 'a', 3, text('one way'));
    await a.waitFor((f) => payloadText(f) === 'one way', 'b → a still up');
    expect(b.of('data')).toEqual([]);
    expect(relay.traffic('room')?.find((t) => t.from === 'a' && t.to === 'b')?.dropped.cut).toBe(2);

    relay.applyLinks('room', { op: 'heal', from: 'a', to: 'b' });
    await a.waitFor((f) => f.type === 'link-up' && f.reason === 'healed', 'a healed');
    await b.waitFor((f) => f.type === 'link-up' && f.reason === 'healed', 'b healed');
    a.data('a', 'b', 3, text('after heal'));
    await b.waitFor((f) => payloadText(f) === 'after heal', 'delivered after heal');
    expect(b.of('data').map(payloadText)).toEqual(['after heal']);
  });

  it("tells every node the room's cut links: after welcome, and on every change", async () => {
    ({ relay } = await startRelay());
    const a = await join('room', 'a');
    const b = await join('room', 'b');
    // Right after welcome, before anything else: nothing is cut.
    expect(a.frames.slice(0, 2).map((f) => f.type)).toEqual(['welcome', 'cuts']);
    expect(b.frames[1]).toEqual({ type: 'cuts', links: [] });
    relay.applyLinks('room', { op: 'cut', from: 'b', to: 'c' });
    const listed = { type: 'cuts', links: [{ from: 'b', to: 'c' }] };
    await a.waitFor((f) => f.type === 'cuts' && f.links.length === 1, 'a told of the cut');
    await b.waitFor((f) => f.type === 'cuts' && f.links.length === 1, 'b told of the cut');
    expect(a.of('cuts').at(-1)).toEqual(listed);
    // A node joining later learns of the cut on join (a link cut by name, before the node came).
    const c = await join('room', 'c');
    expect(c.frames[1]).toEqual(listed);
    // Nothing changes: nothing is sent.
    relay.applyLinks('room', { op: 'cut', from: 'b', to: 'c' });
    relay.applyLinks('room', { op: 'heal-all' });
    await c.waitFor((f) => f.type === 'cuts' && f.links.length === 0, 'c told of the heal');
    // A duplicate cut would have been sent before the heal (frames keep their order on a socket).
    await waitFor(() => a.of('cuts').length >= 3, 'a told of the heal');
    expect(a.of('cuts').map((f) => f.links.length)).toEqual([0, 1, 0]);
    expect(c.of('cuts')).toHaveLength(2);
  });

  it('refuses a cuts frame from a node, and carries on with its other frames', async () => {
    ({ relay } = await startRelay());
    const a = await join('room', 'a');
    const b = await join('room', 'b');
    a.sendBytes(encodeFrame({ type: 'cuts', links: [{ from: 'a', to: 'b' }] }));
    await a.waitFor((f) => f.type === 'error', 'refused');
    expect(a.of('error')).toEqual([
      { type: 'error', code: 'bad-frame', message: 'a node may not send cuts frames' },
    ]);
    a.data('a', 'b', 3, text('still here'));
    await b.waitFor((f) => payloadText(f) === 'still here', 'delivered after the refusal');
  });

  it('cutting the second direction of an already unreachable pair sends nothing new', async () => {
    ({ relay } = await startRelay());
    const a = await join('room', 'a');
    const b = await join('room', 'b');
    relay.applyLinks('room', { op: 'cut', from: 'a', to: 'b' });
    relay.applyLinks('room', { op: 'cut', from: 'b', to: 'a' });
    relay.applyLinks('room', { op: 'heal', from: 'a', to: 'b' });
    await a.waitFor((f) => f.type === 'link-down', 'a told');
    a.data('a', null, 1, text('marker'));
    // b → a is still cut: no link-up yet.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(a.of('link-down')).toHaveLength(1);
    expect(a.of('link-up')).toHaveLength(1); // b joining
    expect(b.of('link-down')).toHaveLength(1);
    relay.applyLinks('room', { op: 'heal', from: 'b', to: 'a' });
    await b.waitFor((f) => f.type === 'link-up' && f.reason === 'healed', 'b healed');
    expect(reachableSeen(a)).toEqual(new Set(['b']));
    expect(reachableSeen(b)).toEqual(new Set(['a']));
  });

  it('presets: isolate, split, bridge, heal-all — every node ends up told exactly its reachable peers', async () => {
    ({ relay } = await startRelay());
    const nodes = ['a', 'b', 'c', 'd'];
    const c: Record<string, RawClient> = {};
    for (const n of nodes) c[n] = await join('room', n);
    const settle = async (expected: Record<string, string[]>): Promise<void> => {
      for (const n of nodes) {
        await waitFor(
          () => [...reachableSeen(c[n]!)].sort().join() === (expected[n] ?? []).join(),
          `${n} sees ${expected[n]?.join()}`,
        );
        expect(relay.room('room')?.nodes.find((x) => x.id === n)?.reachable).toEqual(expected[n]);
      }
    };
    await settle({ a: ['b', 'c', 'd'], b: ['a', 'c', 'd'], c: ['a', 'b', 'd'], d: ['a', 'b', 'c'] });

    relay.applyLinks('room', { op: 'isolate', node: 'a' });
    await settle({ a: [], b: ['c', 'd'], c: ['b', 'd'], d: ['b', 'c'] });

    relay.applyLinks('room', {
      op: 'split',
      groups: [
        ['a', 'b'],
        ['c', 'd'],
      ],
    });
    await settle({ a: ['b'], b: ['a'], c: ['d'], d: ['c'] });
    c.a!.data('a', null, 0, text('side ab'));
    c.c!.data('c', null, 0, text('side cd'));
    await c.b!.waitFor((f) => payloadText(f) === 'side ab', 'b got ab');
    await c.d!.waitFor((f) => payloadText(f) === 'side cd', 'd got cd');

    relay.applyLinks('room', { op: 'bridge', node: 'b', groups: [['a'], ['c', 'd']] });
    await settle({ a: ['b'], b: ['a', 'c', 'd'], c: ['b', 'd'], d: ['b', 'c'] });

    relay.applyLinks('room', { op: 'heal-all' });
    await settle({ a: ['b', 'c', 'd'], b: ['a', 'c', 'd'], c: ['a', 'b', 'd'], d: ['a', 'b', 'c'] });
    // Nothing crossed a cut: a and c sent only inside their sides.
    expect(new Set(c.a!.of('data').map((f) => f.from))).toEqual(new Set());
    expect(c.c!.of('data').map(payloadText)).toEqual([]);
    expect(c.d!.of('data').map(payloadText)).toEqual(['side cd']);
    expect(c.b!.of('data').map(payloadText)).toEqual(['side ab']);
  });

  it('rejects a split that leaves a node out, and keeps cuts across a reconnect', async () => {
    ({ relay } = await startRelay());
    await join('room', 'a');
    await join('room', 'b');
    const cToken = await credentialFor(relay, 'room', 'c');
    await join('room', 'c', cToken);
    expect(() => relay.applyLinks('room', { op: 'split', groups: [['a'], ['b']] })).toThrow(/missing: c/);
    relay.applyLinks('room', { op: 'isolate', node: 'c' });
    const c2 = await join('room', 'c', cToken);
    expect(c2.of('welcome')[0]?.peers).toEqual([
      { id: 'a', role: 'replica', reachable: false },
      { id: 'b', role: 'replica', reachable: false },
    ]);
    // Partitions can be prepared before a node exists.
    relay.applyLinks('room', { op: 'cut', from: 'later', to: 'a', bothWays: true });
    const later = await join('room', 'later');
    expect(later.of('welcome')[0]?.peers.map((p) => [p.id, p.reachable])).toEqual([
      ['a', false],
      ['b', true],
      ['c', true],
    ]);
  });
});
