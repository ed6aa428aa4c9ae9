/**
 * Open/close cycles of one engine, run in a fresh process by the lifecycle contract test:
 * `node --expose-gc --import tsx open-close-cycles.ts ENGINE WARMUP CYCLES`. Prints one JSON line.
 *
 * Two measurements, each taken over `CYCLES` cycles after `WARMUP` cycles:
 * - native: cycles that open two engines, edit them, restore the second from the first's snapshot
 *   and close both, with no garbage collection and no turn of the event loop in between. Whatever an
 *   engine keeps outside the JS heap (an Automerge document's WebAssembly memory) must be returned by
 *   `close` itself: nothing else would return it here. Measured as external memory minus array
 *   buffers (those are JS garbage, which this phase never collects).
 * - total: cycles that also sync the two engines through their sessions, with collections forced
 *   every few cycles and the event loop turning after each cycle, as in any process doing I/O
 *   (Automerge's API leaves a WebAssembly sync state per sync message to its FinalizationRegistry,
 *   whose callbacks run as tasks). Heap and external memory after full collections, before and after.
 */
import { SeededRandom } from '@converge/crdt-core';
import {
  ENGINES,
  type Engine,
  type EngineName,
  type Intent,
  type WorkspaceView,
} from '../../../src/index.ts';

const COLLECT_EVERY = 10;
const PRODUCTS = ['apple', 'pear', 'fig'];

/** A valid intent of every kind, at random (this script runs outside Vitest, so not from ../support.ts). */
function randomIntent(rng: SeededRandom, view: WorkspaceView): Intent {
  const roll = rng.int(0, 9);
  if (roll < 4 || view.text.length === 0) {
    return { op: 'text.insert', pos: rng.int(0, view.text.length), text: rng.pick(['ab', 'c', 'xyz']) };
  }
  if (roll < 5) return { op: 'text.delete', pos: rng.int(0, view.text.length - 1), len: 1 };
  if (roll < 7) return { op: 'cart.add', product: rng.pick(PRODUCTS), qty: rng.int(1, 3) };
  if (roll < 8) return { op: 'cart.remove', product: rng.pick(PRODUCTS) };
  if (roll < 9) return { op: 'counter.increment', name: rng.pick(['likes', 'stock'] as const), by: 1 };
  return { op: 'note.set', value: `note ${rng.int(0, 99)}` };
}

const gc = (globalThis as { gc?: () => void }).gc;

function collect(): void {
  if (gc === undefined) throw new Error('run node with --expose-gc');
  gc();
}

function turnEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function collectFully(): Promise<void> {
  for (let round = 0; round < 3; round++) {
    collect();
    await turnEventLoop();
  }
}

function nativeBytes(): number {
  const { external, arrayBuffers } = process.memoryUsage();
  return external - arrayBuffers;
}

function totalBytes(): number {
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

class Cycles {
  private readonly rng = new SeededRandom(7);
  private now = 1_700_000_000_000;

  constructor(private readonly name: EngineName) {}

  private open(id: string): Engine {
    return ENGINES.create(this.name, {
      replicaId: id,
      now: () => this.now,
      randomUint32: () => this.rng.nextUint32(),
    });
  }

  private edit(engine: Engine, count: number): void {
    for (let n = 0; n < count; n++) {
      engine.apply(randomIntent(this.rng, engine.view()));
      this.now += 7;
    }
  }

  /** Edit, snapshot, restore into a second engine, check, close both. */
  restore(): void {
    const a = this.open('a');
    this.edit(a, 12);
    const b = this.open('b');
    b.applyUpdate(a.save());
    if (a.digest() !== b.digest()) throw new Error(`${this.name}: restored engine differs`);
    a.close();
    b.close();
  }

  /** Two engines edit and sync through their sessions; a third restores the first's snapshot. */
  sync(): void {
    const a = this.open('a');
    const b = this.open('b');
    const queue: { to: 'a' | 'b'; payload: Uint8Array }[] = [];
    const sessionA = a.openSession('b', (payload) => queue.push({ to: 'b', payload }));
    const sessionB = b.openSession('a', (payload) => queue.push({ to: 'a', payload }));
    a.onChange((change) => sessionA.changed(change));
    b.onChange((change) => sessionB.changed(change));
    sessionA.start();
    sessionB.start();
    this.edit(a, 8);
    this.edit(b, 4);
    for (let delivered = 0; queue.length > 0; delivered++) {
      if (delivered > 10_000) throw new Error(`${this.name}: sync did not settle`);
      const { to, payload } = queue.shift() as { to: 'a' | 'b'; payload: Uint8Array };
      if (!(to === 'a' ? sessionA : sessionB).receive(payload))
        throw new Error(`${this.name}: payload refused`);
    }
    const c = this.open('c');
    c.applyUpdate(a.save());
    if (a.digest() !== b.digest() || a.digest() !== c.digest())
      throw new Error(`${this.name}: engines disagree`);
    sessionA.close();
    sessionB.close();
    for (const engine of [a, b, c]) engine.close();
  }
}

async function main(): Promise<void> {
  const [name, warmupArg, cyclesArg] = process.argv.slice(2);
  if (name === undefined || !ENGINES.has(name)) throw new Error(`unknown engine ${String(name)}`);
  await ENGINES.load(name);
  const warmup = Number(warmupArg);
  const cycles = Number(cyclesArg);
  const run = new Cycles(name);

  for (let n = 0; n < warmup; n++) run.restore();
  await collectFully();
  const nativeBefore = nativeBytes();
  for (let n = 0; n < cycles; n++) run.restore();
  const nativeAfter = nativeBytes();

  /** Sync cycles as a process doing I/O runs them: the loop turns after each, a collection now and then. */
  const syncCycles = async (count: number): Promise<void> => {
    for (let n = 1; n <= count; n++) {
      run.sync();
      await turnEventLoop();
      if (n % COLLECT_EVERY === 0) collect();
    }
    await collectFully();
  };
  await syncCycles(warmup);
  const totalBefore = totalBytes();
  await syncCycles(cycles);
  const totalAfter = totalBytes();
  process.stdout.write(
    `${JSON.stringify({ engine: name, warmup, cycles, nativeBefore, nativeAfter, totalBefore, totalAfter })}\n`,
  );
}

await main();
