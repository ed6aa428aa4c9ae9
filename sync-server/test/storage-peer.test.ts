// The room's storage peer: a window that joins alone gets what others wrote while it was away, from
// the relay's own durable replica; restarting (or SIGKILLing) the relay with the same data dir loses
// nothing the storage peer had reported durable.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STORAGE_NODE_ID } from '@converge/protocol';
import { ENGINES, type Intent, type Replica, type WorkspaceView } from '@converge/replica';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRelay } from '../src/index.ts';
import { storagePeers } from '../src/storage/index.ts';
import {
  openWindow as openReplicaWindow,
  RawClient,
  type RelayAccess,
  remoteRelay,
  startRelayProcess,
  waitFor,
} from './support.ts';

const engines = ENGINES.names;
let dataDir: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'converge-storage-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

async function openWindow(relay: RelayAccess, room: string, id: string): Promise<Replica> {
  const replica = await openReplicaWindow(relay, room, id);
  cleanups.push(() => replica.close());
  return replica;
}

const EDITS: Intent[] = [
  { op: 'text.insert', pos: 0, text: 'written while you were away' },
  { op: 'cart.add', product: 'apple', qty: 3 },
  { op: 'counter.increment', name: 'likes', by: 2 },
  { op: 'counter.increment', name: 'stock', by: -1 },
  { op: 'note.set', value: 'ship Monday' },
];

const EXPECTED: WorkspaceView = {
  text: 'written while you were away',
  cart: { apple: 3 },
  counters: { likes: 2, stock: -1 },
  note: ['ship Monday'],
};

async function storageStatus(
  relay: RelayAccess,
  room: string,
): Promise<{ pendingWrites: number; engines: Record<string, { digest: string }> } | undefined> {
  const response = await fetch(`${relay.adminUrl}/rooms/${room}/storage`, {
    headers: { authorization: `Bearer ${relay.adminToken}` },
  });
  return response.ok ? ((await response.json()) as never) : undefined;
}

/** Until the storage peer holds exactly what `replica` holds, in every engine, and all of it is durable. */
async function waitStoredDurably(relay: RelayAccess, room: string, replica: Replica): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const status = await storageStatus(relay, room);
    const same =
      status !== undefined && engines.every((e) => status.engines[e]?.digest === replica.digest(e));
    if (same && status.pendingWrites === 0) return;
    if (Date.now() > deadline) throw new Error(`storage peer never caught up: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A window that wrote EDITS into the room and waited until the storage peer holds them durably. */
async function writeEdits(relay: RelayAccess, room: string, id: string): Promise<Replica> {
  const writer = await openWindow(relay, room, id);
  for (const edit of EDITS) await writer.apply(edit);
  await waitStoredDurably(relay, room, writer);
  return writer;
}

async function expectEveryEngine(replica: Replica, view: WorkspaceView): Promise<void> {
  await waitFor(
    () => engines.every((e) => JSON.stringify(replica.view(e)) === JSON.stringify(view)),
    `every engine of ${replica.id} to show ${JSON.stringify(view)}`,
    15_000,
  );
}

describe('storage peer', () => {
  it('gives a window that joins alone what another window wrote before leaving', async () => {
    const relay = await createRelay({ storage: storagePeers(dataDir), logLevel: 'error' });
    cleanups.push(() => relay.close());
    const writer = await writeEdits(relay, 'kitchen', 'alice');
    await writer.close();

    const reader = await openWindow(relay, 'kitchen', 'bob');
    await expectEveryEngine(reader, EXPECTED);
  });

  it('restores every room after the relay restarts with the same data dir', async () => {
    const first = await createRelay({ storage: storagePeers(dataDir), logLevel: 'error' });
    const port = first.port;
    for (const room of ['room-a', 'room-b']) {
      const writer = await writeEdits(first, room, `writer-${room}`);
      await writer.close();
    }
    await first.close();

    const second = await createRelay({ storage: storagePeers(dataDir), port, logLevel: 'error' });
    cleanups.push(() => second.close());
    // Nothing is loaded until a window comes: the stored rooms wait on disk.
    expect(second.rooms()).toEqual([]);
    expect(await second.storageStatus('room-a')).toEqual({
      room: 'room-a',
      loaded: false,
      pendingWrites: 0,
      engines: {},
    });
    for (const room of ['room-a', 'room-b'])
      await expectEveryEngine(await openWindow(second, room, 'late'), EXPECTED);
  });

  it('unloads a room when its last window leaves and loads it again for the next one', async () => {
    const relay = await createRelay({ storage: storagePeers(dataDir), logLevel: 'error' });
    cleanups.push(() => relay.close());
    const writer = await writeEdits(relay, 'kitchen', 'alice');
    expect((await relay.storageStatus('kitchen'))?.loaded).toBe(true);
    await writer.close();
    await waitFor(() => relay.rooms().length === 0, 'the room unloaded and forgotten');
    expect(await relay.storageStatus('kitchen')).toMatchObject({ loaded: false, pendingWrites: 0 });
    expect(await relay.storageStatus('never-used')).toBeUndefined();

    await expectEveryEngine(await openWindow(relay, 'kitchen', 'bob'), EXPECTED);
    expect((await relay.storageStatus('kitchen'))?.loaded).toBe(true);
  });

  it('keeps one storage peer per room when windows come and go faster than it loads', async () => {
    const relay = await createRelay({ storage: storagePeers(dataDir), logLevel: 'error' });
    cleanups.push(() => relay.close());
    // Leaves and joins overlap loads and unloads (each waits for the one before: one set of files).
    for (let round = 0; round < 6; round++) {
      const client = await RawClient.join(relay, 'busy', `visitor-${round}`);
      if (round % 2 === 0) await new Promise((resolve) => setTimeout(resolve, round * 5));
      await client.close();
    }
    const writer = await writeEdits(relay, 'busy', 'alice');
    await writer.close();
    await waitFor(() => relay.rooms().length === 0, 'the room unloaded');
    await expectEveryEngine(await openWindow(relay, 'busy', 'bob'), EXPECTED);
  });

  it('does not let rooms nobody is in fill the room limit, across restarts (issue 16 item 7)', async () => {
    // Scaled down from the report (1,100 hellos against the default 1,000 rooms): same mechanism.
    const limits = { maxRooms: 4 };
    const first = await createRelay({ storage: storagePeers(dataDir), logLevel: 'error', limits });
    cleanups.push(() => first.close());
    for (let n = 0; n < 7; n++) {
      const room = `probe-${n}`;
      const client = await RawClient.join(first, room, 'prober');
      expect(client.of('error').map((error) => error.code)).toEqual([]);
      // The storage peer did load (and wrote the room's directory) before the client left.
      await waitFor(
        () => first.room(room)?.nodes.some((node) => node.id === STORAGE_NODE_ID) === true,
        'storage',
      );
      await client.close();
      // Give the unload its moment; the next hello is what must not be refused.
      await waitFor(() => first.room(room) === undefined, `${room} unloaded`, 1000).catch(() => {});
    }
    expect(first.rooms()).toEqual([]);
    const writer = await writeEdits(first, 'probe-0', 'alice');
    await writer.close();
    await first.close();

    const second = await createRelay({ storage: storagePeers(dataDir), logLevel: 'error', limits });
    cleanups.push(() => second.close());
    const newcomer = await RawClient.join(second, 'fresh-room', 'newcomer');
    expect(newcomer.of('welcome')).toHaveLength(1);
    expect(newcomer.of('error')).toEqual([]);
    await expectEveryEngine(await openWindow(second, 'probe-0', 'bob'), EXPECTED);
  });

  it('announces its digests to the windows it syncs with, and forgets theirs when cut off', async () => {
    const relay = await createRelay({ storage: storagePeers(dataDir), logLevel: 'error' });
    cleanups.push(() => relay.close());
    const alice = await openWindow(relay, 'announced', 'alice');
    for (const edit of EDITS) await alice.apply(edit);
    // A Yjs deletion: equal state vectors could not tell the storage peer caught up, its digest can.
    await alice.apply({ op: 'text.delete', pos: 0, len: 8 });
    const digestsOf = (replica: Replica) => Object.fromEntries(engines.map((e) => [e, replica.digest(e)]));
    await waitFor(
      () => JSON.stringify(alice.peerDigests().get(STORAGE_NODE_ID)) === JSON.stringify(digestsOf(alice)),
      'the storage peer’s digests, equal to alice’s',
      15_000,
    );
    const storage = await relay.storageStatus('announced');
    expect(storage?.engines.yjs?.digest).toBe(alice.digest('yjs'));
    relay.applyLinks('announced', { op: 'isolate', node: STORAGE_NODE_ID });
    await waitFor(() => !alice.peerDigests().has(STORAGE_NODE_ID), 'the storage peer’s digests forgotten');
  });

  it('refuses a window that tries to take the storage peer node id', async () => {
    const relay = await createRelay({ storage: storagePeers(dataDir), logLevel: 'error' });
    cleanups.push(() => relay.close());
    await openWindow(relay, 'guarded', 'alice'); // creates the room and its storage peer
    await waitFor(
      () => relay.room('guarded')?.nodes.some((n) => n.id === STORAGE_NODE_ID) === true,
      'storage peer',
    );
    const impostor = await RawClient.connect(relay.url);
    cleanups.push(() => impostor.close());
    impostor.hello('guarded', STORAGE_NODE_ID, { role: 'replica' });
    await waitFor(() => impostor.frames.some((f) => f.type === 'error'), 'an error frame');
    expect(impostor.of('error').map((e) => e.code)).toEqual(['forbidden']);
    expect(relay.room('guarded')?.nodes.find((n) => n.id === STORAGE_NODE_ID)?.role).toBe('storage');
  });
});

describe('relay crash', () => {
  const ADMIN_TOKEN = 'storage-crash-admin-token';

  it('keeps every edit the storage peer reported durable when the relay is SIGKILLed', async () => {
    const first = await startRelayProcess({ port: 0, dataDir, adminToken: ADMIN_TOKEN });
    const relay = remoteRelay(`ws://127.0.0.1:${first.port}`, ADMIN_TOKEN);
    const writer = await openWindow(relay, 'crash', 'alice');
    for (const edit of EDITS) await writer.apply(edit);
    await waitStoredDurably(relay, 'crash', writer);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    await writer.close();

    const second = await startRelayProcess({ port: first.port, dataDir, adminToken: ADMIN_TOKEN });
    cleanups.push(async () => {
      second.child.kill('SIGTERM');
      await new Promise((resolve) => second.child.once('exit', resolve));
    });
    await expectEveryEngine(await openWindow(relay, 'crash', 'fresh'), EXPECTED);
  }, 60_000);

  /** Engines list map keys in their own order; the same intents are the same sorted entries. */
  function canonical(view: WorkspaceView): string {
    const sorted = (record: Readonly<Record<string, number>>) => Object.entries(record).sort();
    return JSON.stringify({ ...view, cart: sorted(view.cart), counters: sorted(view.counters) });
  }

  async function caughtUpWithStorage(replica: Replica): Promise<void> {
    const storageDigests = () => replica.peerDigests().get(STORAGE_NODE_ID);
    await waitFor(
      () => engines.every((e) => storageDigests()?.[e] === replica.digest(e)),
      `${replica.id} caught up with the storage peer`,
      15_000,
    );
  }

  it('leaves every engine with the same intents after each of several SIGKILLs mid-write', async () => {
    // Issue 16: a crash may drop what was in flight, but never half of an intent (some engines
    // with it, others without). Each round kills the relay while edits are still arriving.
    const ROUNDS = 3;
    let port = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const relayProcess = await startRelayProcess({ port, dataDir, adminToken: ADMIN_TOKEN });
      port = relayProcess.port;
      const relay = remoteRelay(`ws://127.0.0.1:${port}`, ADMIN_TOKEN);
      const writer = await openWindow(relay, 'crash-loop', `writer-${round}`);
      // Caught up first: an increment made before seeing the room is a legitimate LWW loss in the
      // register-based engines, and would blur what this test looks for.
      await caughtUpWithStorage(writer);
      await writer.apply({ op: 'cart.add', product: `durable-${round}`, qty: 1 });
      await writer.apply({ op: 'counter.increment', name: 'likes', by: 1 });
      await waitStoredDurably(relay, 'crash-loop', writer);
      // In flight when the relay dies: each either reaches every engine of the store or none.
      const inFlight = [
        writer.apply({ op: 'text.insert', pos: 0, text: `r${round} ` }),
        writer.apply({ op: 'cart.add', product: `maybe-${round}`, qty: 2 }),
        writer.apply({ op: 'counter.increment', name: 'likes', by: 10 }),
      ];
      relayProcess.child.kill('SIGKILL');
      await new Promise((resolve) => relayProcess.child.once('exit', resolve));
      await Promise.allSettled(inFlight);
      await writer.close();

      const restarted = await startRelayProcess({ port, dataDir, adminToken: ADMIN_TOKEN });
      const reader = await openWindow(relay, 'crash-loop', `reader-${round}`);
      await caughtUpWithStorage(reader);
      const views = engines.map((e) => canonical(reader.view(e)));
      expect(new Set(views).size, `engines after SIGKILL ${round + 1}: ${views.join(' | ')}`).toBe(1);
      const { cart } = reader.view(engines[0] as (typeof engines)[number]);
      for (let earlier = 0; earlier <= round; earlier++) expect(cart[`durable-${earlier}`]).toBe(1);
      await reader.close();
      restarted.child.kill('SIGTERM');
      await new Promise((resolve) => restarted.child.once('exit', resolve));
    }
  }, 120_000);
});
