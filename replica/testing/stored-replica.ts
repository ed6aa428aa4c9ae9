/**
 * Replicas reopened over a stored log, on a virtual clock: what tests of progressive opens and of
 * engines that fall behind share (a copy of a log as a dead window leaves it, an open with seeded
 * engine identities, and running timers and promise chains until every engine has loaded).
 */
import { VirtualClock } from '@converge/protocol';
import type { EngineRegistry } from '../src/engine-registry.ts';
import { ENGINES } from '../src/engines/index.ts';
import { MemoryByteLog } from '../src/log-store.ts';
import { Replica } from '../src/replica.ts';
import { SimNetwork } from '../src/sim-network.ts';
import { MemoryStore } from '../src/store.ts';

/**
 * The log replica `id` leaves after `write` (every engine, on a virtual clock at `startMs`, alone on a
 * simulated network, seeded identities; `compactAfter` as `Replica.open` takes it), closed: as a window
 * that wrote a document leaves its store.
 */
export async function writtenLog(
  id: string,
  startMs: number,
  write: (writer: Replica, clock: VirtualClock) => Promise<void>,
  compactAfter?: number,
): Promise<MemoryByteLog> {
  const log = new MemoryByteLog();
  const clock = new VirtualClock(startMs);
  const net = new SimNetwork({ timers: clock, seed: 1 });
  const writer = await Replica.open({
    id,
    transport: net.transport(id),
    store: new MemoryStore(log),
    engines: ENGINES,
    timers: clock,
    antiEntropyMs: 0,
    compactAfter,
    randomUint32: seeded(),
  });
  await write(writer, clock);
  await writer.close();
  return log;
}

/** A store over a copy of `log` (its snapshot and records), as a reopened window finds it. */
export async function copyOf(log: MemoryByteLog): Promise<MemoryStore> {
  const contents = await log.open();
  const copy = new MemoryByteLog();
  if (contents.snapshot !== undefined) await copy.compact(contents.snapshot);
  for (const record of contents.records) await copy.append(record);
  return new MemoryStore(copy);
}

/** Run the replica's timers and its promise chains until every engine has loaded. */
export async function untilLoaded(replica: Replica, clock: VirtualClock): Promise<void> {
  for (let round = 0; round < 10_000 && replica.loading().length > 0; round++) {
    clock.advance(0);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await replica.loaded;
}

/** Engine identities (Yjs client ids, Automerge actors) of one opening: seeded, and new for each. */
let openings = 0;
export function seeded(): () => number {
  let n = 1000 * ++openings;
  return () => (0x85ebca6b * ++n) >>> 0;
}

/** Replica `id` over `store`, `engines` (every engine), alone on a simulated network, without anti-entropy. */
export function openStored(
  id: string,
  store: MemoryStore,
  clock: VirtualClock,
  progressive: boolean,
  engines: EngineRegistry = ENGINES,
): Promise<Replica> {
  const net = new SimNetwork({ timers: clock, seed: 2 });
  return Replica.open({
    id,
    transport: net.transport(id),
    store,
    engines,
    timers: clock,
    antiEntropyMs: 0,
    randomUint32: seeded(),
    progressive,
  });
}

/** Every engine's text, by engine. */
export function textsOf(replica: Replica): Record<string, string> {
  return Object.fromEntries(replica.engineNames.map((name) => [name, replica.textSlice(name)]));
}
