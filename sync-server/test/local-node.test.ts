// A node in the relay's process joins a room like any other: same routing, links and notifications.
import { encodeBundle, encodeFrame } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { ControlError } from '../src/index.ts';
import { LocalTransport } from '../src/local-node.ts';
import type { Member, Room } from '../src/room.ts';
import { closeRelaysAfterEach, payloadText, RawClient, startRelay, text, waitFor } from './support.ts';

closeRelaysAfterEach();

describe('local (in-process) nodes', () => {
  it('exchange data with socket nodes, follow link changes and see the relay go away', async () => {
    const { relay } = await startRelay();
    const a = await RawClient.join(relay, 'room', 'a');
    const storage = relay.openLocalNode({ room: 'room', nodeId: 'storage' });
    const log: string[] = [];
    const received: string[] = [];
    storage.start({
      linkUp: (peer) => log.push(`up ${peer}`),
      linkDown: (peer) => log.push(`down ${peer}`),
      message: (from, channel, payload) => {
        received.push(`${from}/${channel}/${new TextDecoder().decode(payload)}`);
        // Answering from inside the handler must not re-enter routing badly.
        storage.send(from, channel, text('ack'));
      },
      state: (state) => log.push(state),
    });
    await waitFor(() => storage.state() === 'online', 'local node online');
    await a.waitFor(
      (f) => f.type === 'link-up' && f.peer === 'storage' && f.role === 'storage',
      'a sees storage',
    );
    a.data('a', 'storage', 2, text('persist me'));
    await a.waitFor((f) => payloadText(f) === 'ack', 'ack from storage');
    expect(received).toEqual(['a/2/persist me']);
    storage.broadcast(3, text('to everyone'));
    await a.waitFor((f) => payloadText(f) === 'to everyone', 'a broadcast from storage');
    expect(a.of('data').at(-1)).toMatchObject({ from: 'storage', to: null, channel: 3 });
    expect(relay.room('room')?.nodes.map((n) => [n.id, n.role, n.remote])).toEqual([
      ['a', 'replica', expect.stringContaining('127.0.0.1')],
      ['storage', 'storage', 'in-process'],
    ]);

    relay.applyLinks('room', { op: 'isolate', node: 'storage' });
    await waitFor(() => log.includes('down a'), 'storage told of the cut');
    storage.send('a', 1, text('not delivered'));
    storage.broadcast(1, text('not delivered either'));
    // What a node sends in one task leaves when the task ends (one frame): here, while still cut.
    await Promise.resolve();
    relay.applyLinks('room', { op: 'heal-all' });
    await waitFor(() => log.filter((l) => l === 'up a').length === 2, 'healed');

    await relay.close();
    expect(log).toEqual(['connecting', 'online', 'up a', 'down a', 'up a', 'down a', 'offline']);
    expect(a.of('data').map(payloadText)).toEqual(['ack', 'to everyone']);
  });

  it("tells when a frame's entries have all been given (a bundle, then a data frame)", async () => {
    const { relay } = await startRelay();
    const a = await RawClient.join(relay, 'room', 'a');
    const storage = relay.openLocalNode({ room: 'room', nodeId: 'storage' });
    const seen: string[] = [];
    storage.start({
      linkUp: () => {},
      linkDown: () => {},
      message: (_from, channel) => seen.push(`${channel}`),
      frameEnd: () => seen.push('end'),
    });
    await a.waitFor((f) => f.type === 'link-up' && f.peer === 'storage', 'a sees storage');
    a.sendBytes(
      encodeBundle('a', [
        { to: 'storage', channel: 1, payload: text('x') },
        { to: null, channel: 2, payload: text('y') },
      ]),
    );
    a.data('a', 'storage', 3, text('z'));
    await waitFor(() => seen.length === 5, 'both frames');
    expect(seen).toEqual(['1', '2', 'end', '3', 'end']);
  });

  it('reports a send the room fails to route instead of throwing from the microtask it leaves on', async () => {
    const reported: unknown[] = [];
    const failing = {
      route: () => {
        throw new Error('routing bug');
      },
    } as unknown as Room;
    const node = new LocalTransport(
      { room: 'room', nodeId: 'storage' },
      (endpoint) => {
        endpoint.send(
          encodeFrame({
            type: 'welcome',
            room: 'room',
            nodeId: 'storage',
            peers: [],
            maxFrameBytes: 1024,
            rights: ['read', 'write'],
          }),
        );
        return { room: failing, member: {} as Member, leave: () => {} };
      },
      (_node, error) => reported.push(error),
    );
    node.start({ linkUp() {}, linkDown() {}, message() {} });
    await waitFor(() => node.state() === 'online', 'welcomed');
    node.broadcast(1, text('x'));
    await waitFor(() => reported.length === 1, 'the failure reported');
    expect(String(reported[0])).toContain('routing bug');
  });

  it('is subject to the node limit and leaves on close', async () => {
    const { relay } = await startRelay({ limits: { maxNodesPerRoom: 1 } });
    const first = relay.openLocalNode({ room: 'room', nodeId: 'one' });
    const handlers = { linkUp() {}, linkDown() {}, message() {} };
    first.start(handlers);
    const second = relay.openLocalNode({ room: 'room', nodeId: 'two' });
    expect(() => second.start(handlers)).toThrow(ControlError);
    first.close();
    expect(relay.rooms()).toEqual([]);
  });

  it('a throwing handler is logged and does not take the relay down', async () => {
    const { relay, logs } = await startRelay();
    const a = await RawClient.join(relay, 'room', 'a');
    const storage = relay.openLocalNode({ room: 'room', nodeId: 'storage' });
    const seen: string[] = [];
    storage.start({
      linkUp() {},
      linkDown() {},
      message: (_from, _channel, payload) => {
        seen.push(new TextDecoder().decode(payload));
        throw new Error('storage peer bug');
      },
    });
    await a.waitFor((f) => f.type === 'link-up' && f.peer === 'storage', 'a sees storage');
    a.data('a', 'storage', 3, text('one'));
    a.data('a', 'storage', 3, text('two'));
    await waitFor(() => seen.length === 2, 'both delivered');
    expect(logs.filter((l) => l.includes('local-node-handler-failed'))).toHaveLength(2);
    expect(relay.health().ok).toBe(true);
  });
});
