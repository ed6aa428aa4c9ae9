/**
 * A progressive open's background load waits for the relay handshake (a bench at 1 MB: the relay refused
 * a reopened window with hello-timeout). The window's relay socket says hello when it opens, an event the
 * worker runs only between tasks; loading an engine is one long task (seconds for Automerge and 1 MB), so a
 * load begun while the socket was connecting held the hello back past the relay's 5 s. Here the socket's
 * open is an event the test delivers, and building an engine stands for the long task.
 */
import { decodeFrame, encodeFrame, type Timers, VirtualClock, type WelcomeFrame } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../src/engine-name.ts';
import { EngineRegistry } from '../src/engine-registry.ts';
import { ENGINES } from '../src/engines/index.ts';
import type { MemoryByteLog } from '../src/log-store.ts';
import { RelayTransport, type WebSocketLike } from '../src/relay-transport.ts';
import { HANDSHAKE_WAIT_MS, Replica } from '../src/replica.ts';
import { copyOf, seeded, untilLoaded, writtenLog } from '../testing/stored-replica.ts';

const START = 1_700_000_000_000;
const ID = 'r-hello';
const ROOM = 'room-hello';

/** A socket the test opens; what it was sent, and when relative to the engines' builds. */
class FakeSocket implements WebSocketLike {
  binaryType = 'blob';
  readyState = 0;
  readonly bufferedAmount = 0;
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;
  readonly sent: Uint8Array[] = [];

  constructor(private readonly journal: string[]) {}

  send(data: Uint8Array): void {
    this.journal.push(`sent ${decodeFrame(data).type}`);
    this.sent.push(data);
  }

  close(): void {
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    (this.onopen as ((event: unknown) => void) | null)?.({});
  }

  receive(frame: WelcomeFrame): void {
    (this.onmessage as ((event: { data: unknown }) => void) | null)?.({ data: encodeFrame(frame) });
  }
}

function storedDocument(): Promise<MemoryByteLog> {
  return writtenLog(ID, START, async (writer) => {
    await writer.apply({ op: 'text.insert', pos: 0, text: 'a document every engine holds' });
  });
}

async function reopen(clock: Timers) {
  const journal: string[] = [];
  const sockets: FakeSocket[] = [];
  const registry = new EngineRegistry(
    ENGINES.descriptors.map((descriptor) => ({
      ...descriptor,
      create: (context) => {
        journal.push(`built ${descriptor.name}`);
        return descriptor.create(context);
      },
    })),
  );
  const transport = new RelayTransport({
    url: 'ws://relay.test',
    room: ROOM,
    nodeId: ID,
    token: 'credential',
    timers: clock,
    WebSocket: class {
      constructor() {
        const socket = new FakeSocket(journal);
        sockets.push(socket);
        // biome-ignore lint/correctness/noConstructorReturn: the fake stands in for the constructed socket
        return socket;
      }
    } as unknown as new (
      url: string,
    ) => WebSocketLike,
  });
  const replica = await Replica.open({
    id: ID,
    transport,
    store: await copyOf(await storedDocument()),
    engines: registry,
    timers: clock,
    antiEntropyMs: 0,
    randomUint32: seeded(),
    progressive: true,
  });
  return { replica, journal, sockets };
}

/** Run timers and promise chains for a while (what the worker does between the socket's events). */
async function run(clock: VirtualClock, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    clock.advance(0);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const welcome: WelcomeFrame = {
  type: 'welcome',
  room: ROOM,
  nodeId: ID,
  peers: [],
  maxFrameBytes: 1 << 20,
  rights: ['read', 'write'],
};

describe('a progressive open over the relay', () => {
  it('builds and loads no other engine between opening its socket and the welcome', async () => {
    const clock = new VirtualClock(START);
    const { replica, journal, sockets } = await reopen(clock);
    const others = ENGINES.names.filter((name) => name !== replica.primary);
    expect(sockets).toHaveLength(1);
    expect(replica.connection()).toBe('connecting');

    await run(clock, 200); // every engine would have loaded by now, were nothing waiting
    expect(replica.loading()).toEqual(others);
    expect(journal).toEqual([`built ${replica.primary}`]);

    (sockets[0] as FakeSocket).open();
    expect(journal.at(-1)).toBe('sent hello');
    (sockets[0] as FakeSocket).receive(welcome);
    expect(replica.connection()).toBe('online');
    await untilLoaded(replica, clock);
    const builds = journal.filter((entry) => entry.startsWith('built ')).map((entry) => entry.slice(6));
    expect([...builds].sort()).toEqual([...ENGINES.names].sort());
    expect(journal.indexOf('sent hello')).toBe(1); // right after the primary, before any other build
    await replica.close();
  });

  it('loads the other engines anyway when the relay does not answer', async () => {
    const clock = new VirtualClock(START);
    const { replica, journal } = await reopen(clock);
    await run(clock, 50);
    expect(replica.loading()).toHaveLength(ENGINES.size - 1);
    clock.advance(HANDSHAKE_WAIT_MS);
    // The wait was for this spell of connecting: the engines after the first do not wait again.
    await untilLoaded(replica, clock);
    expect(replica.loading()).toEqual([]);
    expect(replica.connection()).toBe('connecting');
    expect(journal.filter((entry) => entry.startsWith('built '))).toHaveLength(ENGINES.size);
    await replica.close();
  });

  it('stops waiting when the replica closes', async () => {
    const clock = new VirtualClock(START);
    const { replica } = await reopen(clock);
    await run(clock, 20);
    const others = replica.loading() as readonly EngineName[];
    expect(others).toHaveLength(ENGINES.size - 1);
    const loaded = replica.loaded.then(
      () => 'loaded',
      () => 'rejected',
    );
    await replica.close();
    expect(await loaded).toBe('rejected');
  });
});
