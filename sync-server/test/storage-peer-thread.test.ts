// The storage peers run in a worker thread (issue 19): while one applies a large edit, the relay still
// forwards every frame, of that room and of the others. A gated engine (fixtures/gated-engines.ts) holds
// the storage peers' thread the way a long Automerge apply does, until the test lets it go: what the
// test sees forwarded meanwhile was forwarded while the storage peer was busy, whatever the machine's
// speed (on a relay whose forwarding waited for it, nothing arrives until the gate gives up).
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES, type Replica } from '@converge/replica';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.ts';
import { storagePeers } from '../src/storage/index.ts';
import { openWindow, payloadText, RawClient, text, waitFor } from './support.ts';

const REGISTRY = new URL('./fixtures/gated-engines.ts', import.meta.url).href;
let dataDir: string;
let gateDir: string;
let relay: Relay | undefined;
let logs: string[];
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'converge-storage-thread-'));
  gateDir = await mkdtemp(join(tmpdir(), 'converge-gate-'));
  // Read by the worker when it starts (it gets a copy of this environment).
  process.env.CONVERGE_TEST_GATE_DIR = gateDir;
  logs = [];
  relay = await createRelay({
    storage: storagePeers(dataDir, { registry: REGISTRY }),
    logLevel: 'info',
    logSink: (line) => logs.push(line),
  });
});

afterEach(async () => {
  await rm(join(gateDir, 'armed'), { force: true }); // never leave the thread held
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await relay?.close();
  delete process.env.CONVERGE_TEST_GATE_DIR;
  await rm(dataDir, { recursive: true, force: true });
  await rm(gateDir, { recursive: true, force: true });
});

async function window(room: string, id: string): Promise<Replica> {
  const replica = await openWindow(relay as Relay, room, id);
  cleanups.push(() => replica.close());
  return replica;
}

async function raw(room: string, id: string): Promise<RawClient> {
  const client = await RawClient.join(relay as Relay, room, id);
  cleanups.push(() => client.close());
  return client;
}

/** Until the room's storage peer holds what `replica` holds, in every engine, all of it durable. */
async function storedDurably(room: string, replica: Replica): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await relay?.storageStatus(room);
    const same = ENGINES.names.every((e) => status?.engines[e]?.digest === replica.digest(e));
    if (same && status?.pendingWrites === 0) return;
    if (Date.now() > deadline) throw new Error(`storage peer never caught up: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Make the room's storage peer take a payload that holds its thread, and wait until it is held. */
async function holdStoragePeer(writer: Replica): Promise<void> {
  await writeFile(join(gateDir, 'armed'), '');
  await writer.apply({ op: 'note.set', value: 'held up' });
  await waitFor(() => existsSync(join(gateDir, 'held')), 'the storage peer to be held', 30_000);
}

describe('storage peers in a worker thread', () => {
  it('forwards frames of its room and of other rooms while a storage peer applies', async () => {
    const alice = await window('busy', 'alice');
    await alice.apply({ op: 'text.insert', pos: 0, text: 'before' });
    await storedDurably('busy', alice);

    await holdStoragePeer(alice);
    // The storage peer's thread is held. The same room's windows still exchange frames...
    const dave = await raw('busy', 'dave');
    const erin = await raw('busy', 'erin');
    dave.data('dave', 'erin', 1, text('same room'));
    await erin.waitFor((f) => payloadText(f) === 'same room', 'a frame of the busy room', 15_000);
    // ...and so do another room's, which also gets a storage peer (its load waits for the thread).
    const bob = await raw('quiet', 'bob');
    const carol = await raw('quiet', 'carol');
    for (let n = 0; n < 20; n++) bob.data('bob', 'carol', 1, text(`ping ${n}`));
    await carol.waitFor((f) => payloadText(f) === 'ping 19', 'every frame of the other room', 15_000);
    expect(carol.of('data').map(payloadText)).toEqual(Array.from({ length: 20 }, (_, n) => `ping ${n}`));
    // All of that while the storage peer was still held: it never gave up waiting.
    expect(existsSync(join(gateDir, 'timed-out'))).toBe(false);

    await rm(join(gateDir, 'armed'));
    // Once let go, the storage peer takes the edit and makes it durable: acknowledgements stay truthful.
    await storedDurably('busy', alice);
    expect((await relay?.storageStatus('busy'))?.engines.lww?.digest).toBe(alice.digest('lww'));
  }, 120_000);

  it('catches up on what it dropped past its backlog once it is let go', async () => {
    await relay?.close();
    relay = await createRelay({
      storage: storagePeers(dataDir, { registry: REGISTRY, maxBacklogBytes: 16 * 1024 }),
      logLevel: 'info',
      logSink: (line) => logs.push(line),
    });
    const alice = await window('behind', 'alice');
    await alice.apply({ op: 'text.insert', pos: 0, text: 'before' });
    await storedDurably('behind', alice);

    await holdStoragePeer(alice);
    // Acknowledged edits (every engine's update of each, one bundle) past what the held thread may queue.
    for (let n = 0; n < 8; n++) await alice.apply({ op: 'text.insert', pos: 0, text: `${n}`.repeat(4096) });
    await waitFor(
      () => logs.some((line) => line.includes('"storage-backlog-dropped"')),
      'the storage peer to drop frames',
      30_000,
    );

    await rm(join(gateDir, 'armed'));
    // Nothing acknowledged is lost: anti-entropy sends the storage peer what it dropped.
    await storedDurably('behind', alice);
    expect(logs.some((line) => line.includes('"storage-backlog-resumed"'))).toBe(true);
  }, 120_000);

  it('reloads a room from what was durable when the storage peers thread dies', async () => {
    const alice = await window('fragile', 'alice');
    await alice.apply({ op: 'text.insert', pos: 0, text: 'kept' });
    await storedDurably('fragile', alice);

    await writeFile(join(gateDir, 'crash'), '');
    await alice.apply({ op: 'note.set', value: 'the last straw' });
    await waitFor(
      () => logs.some((line) => line.includes('"storage-worker-exited"')),
      'the storage worker to exit',
      30_000,
    );
    // The relay kept serving: a frame between two windows still goes through.
    const bob = await raw('fragile', 'bob');
    const carol = await raw('fragile', 'carol');
    bob.data('bob', 'carol', 1, text('still here'));
    await carol.waitFor((f) => payloadText(f) === 'still here', 'a frame after the crash', 15_000);

    await rm(join(gateDir, 'crash'));
    // A new thread loads the room from disk and catches up with the window.
    await storedDurably('fragile', alice);
    expect(alice.view('converge').text).toBe('kept');
  }, 120_000);

  it("starts one thread for the relay's rooms and stops it when the relay closes", async () => {
    const alice = await window('one', 'alice');
    const bob = await window('two', 'bob');
    await alice.apply({ op: 'text.insert', pos: 0, text: 'x' });
    await bob.apply({ op: 'text.insert', pos: 0, text: 'y' });
    await storedDurably('one', alice);
    await storedDurably('two', bob);
    const events = (): string[] => logs.map((line) => (JSON.parse(line) as { event: string }).event);
    expect(events().filter((e) => e === 'storage-worker-started')).toHaveLength(1);
    expect(events()).not.toContain('storage-worker-stopped');
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await relay?.close();
    relay = undefined;
    // Both rooms unloaded (their writes durable), then the thread went.
    const stopped = events().indexOf('storage-worker-stopped');
    expect(stopped).toBeGreaterThan(-1);
    expect(events().filter((e) => e === 'storage-peer-unloaded')).toHaveLength(2);
    expect(events().lastIndexOf('storage-peer-unloaded')).toBeLessThan(stopped);
  }, 120_000);
});
