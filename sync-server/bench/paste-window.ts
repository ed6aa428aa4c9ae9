/**
 * A process of the paste benchmark (paste-bench.ts), so that no observer shares a thread with another:
 *   tsx bench/paste-window.ts window URL ROOM ID ENGINE TOKEN LENGTH
 *     a window hosting one engine; prints {"ready": true} once it reaches every peer it expects, then
 *     {"engine", "arrived", "shown"}: the wall-clock ms (Date.now) of the paste's frame of that engine
 *     (the first of at least LENGTH / 4 bytes after "go" on stdin), and of the moment its text reached
 *     LENGTH characters.
 *   tsx bench/paste-window.ts ping URL ROOM TOKEN_A TOKEN_B
 *     two raw clients of another room pinging each other through the relay every 20 ms; on "stop" it
 *     prints {"rtts": [...]}, each round trip in ms (a relay that stops forwarding shows as one long one).
 */
import { createInterface } from 'node:readline';
import {
  decodeFrame,
  encodeData,
  encodeFrame,
  PROTOCOL_VERSION,
  type Transport,
  type TransportHandlers,
} from '@converge/protocol';
import { ENGINES, type EngineName, MemoryStore, RelayTransport, Replica } from '@converge/replica';
import WebSocket from 'ws';

const [mode = '', url = '', room = '', ...rest] = process.argv.slice(2);
const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};
const lines = createInterface({ input: process.stdin });

/** The transport, noting when the first frame of `channel` of at least `bytes` arrives after `arm`. */
function observed(
  inner: Transport,
  channel: number,
  bytes: number,
  onFirst: (at: number) => void,
): { transport: Transport; arm(): void } {
  let armed = false;
  const transport: Transport = {
    nodeId: inner.nodeId,
    start: (handlers: TransportHandlers) =>
      inner.start({
        ...handlers,
        message: (from, ch, payload) => {
          if (armed && ch === channel && payload.length >= bytes) {
            armed = false;
            onFirst(Date.now());
          }
          handlers.message(from, ch, payload);
        },
      }),
    send: (to, ch, payload) => inner.send(to, ch, payload),
    reachable: () => inner.reachable(),
    state: () => inner.state(),
    close: () => inner.close(),
  };
  return { transport, arm: () => (armed = true) };
}

async function runWindow(): Promise<void> {
  const [id = '', engine = '', token = '', lengthText = '0'] = rest;
  const length = Number(lengthText);
  const registry = ENGINES.only([engine as EngineName]);
  const channel = registry.get(engine as EngineName).wireCode;
  let arrived: number | undefined;
  const { transport, arm } = observed(
    new RelayTransport({ url, room, nodeId: id, token, WebSocket }),
    channel,
    // The paste's frame: random words, which no engine compresses to less than a quarter.
    Math.floor(length / 4),
    (at) => (arrived = at),
  );
  const replica = await Replica.open({ id, transport, store: new MemoryStore(), engines: registry });
  const ready = setInterval(() => {
    if (transport.reachable().has('alice') && transport.reachable().has('storage')) {
      clearInterval(ready);
      print({ ready: true });
    }
  }, 20);
  let shown: number | undefined;
  replica.subscribe(() => {
    if (shown === undefined && arrived !== undefined && replica.textLength(engine as EngineName) >= length) {
      shown = Date.now();
      print({ engine, arrived, shown });
    }
  });
  lines.on('line', (line) => {
    if (line === 'go') arm();
    if (line === 'stop') void replica.close().then(() => process.exit(0));
  });
}

async function runPing(): Promise<void> {
  const [tokenA = '', tokenB = ''] = rest;
  const join = (id: string, token: string): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'nodebuffer';
      ws.on('open', () => {
        ws.send(
          encodeFrame({ type: 'hello', version: PROTOCOL_VERSION, room, nodeId: id, role: 'replica', token }),
        );
      });
      ws.on('message', (data: Buffer) => {
        if (decodeFrame(new Uint8Array(data)).type === 'welcome') resolve(ws);
      });
      ws.on('error', reject);
    });
  const a = await join('ping-a', tokenA);
  const b = await join('ping-b', tokenB);
  const rtts: number[] = [];
  let sentAt = 0;
  /** The longest round trip, and when (Date.now) its ping was sent. */
  let longest = { rtt: 0, sentAt: 0 };
  const took = (rtt: number): void => {
    rtts.push(rtt);
    if (rtt > longest.rtt) longest = { rtt, sentAt: Date.now() - rtt };
  };
  b.on('message', (data: Buffer) => {
    const frame = decodeFrame(new Uint8Array(data));
    if (frame.type === 'data') b.send(encodeData('ping-b', 'ping-a', 1, frame.payload));
  });
  let waiting = false;
  a.on('message', (data: Buffer) => {
    if (decodeFrame(new Uint8Array(data)).type !== 'data') return;
    took(performance.now() - sentAt);
    waiting = false;
  });
  const timer = setInterval(() => {
    if (waiting) return; // one ping in flight at a time: a stall is one long round trip
    waiting = true;
    sentAt = performance.now();
    a.send(encodeData('ping-a', 'ping-b', 1, new Uint8Array([1])));
  }, 20);
  print({ ready: true });
  lines.on('line', (line) => {
    if (line !== 'stop') return;
    clearInterval(timer);
    // A ping still in flight counts with its wait so far.
    if (waiting) took(performance.now() - sentAt);
    print({ rtts, longest });
    a.close();
    b.close();
    process.exit(0);
  });
}

if (mode === 'window') await runWindow();
else if (mode === 'ping') await runPing();
else throw new Error(`unknown mode ${mode}: window or ping`);
