/**
 * The seeded convergence harness (in the spirit of yjs's applyRandomTests): 2–6 replicas make random edits
 * while the network is partitioned, healed, cut, taken offline and hit by chaos, and replicas restart from
 * their stores. At the end everything heals, chaos stops, and the network runs until quiescent. Then, per
 * engine: every replica shows the same digest and the same version, and no acknowledged edit is lost
 * according to that engine's documented semantics, checked against a reference record of every
 * acknowledged intent. Everything derives from one seed, printed in every failure.
 *
 * Identity trick for text: every inserted character is a fresh code point, so a character is its own id.
 * For a CRDT text the final characters must then be exactly the acknowledged insertions minus the
 * characters a delete removed (observed on the deleting replica, per engine), each insertion in order.
 */

import { SeededRandom } from '@converge/crdt-core';
import { errorMessage, type Timers, type Transport, VirtualClock } from '@converge/protocol';
import type { Engine } from '../src/engine.ts';
import type { EngineDescriptor } from '../src/engine-descriptor.ts';
import type { EngineName } from '../src/engine-name.ts';
import type { EngineRegistry } from '../src/engine-registry.ts';
import type { LedgerWrite, LostWrite } from '../src/ledger.ts';
import { Replica } from '../src/replica.ts';
import type { FieldEdit, FieldKind, NamedField, WorkspaceSchema } from '../src/schema.ts';
import { type ChaosSettings, SimNetwork } from '../src/sim-network.ts';
import { MemoryStore } from '../src/store.ts';
import type { Intent } from '../src/workspace.ts';

/**
 * The network the replicas run on, with its notion of time: the in-process SimNetwork on a virtual clock
 * (`simWorld`), or a real relay on 127.0.0.1 with real time (sync-server's replica-over-relay test).
 */
export interface HarnessWorld {
  readonly timers: Timers;
  /** A fresh transport for a node that (re)starts. */
  transport(id: string): Transport;
  partition(groups: readonly (readonly string[])[]): void;
  heal(): void;
  /** Cut the directed link from → to if it is up, restore it if it is cut. */
  toggleLink(from: string, to: string): void;
  setChaos(chaos: ChaosSettings | undefined): void;
  /** Let `ms` of the world's time pass, delivering traffic. Throws if traffic runs away (a storm). */
  advance(ms: number): Promise<void>;
  /**
   * Called with every link healed, every replica online and chaos off: let traffic run until the network
   * is quiescent. Throws, saying what is still moving, if it does not get there in time.
   */
  settle(replicas: readonly Replica[]): Promise<void>;
  /** Numbers for the report (frames sent, dropped...). */
  stats(): Readonly<Record<string, number>>;
  close(): Promise<void>;
}

export type WorldFactory = (setup: {
  readonly seed: number;
  readonly ids: readonly string[];
  readonly antiEntropyMs: number;
}) => HarnessWorld | Promise<HarnessWorld>;

export interface HarnessOptions {
  readonly seed: number;
  /** The engines every replica hosts; each is checked against its descriptor's semantics and ledger. */
  readonly engines: EngineRegistry;
  /** The workspace's fields (default: WORKSPACE): every field is edited and checked by its kind. */
  readonly schema?: WorkspaceSchema;
  /** Number of random steps (edits and network events). */
  readonly steps: number;
  /** Replica count; default: 2–6 chosen by the seed. */
  readonly replicas?: number;
  /** Default: the simulated network on a virtual clock. */
  readonly world?: WorldFactory;
  /** Anti-entropy period of every replica (default 250 ms). */
  readonly antiEntropyMs?: number;
}

export interface HarnessReport {
  readonly seed: number;
  readonly replicas: number;
  readonly edits: number;
  readonly restarts: number;
  readonly network: Readonly<Record<string, number>>;
  /** Writes the engines with a ledger listed as lost, per engine. */
  readonly lost: Readonly<Record<EngineName, number>>;
  /** Time that passed in the world (virtual ms for the simulation). */
  readonly elapsedMs: number;
}

const DEFAULT_ANTI_ENTROPY_MS = 250;
const GROW_PRODUCTS = ['apple', 'bread', 'cheese'] as const;
const MIXED_PRODUCTS = ['dates', 'eggs', 'figs'] as const;
/** CJK Unified Ideographs: plenty of distinct BMP characters, far from surrogates. */
const FIRST_CHAR = 0x4e00;
const LAST_CHAR = 0x9fff;

export class HarnessFailure extends Error {
  override readonly name = 'HarnessFailure';
}

/** The in-process world: SimNetwork on a VirtualClock; runs are exactly replayable from the seed. */
export const simWorld: WorldFactory = ({ seed, ids, antiEntropyMs }) => {
  const clock = new VirtualClock(1_700_000_000_000);
  const net = new SimNetwork({ timers: clock, seed, latencyMs: 2 });
  // Normal runs send a few thousand frames; far more means a sync protocol keeps answering itself (a storm),
  // which would otherwise look like a hang.
  const frameBudget = 500 * ids.length * ids.length + 2000;
  const step = (): void => {
    clock.step();
    if (net.stats().sent > frameBudget)
      throw new HarnessFailure(`message storm: more than ${frameBudget} frames sent`);
  };
  const advance = (ms: number): void => {
    const until = clock.now() + ms;
    for (let at = clock.nextAt(); at !== undefined && at <= until; at = clock.nextAt()) step();
    clock.advance(until - clock.now());
  };
  return {
    timers: clock,
    transport: (id) => net.transport(id),
    partition: (groups) => net.partition(groups),
    heal: () => net.heal(),
    toggleLink: (from, to) => (net.linkUp(from, to) ? net.cut(from, to) : net.restore(from, to)),
    setChaos: (chaos) => net.setChaos(chaos),
    advance: async (ms) => advance(ms),
    async settle() {
      // A few anti-entropy rounds repair what chaos dropped on links that never went down; then drain.
      advance(4 * antiEntropyMs);
      const deadline = clock.now() + 10 * antiEntropyMs;
      while (net.inFlight() > 0) {
        if (clock.now() > deadline)
          throw new HarnessFailure(`not quiescent: ${net.inFlight()} frames in flight`);
        step();
      }
    },
    stats: () => ({ ...net.stats(), elapsedMs: clock.now() - 1_700_000_000_000 }),
    close: async () => {},
  };
};

/** What was acknowledged, for the final checks, per field of the schema. */
class Reference {
  /** counter field → sum of acknowledged increments */
  readonly counters = new Map<string, number>();
  /** "cart field/grow-only product" → sum of acknowledged adds */
  readonly growAdds = new Map<string, number>();
  /** register field → every value written → its writer */
  readonly registers = new Map<string, Map<string, string>>();
  /** text field → every acknowledged insertion's text, in the order made */
  readonly insertions = new Map<string, string[]>();
  /** "engine text-field" → characters some delete removed there */
  readonly deleted = new Map<string, Set<string>>();
  /** engine with a ledger → its acknowledged writes: "replica@counter" → op */
  readonly ledgerWrites = new Map<EngineName, Map<string, string>>();
  edits = 0;

  deletedIn(engine: EngineName, field: string): Set<string> {
    return entry(this.deleted, `${engine} ${field}`, () => new Set<string>());
  }
}

function entry<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

export async function runConvergence(options: HarnessOptions): Promise<HarnessReport> {
  const { seed } = options;
  const registry = options.engines;
  const engines = registry.names;
  const random = new SeededRandom(seed);
  const identities = new SeededRandom(seed ^ 0x5bd1e995);
  const antiEntropyMs = options.antiEntropyMs ?? DEFAULT_ANTI_ENTROPY_MS;
  const count = options.replicas ?? random.int(2, 6);
  const ids = Array.from({ length: count }, (_, i) => `r${i}`);
  const world = await (options.world ?? simWorld)({ seed: random.nextUint32(), ids, antiEntropyMs });
  const stores = new Map(ids.map((id) => [id, new MemoryStore()]));
  const replicas = new Map<string, Replica>();
  const offline = new Set<string>();
  const reference = new Reference();
  let nextChar = FIRST_CHAR;
  let noteCounter = 0;
  let restarts = 0;
  const fail = (message: string): never => {
    throw new HarnessFailure(`seed ${seed} (replay with TEST_SEED=${seed}): ${message}`);
  };
  const framesByEngine = (): string =>
    engines
      .map((e) => `${e} ${[...replicas.values()].reduce((n, r) => n + r.trafficOf(e).framesSent, 0)}`)
      .join(', ');
  /** World failures (a storm, no quiescence) get the seed and the frames each engine sent. */
  const inWorld = async (action: () => Promise<void>): Promise<void> => {
    try {
      await action();
    } catch (error) {
      if (error instanceof HarnessFailure && error.message.startsWith('seed ')) throw error;
      fail(`${errorMessage(error)} (frames sent by engine since the last restarts: ${framesByEngine()})`);
    }
  };
  const advance = (ms: number): Promise<void> => inWorld(() => world.advance(ms));

  try {
    const open = async (id: string): Promise<Replica> => {
      const replica = await Replica.open({
        id,
        transport: world.transport(id),
        store: stores.get(id) as MemoryStore,
        engines: registry,
        ...(options.schema === undefined ? {} : { schema: options.schema }),
        timers: world.timers,
        antiEntropyMs,
        // Small logs so compaction happens during the run too.
        compactAfter: 40,
        randomUint32: () => identities.nextUint32(),
      });
      replicas.set(id, replica);
      return replica;
    };
    for (const id of ids) {
      const replica = await open(id);
      await replica.setPrimary(random.pick(engines));
    }

    const freshText = (): string => {
      let text = '';
      for (let n = random.int(1, 3); n > 0; n--) {
        if (nextChar > LAST_CHAR) fail('ran out of unique characters; lower the step count');
        text += String.fromCharCode(nextChar++);
      }
      return text;
    };

    const schema = (replicas.get(ids[0] as string) as Replica).schema;
    const textOf = (replica: Replica, engine: EngineName, field: NamedField): string =>
      String(schema.valueIn(replica.view(engine), field));
    const pickField = (kinds: FieldKind[]): NamedField | undefined => {
      const fields = schema.fieldsOf(...kinds);
      return fields.length === 0 ? undefined : random.pick(fields);
    };

    /** A random edit of a random field, in the proportions of the app's five fields. */
    const randomEdit = (replica: Replica): FieldEdit => {
      for (;;) {
        const roll = random.next();
        if (roll < 0.45) {
          const field = pickField(['text']);
          if (field === undefined) continue;
          const text = textOf(replica, replica.primary, field);
          if (roll < 0.3 || text.length === 0)
            return {
              kind: 'text',
              field: field.name,
              action: 'insert',
              pos: random.int(0, text.length),
              text: freshText(),
            };
          const pos = random.int(0, text.length - 1);
          return {
            kind: 'text',
            field: field.name,
            action: 'delete',
            pos,
            len: random.int(1, Math.min(3, text.length - pos)),
          };
        }
        if (roll < 0.72) {
          const field = pickField(['cart']);
          if (field === undefined) continue;
          if (roll < 0.6)
            return {
              kind: 'cart',
              field: field.name,
              action: 'add',
              product: random.pick(GROW_PRODUCTS),
              qty: random.int(1, 4),
            };
          const product = random.pick(MIXED_PRODUCTS);
          const action = random.int(0, 3);
          if (action === 0)
            return { kind: 'cart', field: field.name, action: 'add', product, qty: random.int(1, 4) };
          if (action === 1) return { kind: 'cart', field: field.name, action: 'remove', product };
          if (action === 2)
            return { kind: 'cart', field: field.name, action: 'decrement', product, qty: random.int(1, 2) };
          return { kind: 'cart', field: field.name, action: 'setQuantity', product, qty: random.int(0, 5) };
        }
        if (roll < 0.87) {
          const field = pickField(['counter', 'pn-counter']);
          if (field === undefined) continue;
          return field.kind === 'counter'
            ? { kind: 'counter', field: field.name, action: 'increment', by: random.int(1, 5) }
            : {
                kind: 'pn-counter',
                field: field.name,
                action: 'increment',
                by: random.pick([-3, -2, -1, 1, 2, 3]),
              };
        }
        const field = pickField(['register']);
        if (field === undefined) continue;
        return {
          kind: 'register',
          field: field.name,
          action: 'set',
          value: `${replica.id}#${noteCounter++}`,
        };
      }
    };

    const edit = async (replica: Replica): Promise<void> => {
      // What the edit is planned against: an engine that puts off peers' changes (Automerge) takes them in
      // first, as Replica.apply does, so positions fit the text it is placed in and a delete may remove a
      // character that arrived that way.
      replica.settle();
      const change = randomEdit(replica);
      const intent = schema.intentOf(change) as Intent;
      const edited = schema.field(change.field) as NamedField;
      const textsBefore = new Map(
        change.kind === 'text' ? engines.map((e) => [e, textOf(replica, e, edited)]) : [],
      );
      const ownWrites = (descriptor: EngineDescriptor): number =>
        ownCounter(descriptor, replica.engine(descriptor.name), replica.id);
      const ledgersBefore = new Map(ledgerEngines(registry).map((d) => [d, ownWrites(d)]));
      try {
        await replica.apply(intent);
      } catch (error) {
        fail(`${replica.id} could not apply ${JSON.stringify(intent)}: ${String(error)}`);
      }
      // Acknowledged: record it.
      reference.edits++;
      switch (change.kind) {
        case 'text':
          if (change.action === 'insert')
            entry(reference.insertions, change.field, () => []).push(change.text);
          else {
            for (const engine of engines) {
              const after = new Set(textOf(replica, engine, edited));
              const removed = reference.deletedIn(engine, change.field);
              for (const ch of textsBefore.get(engine) ?? '') if (!after.has(ch)) removed.add(ch);
            }
          }
          break;
        case 'cart':
          if (change.action === 'add' && (GROW_PRODUCTS as readonly string[]).includes(change.product)) {
            const key = `${change.field}/${change.product}`;
            reference.growAdds.set(key, (reference.growAdds.get(key) ?? 0) + change.qty);
          }
          break;
        case 'counter':
        case 'pn-counter':
          reference.counters.set(change.field, (reference.counters.get(change.field) ?? 0) + change.by);
          break;
        case 'register':
          entry(reference.registers, change.field, () => new Map()).set(change.value, replica.id);
          break;
      }
      for (const [descriptor, before] of ledgersBefore) {
        const acknowledged = entry(reference.ledgerWrites, descriptor.name, () => new Map<string, string>());
        const after = ownWrites(descriptor);
        for (let counter = before + 1; counter <= after; counter++) {
          acknowledged.set(`${replica.id}@${counter}`, intent.op);
        }
      }
    };

    const randomChaos = (): ChaosSettings => ({
      drop: random.pick([0, 0.05, 0.2, 0.5]),
      duplicate: random.pick([0, 0.1, 0.3]),
      reorder: random.pick([0, 0.1, 0.4]),
      delayMs: random.pick([0, 10, 100]),
    });

    const randomGroups = (): string[][] => {
      const groups: string[][] = [];
      for (const id of random.shuffle(ids)) {
        const index = random.int(0, groups.length);
        if (index === groups.length) groups.push([id]);
        else groups[index]?.push(id);
      }
      return groups;
    };

    for (let n = 0; n < options.steps; n++) {
      const roll = random.next();
      const id = random.pick(ids);
      const replica = replicas.get(id) as Replica;
      if (roll < 0.6) {
        await edit(replica);
      } else if (roll < 0.66) {
        world.partition(randomGroups());
      } else if (roll < 0.7) {
        world.heal();
      } else if (roll < 0.73) {
        world.toggleLink(id, random.pick(ids.filter((other) => other !== id)));
      } else if (roll < 0.79) {
        const goOffline = !offline.has(id);
        replica.setOffline(goOffline);
        if (goOffline) offline.add(id);
        else offline.delete(id);
      } else if (roll < 0.84) {
        world.setChaos(random.chance(0.3) ? undefined : randomChaos());
      } else if (roll < 0.87) {
        restarts++;
        await replica.close();
        const restarted = await open(id);
        // The offline switch belongs to the node, not to one run of the process.
        if (offline.has(id)) restarted.setOffline(true);
      } else if (roll < 0.9) {
        await replica.setSkew(random.pick([0, 0, -1500, -20, 20, 1500]));
      } else if (roll < 0.92) {
        await replica.setPrimary(random.pick(engines));
      } else {
        await advance(random.int(1, 3 * antiEntropyMs));
      }
      await advance(random.int(0, 15));
    }

    // Heal everything, stop chaos, bring everyone online, and run until quiescent.
    world.setChaos(undefined);
    world.heal();
    for (const id of offline) (replicas.get(id) as Replica).setOffline(false);
    offline.clear();
    await inWorld(() => world.settle(ids.map((id) => replicas.get(id) as Replica)));

    const all = ids.map((id) => replicas.get(id) as Replica);
    for (const descriptor of registry.descriptors) checkEngine(descriptor, all, reference, fail);
    const first = all[0] as Replica;
    const lost = Object.fromEntries(
      ledgerEngines(registry).map((d) => [d.name, d.ledger.lost(first.engine(d.name)).length]),
    );
    const report: HarnessReport = {
      seed,
      replicas: count,
      edits: reference.edits,
      restarts,
      network: world.stats(),
      lost,
      elapsedMs: world.stats().elapsedMs ?? 0,
    };
    return report;
  } catch (error) {
    if (error instanceof HarnessFailure && error.message.startsWith('seed ')) throw error;
    return fail(
      `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } finally {
    // Also on failure: a relay world must not leak sockets or timers into the next test.
    for (const replica of replicas.values()) await replica.close().catch(() => {});
    await world.close();
    // A run on the simulated network only ever awaits microtasks, and finalization callbacks run as
    // tasks: without this turn of the event loop, the WebAssembly sync state Automerge's API leaves to
    // its FinalizationRegistry after every sync message is never freed while runs follow each other.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

type Fail = (message: string) => never;

type WithLedger = EngineDescriptor & { readonly ledger: NonNullable<EngineDescriptor['ledger']> };

function ledgerEngines(registry: EngineRegistry): WithLedger[] {
  return registry.descriptors.filter((d): d is WithLedger => d.ledger !== undefined);
}

/** How many writes of its own a replica holds in an engine with a ledger. */
function ownCounter(descriptor: EngineDescriptor, engine: Engine, replica: string): number {
  let counter = 0;
  for (const write of descriptor.ledger?.writes(engine) ?? [])
    if (write.replica === replica) counter = Math.max(counter, write.counter);
  return counter;
}

function checkEngine(
  descriptor: EngineDescriptor,
  replicas: readonly Replica[],
  reference: Reference,
  fail: Fail,
): void {
  const engine = descriptor.name;
  const { semantics } = descriptor;
  const first = replicas[0] as Replica;
  // Convergence: same digest and same version everywhere.
  for (const replica of replicas) {
    if (replica.digest(engine) !== first.digest(engine)) {
      fail(
        `${engine} diverged: ${first.id} shows ${JSON.stringify(first.view(engine))}, ` +
          `${replica.id} shows ${JSON.stringify(replica.view(engine))}`,
      );
    }
    if (JSON.stringify(replica.version(engine)) !== JSON.stringify(first.version(engine))) {
      fail(
        `${engine} versions differ although the views agree: ${first.id} ${JSON.stringify(first.version(engine))}, ` +
          `${replica.id} ${JSON.stringify(replica.version(engine))}`,
      );
    }
  }
  const view = first.view(engine);
  const where = `${engine} (final view ${JSON.stringify(view)})`;
  const { schema } = first;
  const valueIn = (field: NamedField): unknown => schema.valueIn(view, field);

  // Counters: counter CRDTs keep every increment; read-modify-write and last-writer-wins lose concurrent ones.
  if (semantics.counters === 'exact') {
    for (const field of schema.counters()) {
      const sum = reference.counters.get(field.name) ?? 0;
      if (valueIn(field) !== sum)
        fail(`${where}: counter ${field.name} is ${valueIn(field)}, acknowledged increments sum to ${sum}`);
    }
  }

  // Grow-only products (only ever added to): an exact engine sums every add; where concurrent first adds
  // create competing counters (one wins) or totals are written read-modify-write, the line must exist with
  // a quantity between 1 and the sum.
  if (semantics.growingCart !== 'lossy') {
    for (const [path, sum] of reference.growAdds) {
      const [name, product] = path.split('/') as [string, string];
      const quantity = (valueIn(schema.field(name) as NamedField) as Record<string, number>)[product];
      if (
        semantics.growingCart === 'exact'
          ? quantity !== sum
          : quantity === undefined || quantity < 1 || quantity > sum
      ) {
        fail(`${where}: grow-only line ${path} shows ${quantity}, acknowledged adds sum to ${sum}`);
      }
    }
  }

  // Text: exactly the acknowledged insertions minus what deletes removed, each insertion in order.
  if (semantics.text === 'merged') {
    for (const field of schema.fieldsOf('text')) {
      const insertions = reference.insertions.get(field.name) ?? [];
      const deleted = reference.deletedIn(engine, field.name);
      const expected = new Set<string>();
      for (const insertion of insertions) for (const ch of insertion) if (!deleted.has(ch)) expected.add(ch);
      const actual = [...String(valueIn(field))];
      const seen = new Set<string>();
      for (const ch of actual) {
        if (seen.has(ch)) fail(`${where}: character ${ch} appears twice in ${field.name}`);
        seen.add(ch);
        if (!expected.has(ch))
          fail(`${where}: character ${ch} should not be in ${field.name} (deleted or never inserted)`);
      }
      for (const ch of expected)
        if (!seen.has(ch)) fail(`${where}: acknowledged character ${ch} of ${field.name} was lost`);
      const index = new Map(actual.map((ch, i) => [ch, i]));
      for (const insertion of insertions) {
        const positions = [...insertion].map((ch) => index.get(ch)).filter((i) => i !== undefined);
        if (positions.some((p, i) => i > 0 && p < (positions[i - 1] as number))) {
          fail(`${where}: the characters of insertion ${insertion} are out of order`);
        }
      }
    }
  }

  // Registers: only written values; multi-value registers keep at most one sibling per writer.
  for (const field of schema.fieldsOf('register')) {
    const written = reference.registers.get(field.name) ?? new Map<string, string>();
    const values = valueIn(field) as readonly string[];
    if (written.size > 0 && values.length === 0)
      fail(`${where}: ${field.name} was written but shows nothing`);
    const writers = new Set<string>();
    for (const value of values) {
      const writer = written.get(value);
      if (writer === undefined) fail(`${where}: ${field.name} value ${value} was never written`);
      if (writers.has(writer as string)) fail(`${where}: two ${field.name} siblings from writer ${writer}`);
      writers.add(writer as string);
    }
    if (semantics.register === 'single-value' && values.length > 1)
      fail(`${where}: a single-value ${field.name} shows siblings`);
  }

  if (descriptor.ledger !== undefined) {
    checkLedger(engine, descriptor.ledger, first, reference.ledgerWrites.get(engine) ?? new Map(), fail);
  }
}

/** An engine with a ledger: the final state plus the ledger account for every write, exactly. */
function checkLedger(
  name: EngineName,
  ledgerAccess: NonNullable<EngineDescriptor['ledger']>,
  replica: Replica,
  acknowledged: ReadonlyMap<string, string>,
  fail: Fail,
): void {
  const engine = replica.engine(name);
  const writes = ledgerAccess.writes(engine);
  const ledger = ledgerAccess.lost(engine);
  const dot = (w: { replica: string; counter: number }): string => `${w.replica}@${w.counter}`;
  const byDot = new Map(writes.map((w) => [dot(w), w]));
  for (const [key, op] of acknowledged) {
    const write = byDot.get(key);
    if (!write) fail(`${name}: acknowledged write ${key} (${op}) vanished from the history`);
    else if (write.op !== op) fail(`${name}: write ${key} is a ${write.op}, but was made by ${op}`);
  }
  // Winners by the documented rule: greatest (wall clock, replica id, counter).
  const winners = new Map<string, LedgerWrite>();
  const later = (a: LedgerWrite, b: LedgerWrite): boolean =>
    a.wallMs !== b.wallMs
      ? a.wallMs > b.wallMs
      : a.replica !== b.replica
        ? a.replica > b.replica
        : a.counter > b.counter;
  for (const write of writes) {
    const current = winners.get(write.field);
    if (!current || later(write, current)) winners.set(write.field, write);
  }
  const view = replica.view(name);
  for (const [field, winner] of winners) {
    const { schema } = replica;
    const target = schema.fieldOfPath(field);
    if (target === undefined) {
      fail(`${name}: a write of ${field}, which is no field of the workspace`);
      return;
    }
    const value = schema.valueIn(view, target.field);
    const shown: unknown =
      target.field.kind === 'cart'
        ? ((value as Record<string, number>)[target.key as string] ?? null)
        : target.field.kind === 'register'
          ? (value as readonly string[])[0]
          : value;
    if (shown !== winner.value)
      fail(
        `${name}: ${field} shows ${JSON.stringify(shown)}, its winner wrote ${JSON.stringify(winner.value)}`,
      );
  }
  const ledgerByDot = new Map<string, LostWrite>(ledger.map((l) => [dot(l), l]));
  if (ledgerByDot.size !== ledger.length) fail(`${name}: the ledger lists a write twice`);
  for (const write of writes) {
    const winner = winners.get(write.field) as LedgerWrite;
    const covered = writes.some(
      (other) =>
        other !== write && other.field === write.field && (other.vector[write.replica] ?? 0) >= write.counter,
    );
    const listed = ledgerByDot.get(dot(write));
    const isWinner = write === winner;
    if (isWinner || covered) {
      if (listed)
        fail(
          `${name}: ledger lists ${dot(write)} on ${write.field}, which ${isWinner ? 'won' : 'was knowingly overwritten'}`,
        );
      continue;
    }
    if (!listed) {
      fail(
        `${name}: write ${dot(write)} on ${write.field} (${JSON.stringify(write.value)}) is neither shown, overwritten, nor in the ledger`,
      );
    } else {
      const reason = (write.vector[winner.replica] ?? 0) >= winner.counter ? 'clock-skew' : 'concurrent';
      if (dot(listed.overwrittenBy) !== dot(winner) || listed.reason !== reason) {
        fail(
          `${name}: ledger entry for ${dot(write)} says ${JSON.stringify(listed)}, expected lost to ${dot(winner)} (${reason})`,
        );
      }
    }
  }
  for (const entry of ledger)
    if (!byDot.has(dot(entry))) fail(`${name}: ledger lists unknown write ${dot(entry)}`);
}
