// Every limit: violations are answered (error frame and/or close code), counted, and nobody else notices.
import { encodeBundle, encodeFrame, PROTOCOL_VERSION } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LinkTrafficReport, Relay } from '../src/index.ts';
import {
  closeRelaysAfterEach,
  credentialFor,
  payloadText,
  RawClient,
  startRelay,
  text,
  waitFor,
} from './support.ts';

let relay: Relay | undefined;

closeRelaysAfterEach();

async function join(room: string, node: string, token?: string): Promise<RawClient> {
  return RawClient.join(relay!, room, node, { token });
}

async function connect(headers?: Record<string, string>): Promise<RawClient> {
  return RawClient.connect(relay!.url, headers);
}

/** Two well-behaved nodes that must be unaffected by whatever a test does to the relay. */
async function bystanders(): Promise<{ check: (label: string) => Promise<void> }> {
  const x = await join('calm', 'x');
  const y = await join('calm', 'y');
  let n = 0;
  return {
    check: async (label: string) => {
      const message = `${label} ${n++}`;
      x.data('x', 'y', 0, text(message));
      await y.waitFor((f) => payloadText(f) === message, `bystander frame ${message}`);
    },
  };
}

const violations = () => relay!.stats().violations;

describe('limits', () => {
  it('closes a connection that sends an oversize frame with 1009', async () => {
    ({ relay } = await startRelay({ limits: { maxFrameBytes: 1024 } }));
    const calm = await bystanders();
    const a = await join('room', 'a');
    expect(a.of('welcome')[0]?.maxFrameBytes).toBe(1024);
    a.data('a', null, 1, new Uint8Array(2000));
    expect((await a.waitClosed()).code).toBe(1009);
    await waitFor(() => violations()['frame-too-large'] === 1, 'counted');
    await calm.check('after oversize');
    expect(relay.room('room')).toBeUndefined();
  });

  it('drops frames past the rate limit with one error frame per second, then closes a flood', async () => {
    ({ relay } = await startRelay({
      limits: { framesPerSecond: 100, frameBurst: 100, rateLimitTolerance: 300 },
    }));
    const calm = await bystanders();
    const a = await join('room', 'a');
    const b = await join('room', 'b');
    for (let i = 0; i < 150; i++) a.data('a', 'b', 3, text(String(i)));
    await a.waitFor((f) => f.type === 'error' && f.code === 'rate-limited', 'rate-limited error');
    await waitFor(() => b.of('data').length >= 99, 'the burst got through');
    expect(a.closed).toBeUndefined();
    for (let i = 0; i < 1000; i++) a.data('a', 'b', 3, text('flood'));
    expect((await a.waitClosed()).code).toBe(4008);
    expect(a.of('error').filter((e) => e.code === 'rate-limited').length).toBeLessThanOrEqual(2);
    expect(violations()['rate-limited']).toBeGreaterThanOrEqual(1);
    // What got through is the burst plus the trickle refilled meanwhile, in order.
    const got = b.of('data').map(payloadText);
    expect(got.length).toBeLessThan(300);
    expect(got.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    await calm.check('after flood');
  });

  it('counts a bundle against the rate limit per entry, as the data frames it replaces', async () => {
    ({ relay } = await startRelay({
      limits: { framesPerSecond: 1, frameBurst: 100, rateLimitTolerance: 300 },
    }));
    const a = await join('room', 'a');
    const b = await join('room', 'b');
    const entries = Array.from({ length: 150 }, (_, i) => ({
      to: 'b',
      channel: 3,
      payload: text(String(i)),
    }));
    a.sendBytes(encodeBundle('a', entries));
    a.data('a', 'b', 3, text('after'));
    await a.waitFor((f) => f.type === 'error' && f.code === 'rate-limited', 'rate-limited error');
    // The bundle got through whole (a token was there); what follows waits out its other entries.
    await b.waitFor((f) => f.type === 'bundle', 'the bundle');
    expect(b.of('bundle')[0]?.entries).toHaveLength(150);
    expect(b.of('data')).toEqual([]);
  });

  it('drops frames to a client that never reads, then closes it; other readers lose nothing', async () => {
    ({ relay } = await startRelay({
      limits: {
        maxBufferedBytes: 256 * 1024,
        slowConsumerMs: 200,
        heartbeatMs: 60_000,
        framesPerSecond: 100_000,
        frameBurst: 100_000,
      },
    }));
    const sender = await join('room', 'sender');
    const reader = await join('room', 'reader');
    const stuck = await join('room', 'stuck');
    (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const chunk = new Uint8Array(64 * 1024);
    const burst = (count: number): void => {
      for (let i = 0; i < count; i++) sender.data('sender', null, 2, chunk);
    };
    const finalToStuck: LinkTrafficReport[] = [];
    relay.subscribe((event) => {
      if (event.type === 'traffic') finalToStuck.push(...event.links.filter((l) => l.to === 'stuck'));
    });
    burst(400);
    await waitFor(() => violations().backpressure === 1, 'backpressure noticed', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 250));
    burst(50);
    await waitFor(() => violations()['slow-consumer'] === 1, 'slow consumer closed', 10_000);
    await waitFor(() => reader.of('data').length === 450, 'reader got everything', 10_000);
    expect(relay.room('room')?.nodes.map((n) => n.id)).toEqual(['sender', 'reader']);
    // Its links are forgotten once it is gone; their last counts went out on the event stream.
    expect(relay.traffic('room')?.find((t) => t.to === 'stuck')).toBeUndefined();
    const toStuck = finalToStuck.at(-1);
    expect(toStuck?.dropped.backpressure).toBeGreaterThan(0);
    expect((toStuck?.channels[2]?.frames ?? 0) + (toStuck?.dropped.backpressure ?? 0)).toBeLessThanOrEqual(
      450,
    );
    // The room's totals keep what was dropped on its links (what a benchmark's "frames dropped" reads).
    const departed = relay.departedTraffic('room');
    expect(departed?.dropped.backpressure).toBe(toStuck?.dropped.backpressure);
    expect(departed?.links).toBe(1);
    await sender.waitFor((f) => f.type === 'link-down' && f.peer === 'stuck', 'sender told');
    // Its socket is paused, so it would never notice the relay hung up.
    stuck.ws.terminate();
  });

  it('closes a connection that never says hello, or starts with something else', async () => {
    ({ relay } = await startRelay({ limits: { helloTimeoutMs: 100 } }));
    const calm = await bystanders();
    const silent = await connect();
    expect((await silent.waitClosed()).code).toBe(4002);
    expect(silent.of('error').map((e) => e.code)).toEqual(['hello-timeout']);

    const rude = await connect();
    rude.sendBytes(encodeFrame({ type: 'link-down', peer: 'x', reason: 'cut' }));
    expect((await rude.waitClosed()).code).toBe(4001);
    expect(rude.of('error').map((e) => e.code)).toEqual(['hello-required']);

    const texty = await connect();
    texty.sendBytes('{"hello": true}');
    expect((await texty.waitClosed()).code).toBe(4001);

    const future = await connect();
    const hello = encodeFrame({
      type: 'hello',
      version: PROTOCOL_VERSION,
      room: 'r',
      nodeId: 'n',
      role: 'replica',
      token: '',
    });
    hello[1] = PROTOCOL_VERSION + 1;
    future.sendBytes(hello);
    expect((await future.waitClosed()).code).toBe(4004);
    expect(future.of('error').map((e) => e.code)).toEqual(['protocol-version']);

    // A version-3 node cannot read the bundle frames this relay forwards: refused, not fed frames it rejects.
    const past = await connect();
    hello[1] = 3;
    past.sendBytes(hello);
    expect((await past.waitClosed()).code).toBe(4004);
    expect(past.of('error').map((e) => e.code)).toEqual(['protocol-version']);
    expect(violations()).toMatchObject({ 'hello-timeout': 1, 'hello-required': 2, 'protocol-version': 2 });
    await calm.check('after hello violations');
  });

  it('answers malformed frames with errors and closes after maxBadFrames; spoofing counts too', async () => {
    ({ relay } = await startRelay({ limits: { maxBadFrames: 3 } }));
    const calm = await bystanders();
    const a = await join('room', 'a');
    const b = await join('room', 'b');
    a.sendBytes(new Uint8Array([3, 200]));
    a.data('b', 'a', 1, text('pretending to be b'));
    await a.waitFor((f) => f.type === 'error' && f.code === 'spoofed-sender', 'spoof refused');
    expect(a.closed).toBeUndefined();
    a.sendBytes('text');
    expect((await a.waitClosed()).code).toBe(4000);
    expect(a.of('error').map((e) => e.code)).toEqual(['bad-frame', 'spoofed-sender', 'bad-frame']);
    expect(b.of('data')).toEqual([]);
    await calm.check('after bad frames');
  });

  it('enforces rooms per server, nodes per room and connections', async () => {
    ({ relay } = await startRelay({ limits: { maxRooms: 1, maxNodesPerRoom: 2, maxConnections: 4 } }));
    const aToken = await credentialFor(relay, 'one', 'a');
    await join('one', 'a', aToken);
    await join('one', 'b');
    const third = await join('one', 'c');
    expect(third.of('error').map((e) => e.code)).toEqual(['node-limit']);
    expect((await third.waitClosed()).code).toBe(4005);
    const other = await join('two', 'd');
    expect(other.of('error').map((e) => e.code)).toEqual(['room-limit']);
    expect((await other.waitClosed()).code).toBe(4006);
    // A replacement (same credential) is not a new node.
    const a2 = await join('one', 'a', aToken);
    expect(a2.of('welcome')).toHaveLength(1);
    await waitFor(() => relay!.stats().connections === 2, 'refused connections gone');
    await connect();
    await connect();
    await expect(connect()).rejects.toThrow(/503/);
    expect(violations()).toMatchObject({ 'node-limit': 1, 'room-limit': 1, 'connection-limit': 1 });
  });

  it('terminates connections that stop answering pings', async () => {
    ({ relay } = await startRelay({ limits: { heartbeatMs: 50 } }));
    const ws = new WebSocket(relay.url, { autoPong: false });
    ws.on('error', () => {});
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    const healthy = await join('room', 'healthy');
    const code = await closed;
    expect(code).toBe(1001); // told why, then dropped
    expect(violations()['heartbeat-timeout']).toBe(1);
    expect(healthy.closed).toBeUndefined();
  });
});

describe('access', () => {
  it('accepts WebSockets from localhost pages and non-browser clients, refuses other origins', async () => {
    ({ relay } = await startRelay());
    await expect(connect({ Origin: 'https://evil.example' })).rejects.toThrow(/403/);
    await connect({ Origin: 'http://localhost:5173' });
    await connect({ Origin: 'http://127.0.0.1:8080' });
    await connect();
    expect(violations()['bad-origin']).toBe(1);
  });
});
