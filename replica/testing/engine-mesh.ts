/**
 * Test support for the engine adapters: engines of one kind wired together in memory (a session's
 * send goes into a queue that the test delivers, in order or shuffled, dropped or duplicated), a
 * simulated clock with per-replica skew, and random intents.
 */
import { SeededRandom } from '@converge/crdt-core';
import { afterEach } from 'vitest';
import {
  ENGINES,
  type Engine,
  type EngineChange,
  type EngineDescriptor,
  type EngineName,
  type Intent,
  type SyncSession,
  type WorkspaceSchema,
  type WorkspaceView,
} from '../src/index.ts';

/** An engine to test: a descriptor, or the name of one in the registry `ENGINES`. */
export type TestEngine = EngineDescriptor | EngineName;

/** Shared simulated time; each replica reads it through its own skew. */
export class SimClock {
  time = 1_700_000_000_000;
  readonly skew = new Map<string, number>();

  nowFor(id: string): () => number {
    return () => this.time + (this.skew.get(id) ?? 0);
  }

  advance(ms = 1): void {
    this.time += ms;
  }
}

/** Engines made by makeEngine and not yet closed by closeEnginesAfterEach. */
const made = new Set<Engine>();

export function makeEngine(
  kind: TestEngine,
  id: string,
  clock: SimClock,
  rng: SeededRandom,
  schema?: WorkspaceSchema,
): Engine {
  const descriptor = typeof kind === 'string' ? ENGINES.get(kind) : kind;
  const engine = descriptor.create({
    ...(schema === undefined ? {} : { schema }),
    replicaId: id,
    now: clock.nowFor(id),
    skewMs: () => clock.skew.get(id) ?? 0,
    randomUint32: () => rng.nextUint32(),
  });
  made.add(engine);
  return engine;
}

/** Call once at the top of a test file using makeEngine: its engines are closed after each test. */
export function closeEnginesAfterEach(): void {
  afterEach(() => {
    for (const engine of made) engine.close();
    made.clear();
  });
}

export interface Chaos {
  readonly drop: number;
  readonly duplicate: number;
  /** Deliver queued payloads in random order instead of FIFO. */
  readonly reorder: boolean;
}

interface InFlight {
  readonly from: string;
  readonly to: string;
  readonly payload: Uint8Array;
}

interface Node {
  readonly engine: Engine;
  readonly sessions: Map<string, SyncSession>;
}

/**
 * Engines of one kind, keyed by replica id, with a session per connected pair. Every engine change
 * is announced to all of that engine's open sessions, as the Replica does.
 */
export class Mesh {
  readonly nodes = new Map<string, Node>();
  private queue: InFlight[] = [];
  chaos: Chaos | undefined;
  /** Payloads a session rejected (receive returned false). */
  rejected = 0;
  delivered = 0;
  /** Every payload sent, for replay tests. */
  readonly sent: InFlight[] = [];

  constructor(
    private readonly rng: SeededRandom,
    engines: Readonly<Record<string, Engine>>,
  ) {
    for (const [id, engine] of Object.entries(engines)) {
      const node: Node = { engine, sessions: new Map() };
      this.nodes.set(id, node);
      engine.onChange((change: EngineChange) => {
        for (const session of node.sessions.values()) session.changed(change);
      });
    }
  }

  engine(id: string): Engine {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`no node ${id}`);
    return node.engine;
  }

  connected(a: string, b: string): boolean {
    return this.nodes.get(a)?.sessions.has(b) ?? false;
  }

  connect(a: string, b: string): void {
    if (a === b || this.connected(a, b)) return;
    const sa = this.open(a, b);
    const sb = this.open(b, a);
    sa.start();
    sb.start();
  }

  disconnect(a: string, b: string): void {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const sessions = this.nodes.get(x)?.sessions;
      sessions?.get(y)?.close();
      sessions?.delete(y);
    }
  }

  connectAll(): void {
    const ids = [...this.nodes.keys()];
    for (const a of ids) for (const b of ids) if (a < b) this.connect(a, b);
  }

  private open(from: string, to: string): SyncSession {
    const node = this.nodes.get(from);
    if (!node) throw new Error(`no node ${from}`);
    const session = node.engine.openSession(to, (payload) => {
      const message = { from, to, payload };
      this.sent.push(message);
      this.queue.push(message);
    });
    node.sessions.set(to, session);
    return session;
  }

  pending(): number {
    return this.queue.length;
  }

  /** Lose every payload in flight. */
  dropPending(): void {
    this.queue = [];
  }

  /** Deliver one queued payload (subject to chaos); false when the queue is empty. */
  step(): boolean {
    if (this.queue.length === 0) return false;
    const index = this.chaos?.reorder ? this.rng.int(0, this.queue.length - 1) : 0;
    const [message] = this.queue.splice(index, 1);
    if (!message) return false;
    if (this.chaos && this.rng.chance(this.chaos.drop)) return true;
    if (this.chaos && this.rng.chance(this.chaos.duplicate)) this.queue.push(message);
    this.deliver(message);
    return true;
  }

  /** Deliver a payload to the recipient's session with the sender (dropped when the link is down). */
  deliver(message: InFlight): void {
    const session = this.nodes.get(message.to)?.sessions.get(message.from);
    if (!session) return;
    this.delivered++;
    if (!session.receive(message.payload)) this.rejected++;
  }

  /** Deliver until the queue is empty; throws if the exchange does not settle. */
  run(maxSteps = 200_000): void {
    for (let i = 0; i < maxSteps; i++) if (!this.step()) return;
    throw new Error(`sync did not settle within ${maxSteps} deliveries`);
  }

  antiEntropy(): void {
    for (const node of this.nodes.values())
      for (const session of node.sessions.values()) session.antiEntropy();
  }

  /** Heal everything, stop chaos, and run anti-entropy rounds until every replica agrees. */
  quiesce(maxRounds = 8): void {
    this.chaos = undefined;
    this.connectAll();
    this.run();
    for (let round = 0; round < maxRounds && !this.agreed(); round++) {
      this.antiEntropy();
      this.run();
    }
  }

  agreed(): boolean {
    const engines = [...this.nodes.values()].map((n) => n.engine);
    const first = engines[0];
    if (!first) return true;
    const digest = first.digest();
    const version = JSON.stringify(first.version());
    return engines.every((e) => e.digest() === digest && JSON.stringify(e.version()) === version);
  }

  digests(): Record<string, string> {
    return Object.fromEntries([...this.nodes].map(([id, n]) => [id, n.engine.digest()]));
  }

  views(): Record<string, WorkspaceView> {
    return Object.fromEntries([...this.nodes].map(([id, n]) => [id, n.engine.view()]));
  }
}

const PRODUCTS = ['apple', 'pear', 'plum', 'fig'];
const LETTERS = 'abcdefxyz';

/** A random valid intent for an engine whose current view is `view`. */
export function randomIntent(rng: SeededRandom, view: WorkspaceView): Intent {
  const roll = rng.int(0, 99);
  if (roll < 15) return { op: 'cart.add', product: rng.pick(PRODUCTS), qty: rng.int(1, 5) };
  if (roll < 19) return { op: 'cart.remove', product: rng.pick(PRODUCTS) };
  if (roll < 22) return { op: 'cart.decrement', product: rng.pick(PRODUCTS), qty: rng.int(1, 3) };
  if (roll < 28) return { op: 'cart.setQuantity', product: rng.pick(PRODUCTS), qty: rng.int(0, 9) };
  if (roll < 55 || view.text.length === 0) {
    const length = rng.int(1, 4);
    let text = '';
    for (let i = 0; i < length; i++) text += LETTERS[rng.int(0, LETTERS.length - 1)];
    return { op: 'text.insert', pos: rng.int(0, view.text.length), text };
  }
  if (roll < 70) {
    const pos = rng.int(0, view.text.length - 1);
    return { op: 'text.delete', pos, len: rng.int(1, Math.min(4, view.text.length - pos)) };
  }
  if (roll < 80) return { op: 'counter.increment', name: 'likes', by: rng.int(1, 3) };
  if (roll < 90) return { op: 'counter.increment', name: 'stock', by: rng.pick([-3, -2, -1, 1, 2, 3]) };
  return { op: 'note.set', value: `note-${rng.int(0, 999)}` };
}

/** Seeded random generator plus a message that says how to replay it. */
export function seeded(seed: number): { rng: SeededRandom; replay: string } {
  return { rng: new SeededRandom(seed), replay: `replay with TEST_SEED=${seed}` };
}
