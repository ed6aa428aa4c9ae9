// The client transport against the real relay: peers, links, data, offline, reconnects.
import { type ConnectionState, FrameType } from '@converge/protocol';
import { type RelayProblem, RelayTransport, type WebSocketConstructor } from '@converge/replica';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Relay } from '../src/index.ts';
import { closeRelaysAfterEach, credentialFor, startRelay, text, waitFor } from './support.ts';

let relay: Relay | undefined;
const transports: RelayTransport[] = [];

closeRelaysAfterEach();
afterEach(() => {
  for (const t of transports.splice(0)) t.close();
});

interface Observed {
  readonly transport: RelayTransport;
  readonly log: string[];
  readonly messages: { from: string; channel: number; text: string }[];
  readonly states: ConnectionState[];
  readonly problems: RelayProblem[];
}

/** A transport for `nodeId` with a credential minted for it (unless `token` is given). */
async function open(
  nodeId: string,
  options: { url?: string; token?: string; room?: string; WebSocket?: WebSocketConstructor } = {},
): Promise<Observed> {
  const room = options.room ?? 'room';
  const token = options.token ?? (await credentialFor(relay!, room, nodeId));
  const log: string[] = [];
  const messages: Observed['messages'] = [];
  const states: ConnectionState[] = [];
  const problems: RelayProblem[] = [];
  const transport = new RelayTransport({
    url: options.url ?? relay!.url,
    room,
    nodeId,
    token,
    WebSocket: options.WebSocket ?? WebSocket,
    backoff: { initialMs: 20, maxMs: 100 },
    onProblem: (p) => problems.push(p),
  });
  transport.start({
    linkUp: (peer) => log.push(`up ${peer}`),
    linkDown: (peer) => log.push(`down ${peer}`),
    message: (from, channel, payload) =>
      messages.push({ from, channel, text: new TextDecoder().decode(payload) }),
    state: (state) => states.push(state),
  });
  transports.push(transport);
  return { transport, log, messages, states, problems };
}

const reachable = (o: Observed): string[] => [...o.transport.reachable()].sort();

describe('RelayTransport', () => {
  it('two transports see each other and exchange payloads', async () => {
    ({ relay } = await startRelay());
    const a = await open('a');
    const b = await open('b');
    await waitFor(() => reachable(a).join() === 'b' && reachable(b).join() === 'a', 'mutual reachability');
    expect(a.transport.state()).toBe('online');
    expect(a.states).toEqual(['connecting', 'online']);
    a.transport.send('b', 1, text('hi b'));
    b.transport.send('a', 2, text('hi a'));
    a.transport.send('nobody', 3, text('dropped silently'));
    await waitFor(() => a.messages.length === 1 && b.messages.length === 1, 'messages');
    expect(b.messages).toEqual([{ from: 'a', channel: 1, text: 'hi b' }]);
    expect(a.messages).toEqual([{ from: 'b', channel: 2, text: 'hi a' }]);
  });

  it("has every peer of the relay's welcome reachable when it announces the first", async () => {
    // A replica greets its first source (the storage peer) before the others: it must see it reachable
    // whatever the welcome's order.
    ({ relay } = await startRelay());
    const a = await open('a');
    await open('b');
    await waitFor(() => reachable(a).join() === 'b', 'a and b linked');
    const seen: string[] = [];
    const c = new RelayTransport({
      url: relay!.url,
      room: 'room',
      nodeId: 'c',
      token: await credentialFor(relay!, 'room', 'c'),
      WebSocket,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    transports.push(c);
    c.start({
      linkUp: (peer) => seen.push(`${peer}: ${[...c.reachable()].sort().join(' ')}`),
      linkDown: () => {},
      message: () => {},
    });
    await waitFor(() => seen.length === 2, 'c linked to a and b');
    expect(seen.sort()).toEqual(['a: a b', 'b: a b']);
  });

  it('broadcasts one frame the relay fans out, over the links that are up only', async () => {
    ({ relay } = await startRelay());
    const a = await open('a');
    const b = await open('b');
    const c = await open('c');
    await waitFor(() => reachable(a).join() === 'b,c', 'a reaches both');
    a.transport.broadcast(1, text('to all'));
    await waitFor(() => b.messages.length === 1 && c.messages.length === 1, 'both got it');
    expect(b.messages).toEqual([{ from: 'a', channel: 1, text: 'to all' }]);
    expect(c.messages).toEqual([{ from: 'a', channel: 1, text: 'to all' }]);
    relay.applyLinks('room', { op: 'cut', from: 'a', to: 'c' });
    await waitFor(() => reachable(a).join() === 'b', 'c cut off');
    a.transport.broadcast(1, text('to b only'));
    await waitFor(() => b.messages.length === 2, 'b got the second');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(c.messages).toHaveLength(1);
    const fromA = relay.traffic('room')?.filter((t) => t.from === 'a') ?? [];
    expect(fromA.find((t) => t.to === 'c')?.dropped.cut).toBe(1);
  });

  it('sends what one task sent as one WebSocket message, which the relay splits by recipient', async () => {
    ({ relay } = await startRelay());
    const received = new Map<string, number>();
    const counting = (node: string) =>
      class extends WebSocket {
        constructor(url: string) {
          super(url);
          this.addEventListener('message', () => received.set(node, (received.get(node) ?? 0) + 1));
        }
      };
    const a = await open('a');
    const b = await open('b', { WebSocket: counting('b') });
    const c = await open('c', { WebSocket: counting('c') });
    await waitFor(() => reachable(a).join() === 'b,c' && reachable(b).length === 2, 'all reach all');
    await waitFor(() => reachable(c).length === 2, 'c reaches all');
    const before = { b: received.get('b') ?? 0, c: received.get('c') ?? 0 };
    // One intent: every engine's frame to everyone, and an answer to b alone.
    for (let channel = 1; channel <= 5; channel++) a.transport.broadcast(channel, text(`engine ${channel}`));
    a.transport.send('b', 9, text('to b'));
    await waitFor(() => b.messages.length === 6 && c.messages.length === 5, 'all delivered');
    expect(b.messages.map((m) => m.channel)).toEqual([1, 2, 3, 4, 5, 9]);
    expect(c.messages.map((m) => `${m.channel} ${m.text}`)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `${n} engine ${n}`),
    );
    expect((received.get('b') ?? 0) - before.b).toBe(1);
    expect((received.get('c') ?? 0) - before.c).toBe(1);
    // The relay still counts each engine's frames on its own channel.
    const ab = relay.traffic('room')?.find((t) => t.from === 'a' && t.to === 'b');
    expect(Object.keys(ab?.channels ?? {})).toEqual(['1', '2', '3', '4', '5', '9']);
    expect(ab?.channels['9']?.frames).toBe(1);
  });

  it('link cut → linkDown on both, heal → linkUp on both', async () => {
    ({ relay } = await startRelay());
    const a = await open('a');
    const b = await open('b');
    await waitFor(() => reachable(a).length === 1 && reachable(b).length === 1, 'connected');
    relay.applyLinks('room', { op: 'cut', from: 'a', to: 'b' });
    await waitFor(() => a.log.includes('down b') && b.log.includes('down a'), 'link down on both');
    expect(reachable(a)).toEqual([]);
    a.transport.send('b', 1, text('not sent: b is unreachable'));
    relay.applyLinks('room', { op: 'heal', from: 'a', to: 'b' });
    await waitFor(() => reachable(a).length === 1 && reachable(b).length === 1, 'healed');
    expect(a.log).toEqual(['up b', 'down b', 'up b']);
    expect(b.log).toEqual(['up a', 'down a', 'up a']);
    expect(relay.traffic('room')?.find((t) => t.from === 'a')?.offered ?? 0).toBe(0);
  });

  it("knows which nodes reach each other from the relay's cuts frames", async () => {
    ({ relay } = await startRelay());
    relay.applyLinks('room', { op: 'cut', from: 'c', to: 'b' });
    const a = await open('a');
    expect(a.transport.linked('b', 'c')).toBeUndefined(); // before the relay said
    const b = await open('b');
    await waitFor(() => reachable(a).length === 1 && a.transport.linked('b', 'c') !== undefined, 'told');
    expect(a.transport.linked('b', 'c')).toBe(false); // cut one way: b's frames are not taken by c
    expect(a.transport.linked('c', 'b')).toBe(false);
    expect(a.transport.linked('a', 'b')).toBe(true);
    relay.applyLinks('room', { op: 'heal-all' });
    await waitFor(() => a.transport.linked('b', 'c') === true, 'heal told');
    relay.applyLinks('room', { op: 'cut', from: 'a', to: 'b' });
    await waitFor(() => b.transport.linked('a', 'b') === false, 'cut told');
    // A connection that ended knows nothing until the next one's cuts frame.
    b.transport.setOffline(true);
    expect(b.transport.linked('a', 'b')).toBeUndefined();
  });

  it('refuses a malformed cuts frame, reports it, and takes the frames after it', async () => {
    ({ relay } = await startRelay());
    let socket: WebSocket | undefined;
    class Capturing extends WebSocket {
      constructor(url: string) {
        super(url);
        socket = this;
      }
    }
    const a = await open('a', { WebSocket: Capturing as unknown as WebSocketConstructor });
    const b = await open('b');
    await waitFor(() => reachable(a).length === 1 && a.transport.linked('a', 'b') === true, 'connected');
    // As if the relay sent it: a cut link from a node to itself.
    const bad = new Uint8Array([FrameType.Cuts, 1, 1, 98, 1, 98]);
    if (socket === undefined) throw new Error('no socket captured');
    (socket.onmessage as unknown as (event: { data: Uint8Array }) => void)({ data: bad });
    expect(a.problems).toEqual([
      { kind: 'malformed-frame', message: expect.stringMatching(/joins a node to itself/) },
    ]);
    expect(a.transport.linked('a', 'b')).toBe(true);
    b.transport.send('a', 3, text('after'));
    await waitFor(() => a.messages.some((m) => m.text === 'after'), 'delivered after the refusal');
    expect(a.transport.state()).toBe('online');
  });

  it('goes offline and back online on request', async () => {
    ({ relay } = await startRelay());
    const a = await open('a');
    const b = await open('b');
    await waitFor(() => reachable(b).length === 1, 'connected');
    a.transport.setOffline(true);
    expect(a.transport.state()).toBe('offline');
    expect(a.log).toEqual(['up b', 'down b']);
    await waitFor(() => b.log.includes('down a'), 'b sees a leave');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(a.transport.state()).toBe('offline'); // no reconnect while offline
    expect(relay.room('room')?.nodes.map((n) => n.id)).toEqual(['b']);
    a.transport.setOffline(false);
    await waitFor(() => reachable(a).length === 1 && reachable(b).length === 1, 'back online');
    expect(a.states).toEqual(['connecting', 'online', 'offline', 'connecting', 'online']);
  });

  it('reconnects after a relay restart on the same port', async () => {
    ({ relay } = await startRelay());
    const port = relay.port;
    const a = await open('a');
    const b = await open('b');
    await waitFor(() => reachable(a).length === 1 && reachable(b).length === 1, 'connected');
    await relay.close();
    await waitFor(
      () => reachable(a).length === 0 && a.transport.state() === 'connecting',
      'a lost the relay',
    );
    expect(a.log).toEqual(['up b', 'down b']);
    await new Promise((resolve) => setTimeout(resolve, 150)); // a few failed attempts with backoff
    // The same admin token: credentials minted before the restart stay valid.
    ({ relay } = await startRelay({ port, adminToken: relay.adminToken }));
    await waitFor(() => reachable(a).join() === 'b' && reachable(b).join() === 'a', 'reconnected', 10_000);
    expect(a.log).toEqual(['up b', 'down b', 'up b']);
    expect(a.problems.some((p) => p.kind === 'error-frame' && p.code === 'shutting-down')).toBe(true);
    a.transport.send('b', 0, text('after restart'));
    await waitFor(() => b.messages.some((m) => m.text === 'after restart'), 'data after restart');
  });

  it('stops retrying when the relay refuses it for good', async () => {
    ({ relay } = await startRelay());
    const a = await open('a', { token: 'wrong' });
    await waitFor(() => a.problems.some((p) => p.kind === 'closed'), 'refused');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(a.transport.state()).toBe('offline');
    expect(a.problems.filter((p) => p.kind === 'closed')).toEqual([
      { kind: 'closed', code: 4003, reason: 'not a valid credential for this relay', permanent: true },
    ]);
    const ok = await open('b');
    await waitFor(() => ok.transport.state() === 'online', 'a valid credential');
  });

  it('reconnects when the relay refused a socket that said no hello in time', async () => {
    // A window's worker busy when its socket opened (an engine loading) says hello too late: the
    // relay's timeout refuses that socket, and the transport must simply try again.
    ({ relay } = await startRelay({ limits: { helloTimeoutMs: 100 } }));
    let held = 1;
    class HeldBackOnce extends WebSocket {
      constructor(url: string) {
        super(url);
        if (held-- <= 0) return;
        // The first socket's open event never reaches the transport: its hello is never sent.
        let handler: unknown = null;
        Object.defineProperty(this, 'onopen', {
          get: () => handler,
          set: (value: unknown) => {
            handler = value;
          },
        });
      }
    }
    const token = await credentialFor(relay!, 'room', 'a');
    const problems: RelayProblem[] = [];
    const states: ConnectionState[] = [];
    const transport = new RelayTransport({
      url: relay!.url,
      room: 'room',
      nodeId: 'a',
      token,
      WebSocket: HeldBackOnce,
      backoff: { initialMs: 20, maxMs: 100 },
      onProblem: (p) => problems.push(p),
    });
    transports.push(transport);
    transport.start({
      linkUp: () => {},
      linkDown: () => {},
      message: () => {},
      state: (s) => states.push(s),
    });
    await waitFor(() => transport.state() === 'online', 'online after the refusal');
    expect(problems.filter((p) => p.kind === 'closed')).toEqual([
      { kind: 'closed', code: 4002, reason: 'no hello within 100 ms', permanent: false },
    ]);
    expect(states).toEqual(['connecting', 'online']);
  });

  it('asks a credential provider before each connection, and retries when it fails', async () => {
    ({ relay } = await startRelay());
    let asked = 0;
    const problems: RelayProblem[] = [];
    const a = new RelayTransport({
      url: relay.url,
      room: 'room',
      nodeId: 'a',
      WebSocket,
      backoff: { initialMs: 20, maxMs: 40 },
      token: async () => {
        asked++;
        if (asked === 1) throw new Error('credential service down');
        return credentialFor(relay!, 'room', 'a');
      },
      onProblem: (p) => problems.push(p),
    });
    transports.push(a);
    a.start({ linkUp: () => {}, linkDown: () => {}, message: () => {} });
    await waitFor(() => a.state() === 'online', 'online with the second credential');
    expect(asked).toBe(2);
    expect(problems[0]).toEqual({ kind: 'no-credential', message: 'credential service down' });
    expect(a.rights()).toEqual(['read', 'write']);
  });

  it('does not send with a read-only credential, and says so once', async () => {
    ({ relay } = await startRelay());
    const reader = await open('reader', { token: await credentialFor(relay, 'room', 'reader', ['read']) });
    const writer = await open('writer');
    await waitFor(() => reachable(reader).join() === 'writer', 'connected');
    expect(reader.transport.rights()).toEqual(['read']);
    reader.transport.send('writer', 1, text('not mine to send'));
    reader.transport.broadcast(1, text('nor this'));
    writer.transport.send('reader', 1, text('readers receive'));
    await waitFor(() => reader.messages.length === 1, 'the writer’s frame');
    expect(reader.problems).toEqual([{ kind: 'read-only', room: 'room' }]);
    expect(writer.messages).toEqual([]);
    expect(relay.stats().violations.forbidden).toBe(0);
  });

  it('refuses to send frames larger than the relay accepts', async () => {
    // Hello carries a credential of a few hundred bytes; the limit must leave room for it.
    ({ relay } = await startRelay({ limits: { maxFrameBytes: 1000 } }));
    const a = await open('a');
    const b = await open('b');
    await waitFor(() => reachable(a).length === 1 && reachable(b).length === 1, 'connected');
    a.transport.send('b', 1, new Uint8Array(2000));
    a.transport.send('b', 1, text('small'));
    await waitFor(() => b.messages.length === 1, 'small one');
    expect(a.problems).toContainEqual({ kind: 'frame-too-large', bytes: 2008, limit: 1000 });
    expect(a.transport.state()).toBe('online');
  });

  it('survives a replica handler that throws, and reports it', async () => {
    ({ relay } = await startRelay());
    const problems: RelayProblem[] = [];
    const received: string[] = [];
    const a = new RelayTransport({
      url: relay.url,
      room: 'room',
      nodeId: 'a',
      token: await credentialFor(relay, 'room', 'a'),
      WebSocket,
      onProblem: (p) => problems.push(p),
    });
    transports.push(a);
    a.start({
      linkUp: () => {
        throw new Error('linkUp bug');
      },
      linkDown: () => {},
      message: (_from, _channel, payload) => {
        const t = new TextDecoder().decode(payload);
        received.push(t);
        if (t === 'boom') throw new Error('message bug');
      },
    });
    const b = await open('b');
    await waitFor(() => a.reachable().has('b') && reachable(b).join() === 'a', 'connected');
    b.transport.send('a', 3, text('boom'));
    b.transport.send('a', 3, text('after'));
    await waitFor(() => received.length === 2, 'both messages');
    expect(problems.filter((p) => p.kind === 'handler-failed').map((p) => p.message)).toEqual([
      'linkUp bug',
      'message bug',
    ]);
    expect(a.state()).toBe('online');
  });
});
