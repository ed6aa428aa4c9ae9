/**
 * Soaks for issue 26 ("engines release what they hold"), each run in a fresh process with
 * `--expose-gc` (see lifecycle-cli.ts and worker.ts):
 *
 * - replica cycles: a replica hosting the given engines is opened, edited, synced with a peer,
 *   closed, reopened from its store (and checked against the peer), and closed again, over and over
 *   on an in-process simulated network. Memory is sampled after forced collections: after the
 *   warm-up cycles (the first 100 by default), along the way, and after the last.
 * - relay rooms: a relay with a data dir; one room after another gets a window (a replica with every
 *   engine, over WebSocket) that edits until the room's storage peer holds its edits durably, then
 *   leaves, and the relay unloads the room. Memory of the process is sampled the same way.
 *
 * Between cycles the event loop turns (as it does in any process doing I/O), and every 10 cycles a
 * full collection runs. Automerge's JS API allocates a WebAssembly sync state per sync message that
 * only its FinalizationRegistry frees (automerge/automerge#903): its callbacks run as tasks after a
 * full collection, so without both, that garbage's high-water mark in WebAssembly memory (which never
 * shrinks) would follow the collector's schedule rather than what the cycles keep.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '@converge/crdt-core';
import { VirtualClock } from '@converge/protocol';
import {
  ENGINES,
  type EngineName,
  type Intent,
  MemoryStore,
  RelayTransport,
  Replica,
  SimNetwork,
} from '@converge/replica';
import { createRelay, type Relay } from '@converge/sync-server';
import { storagePeers } from '@converge/sync-server/storage';
import WebSocket from 'ws';
import { type MemorySample, type SoakResult, soakFigures } from './lifecycle-report.ts';
import type { SoakPlan } from './worker-protocol.ts';

const ANTI_ENTROPY_MS = 200;
const COLLECT_EVERY = 10;
const PRODUCTS = ['apple', 'bread', 'cheese', 'dates'];

/** Memory after full collections, with the event loop turning in between so finalizers run. */
export async function sampleMemory(after: number): Promise<MemorySample> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run node with --expose-gc');
  for (let round = 0; round < 3; round++) {
    gc();
    await turnEventLoop();
  }
  const { rss, external, heapUsed } = process.memoryUsage();
  return { after, rss, external, heapUsed };
}

function turnEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * After each cycle the event loop turns, and every `COLLECT_EVERY` cycles a full collection runs: what
 * is left is what the cycles keep, not what the collector has yet to look at. (Engines free their own
 * WebAssembly memory at close without any collection; the lifecycle contract test checks that.)
 */
async function betweenCycles(n: number): Promise<void> {
  await turnEventLoop();
  if (n % COLLECT_EVERY === 0) (globalThis as { gc?: () => void }).gc?.();
}

/** When to sample: after the warm-up, every `every` cycles, and after the last. */
function sampleAt(n: number, warmup: number, every: number, total: number): boolean {
  return n === warmup || n === total || (n > warmup && n % every === 0);
}

function randomIntent(rng: SeededRandom, text: string): Intent {
  const roll = rng.int(0, 9);
  if (roll < 4)
    return { op: 'text.insert', pos: rng.int(0, text.length), text: rng.pick(['ab', 'c', 'xyz']) };
  if (roll < 5 && text.length > 0) return { op: 'text.delete', pos: rng.int(0, text.length - 1), len: 1 };
  if (roll < 7) return { op: 'cart.add', product: rng.pick(PRODUCTS), qty: rng.int(1, 3) };
  if (roll < 8) return { op: 'counter.increment', name: 'likes', by: 1 };
  if (roll < 9) return { op: 'cart.setQuantity', product: rng.pick(PRODUCTS), qty: rng.int(0, 4) };
  return { op: 'note.set', value: `note ${rng.int(0, 99)}` };
}

/** One open/edit/sync/close cycle of replica `a` with peer `b`, then a restart of `a` from its store. */
async function replicaCycle(engines: readonly EngineName[], seed: number): Promise<void> {
  const rng = new SeededRandom(seed);
  const clock = new VirtualClock(1_700_000_000_000);
  const net = new SimNetwork({ timers: clock, seed, latencyMs: 2 });
  const stores = new Map([
    ['a', new MemoryStore()],
    ['b', new MemoryStore()],
  ]);
  const open = (id: string): Promise<Replica> =>
    Replica.open({
      id,
      transport: net.transport(id),
      store: stores.get(id) as MemoryStore,
      engines: ENGINES.only(engines),
      timers: clock,
      antiEntropyMs: ANTI_ENTROPY_MS,
      randomUint32: () => rng.nextUint32(),
    });
  const agree = (x: Replica, y: Replica): boolean => engines.every((e) => x.digest(e) === y.digest(e));
  const settle = async (x: Replica, y: Replica): Promise<void> => {
    for (let round = 0; round < 40 && !(agree(x, y) && net.inFlight() === 0); round++) {
      clock.advance(ANTI_ENTROPY_MS / 4);
      await Promise.resolve();
    }
    if (!agree(x, y)) throw new Error(`cycle ${seed}: ${x.id} and ${y.id} did not converge`);
  };

  const a = await open('a');
  const b = await open('b');
  for (let edit = 0; edit < 12; edit++) {
    const replica = edit % 3 === 2 ? b : a;
    await replica.apply(randomIntent(rng, replica.view(replica.primary).text));
    clock.advance(1);
  }
  await settle(a, b);
  await a.close();
  const reopened = await open('a');
  await settle(reopened, b);
  await reopened.close();
  await b.close();
  for (const store of stores.values()) await store.close();
}

/** How a soak runs: its size, when it samples, which engines its replicas host. */
export interface SoakOptions {
  readonly engines: readonly EngineName[];
  /** Cycles (replica soak) or rooms (relay soak). */
  readonly count: number;
  /** Cycles before the reference sample (default 100). */
  readonly warmup?: number;
  /** Sample every this many cycles after the warm-up (default 250). */
  readonly sampleEvery?: number;
}

/** Run `cycle` `count` times, sampling memory as `options` says (after `initial`, if any). */
async function soak(
  options: SoakOptions,
  cycle: (n: number) => Promise<void>,
  initial: readonly MemorySample[] = [],
): Promise<SoakResult> {
  const warmup = options.warmup ?? 100;
  const every = options.sampleEvery ?? 250;
  if (!(options.count > warmup))
    throw new Error(`count (${options.count}) must exceed the warm-up (${warmup})`);
  const start = performance.now();
  const samples = [...initial];
  for (let n = 1; n <= options.count; n++) {
    await cycle(n);
    await betweenCycles(n);
    if (sampleAt(n, warmup, every, options.count)) samples.push(await sampleMemory(n));
  }
  return { samples, seconds: (performance.now() - start) / 1000 };
}

/** Replica open/edit/sync/close cycles. */
export function soakReplicaCycles(options: SoakOptions): Promise<SoakResult> {
  return soak(options, (n) => replicaCycle(options.engines, n));
}

/** Relay rooms loaded and unloaded; the samples start with one taken before the first room (`after: 0`). */
export async function soakRelayRooms(options: SoakOptions): Promise<SoakResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'converge-relay-soak-'));
  // One client creating a thousand rooms is what the per-address creation rate limits; here it is the point.
  const relay = await createRelay({
    storage: storagePeers(dataDir),
    logLevel: 'error',
    limits: { roomCreationsPerMinute: 1_000_000, roomCreationBurst: 1_000_000 },
  });
  try {
    const cold = await sampleMemory(0);
    return await soak(options, (n) => visitRoom(relay, `soak-${n}`, options.engines, n), [cold]);
  } finally {
    await relay.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A window joins the room, edits until the storage peer holds it all durably, leaves; the room unloads. */
async function visitRoom(relay: Relay, room: string, engines: readonly EngineName[], seed: number) {
  const rng = new SeededRandom(seed);
  const store = new MemoryStore();
  const window = await Replica.open({
    id: 'window',
    transport: new RelayTransport({
      url: relay.url,
      room,
      nodeId: 'window',
      token: async () =>
        (await relay.mintCredential({ room, replica: 'window', rights: ['read', 'write'] })).token,
      WebSocket,
    }),
    store,
    engines: ENGINES.only(engines),
    antiEntropyMs: ANTI_ENTROPY_MS,
  });
  try {
    for (let edit = 0; edit < 6; edit++)
      await window.apply(randomIntent(rng, window.view(window.primary).text));
    await until(async () => {
      const status = await relay.storageStatus(room);
      return (
        status?.loaded === true &&
        status.pendingWrites === 0 &&
        engines.every((e) => status.engines[e]?.digest === window.digest(e))
      );
    }, `${room}: the storage peer to hold the window's edits`);
  } finally {
    await window.close();
    await store.close();
  }
  await until(async () => relay.room(room) === undefined, `${room}: to unload`);
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Run a soak task in this (worker) process and return its figures. */
export async function runSoak(
  task: { task: 'replica-soak' | 'relay-soak' } & SoakPlan,
): Promise<Record<string, number>> {
  const result = task.task === 'replica-soak' ? await soakReplicaCycles(task) : await soakRelayRooms(task);
  return soakFigures(result);
}
