/**
 * The replica runtime on a real trace: every patch of a sequential trace becomes one text intent applied
 * through a `Replica` hosting every engine (memory store, no peers), as typing in the app does. Each
 * engine's own time (its methods, minus the runtime's listeners they call back) is measured apart from
 * the runtime's (validation, alignment, mirrors' bookkeeping outside engines, store records, events), so
 * the runtime's overhead can be set against the converge engine's time.
 */
import { VirtualClock } from '@converge/protocol';
import {
  ENGINES,
  type Engine,
  type EngineDescriptor,
  type EngineName,
  EngineRegistry,
  type Intent,
  MemoryStore,
  Replica,
  SimNetwork,
} from '@converge/replica';
import type { SequentialWorkload } from './workload.ts';

export interface ReplicaReplayResult {
  readonly trace: string;
  readonly edits: number;
  /** Wall time of the whole replay (every `await replica.apply`). */
  readonly totalMs: number;
  /** Time inside each engine. */
  readonly engineMs: Readonly<Record<string, number>>;
  /** Everything else: the runtime's own work. */
  readonly runtimeMs: number;
  /** runtimeMs / engineMs.converge. */
  readonly overheadOfConverge: number;
  /** Whether every engine ended with the trace's text, and every engine's digest agreed. */
  readonly textsMatch: boolean;
  readonly digestsAgree: boolean;
}

/** Attributes wall time to the engine whose method is running, and back to the runtime in its callbacks. */
export class Attribution {
  readonly engineMs = new Map<string, number>();
  private current: { name: string; since: number } | null = null;

  inEngine<T>(name: string, call: () => T): T {
    const outer = this.pause();
    this.current = { name, since: performance.now() };
    try {
      return call();
    } finally {
      this.pause();
      this.resume(outer);
    }
  }

  inRuntime<T>(call: () => T): T {
    const outer = this.pause();
    try {
      return call();
    } finally {
      this.resume(outer);
    }
  }

  private pause(): { name: string } | null {
    const current = this.current;
    if (current === null) return null;
    this.engineMs.set(
      current.name,
      (this.engineMs.get(current.name) ?? 0) + performance.now() - current.since,
    );
    this.current = null;
    return current;
  }

  private resume(outer: { name: string } | null): void {
    this.current = outer === null ? null : { name: outer.name, since: performance.now() };
  }
}

const CALLBACK_METHODS = new Set(['onChange', 'onTextChange']);

/** The engine, every method timed as its own; the listeners it calls timed as the runtime's. */
function timedEngine(engine: Engine, clock: Attribution): Engine {
  return new Proxy(engine, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const name = target.name;
      if (property === 'openSession') {
        // A session's work (taking in a peer's payloads, answering) is the engine's; what it sends, the runtime's.
        return (peer: string, send: (payload: Uint8Array) => void) =>
          timedObject(
            name,
            clock.inEngine(name, () =>
              value.call(target, peer, (payload: Uint8Array) => clock.inRuntime(() => send(payload))),
            ),
            clock,
          );
      }
      if (CALLBACK_METHODS.has(String(property))) {
        return (listener: (arg: unknown) => void) =>
          clock.inEngine(name, () =>
            value.call(target, (arg: unknown) => clock.inRuntime(() => listener(arg))),
          );
      }
      return (...args: unknown[]) => clock.inEngine(name, () => value.apply(target, args));
    },
  });
}

/** Every method of `object` timed as the engine's. */
function timedObject<T extends object>(name: string, object: T, clock: Attribution): T {
  return new Proxy(object, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => clock.inEngine(name, () => value.apply(target, args));
    },
  });
}

export function timedRegistry(clock: Attribution): EngineRegistry {
  return new EngineRegistry(
    ENGINES.descriptors.map(
      (descriptor): EngineDescriptor => ({
        ...descriptor,
        create: (context) => {
          // What an engine defers (Automerge's batched apply) is its own work too.
          const { defer } = context;
          const timed =
            defer === undefined
              ? context
              : {
                  ...context,
                  defer: (callback: () => void, delayMs?: number) =>
                    defer(() => clock.inEngine(descriptor.name, callback), delayMs),
                };
          return timedEngine(descriptor.create(timed), clock);
        },
      }),
    ),
  );
}

/** Replay `edits` patches of `workload` (all by default) through a replica hosting every engine. */
export async function replayThroughReplica(
  workload: SequentialWorkload,
  edits = workload.patches.length,
  onProgress: (done: number) => void = () => {},
): Promise<ReplicaReplayResult> {
  const clock = new Attribution();
  const timers = new VirtualClock(1_700_000_000_000);
  const net = new SimNetwork({ timers, seed: 1 });
  let identities = 0;
  const replica = await Replica.open({
    id: 'bench',
    transport: net.transport('bench'),
    store: new MemoryStore(),
    engines: timedRegistry(clock),
    timers,
    antiEntropyMs: 0,
    randomUint32: () => (0x9e3779b9 * ++identities) >>> 0,
  });
  const patches = workload.patches.slice(0, edits);
  clock.engineMs.clear();
  const started = performance.now();
  for (const [index, [pos, deleted, inserted]] of patches.entries()) {
    if (deleted > 0) await replica.apply({ op: 'text.delete', pos, len: deleted } as Intent);
    if (inserted.length > 0) await replica.apply({ op: 'text.insert', pos, text: inserted } as Intent);
    timers.advance(1);
    if (index % 10_000 === 0) onProgress(index);
  }
  const totalMs = performance.now() - started;
  const expected = edits === workload.patches.length ? workload.endContent : undefined;
  const names = replica.engineNames as EngineName[];
  const texts = names.map((name) => replica.textSlice(name));
  const digests = new Set(names.map((name) => replica.digest(name)));
  await replica.close();
  const engineMs = Object.fromEntries(names.map((name) => [name, clock.engineMs.get(name) ?? 0]));
  const inEngines = Object.values(engineMs).reduce((n, ms) => n + ms, 0);
  const runtimeMs = totalMs - inEngines;
  return {
    trace: workload.name,
    edits: patches.length,
    totalMs,
    engineMs,
    runtimeMs,
    overheadOfConverge: runtimeMs / (engineMs.converge ?? Number.NaN),
    textsMatch: texts.every((text) => (expected === undefined ? text === texts[0] : text === expected)),
    digestsAgree: digests.size === 1,
  };
}

/** A Markdown table of a result (per-edit costs in µs). */
export function replicaReplayTable(result: ReplicaReplayResult): string {
  const perEdit = (ms: number): string => ((ms * 1000) / result.edits).toFixed(2);
  const rows = Object.entries(result.engineMs).map(
    ([name, ms]) => `| ${name} | ${ms.toFixed(0)} | ${perEdit(ms)} |`,
  );
  return [
    `Trace ${result.trace}, ${result.edits.toLocaleString('en-US')} edits through one replica hosting every engine.`,
    '',
    '| where the time goes | total ms | µs per edit |',
    '| --- | ---: | ---: |',
    ...rows,
    `| the runtime itself | ${result.runtimeMs.toFixed(0)} | ${perEdit(result.runtimeMs)} |`,
    `| all | ${result.totalMs.toFixed(0)} | ${perEdit(result.totalMs)} |`,
    '',
    `Runtime overhead: ${(result.overheadOfConverge * 100).toFixed(1)}% of the converge engine's time` +
      ` (target ≤ 10%). Final texts ${result.textsMatch ? 'match the trace' : 'DO NOT match the trace'};` +
      ` digests ${result.digestsAgree ? 'agree across engines' : 'DISAGREE across engines'}.`,
  ].join('\n');
}

export interface KeystrokeBytes {
  readonly textBytes: number;
  readonly keystrokes: number;
  /** Per engine: bytes the typing replica sent on the engine's channel (sync and digests) per keystroke. */
  readonly wire: Readonly<Record<string, number>>;
  /** Per engine: bytes of its updates the store appended per keystroke. */
  readonly store: Readonly<Record<string, number>>;
}

/**
 * Two replicas sharing a text of `textBytes`; one types `keystrokes` characters, one every 150 ms
 * (digest announcements included, as a user typing sees them), and what that cost on the wire and in
 * the store is counted per engine.
 */
export async function measureKeystrokeBytes(textBytes = 150_000, keystrokes = 50): Promise<KeystrokeBytes> {
  const timers = new VirtualClock(1_700_000_000_000);
  const net = new SimNetwork({ timers, seed: 2 });
  let identities = 0;
  const stored = new Map<string, number>();
  const store = new MemoryStore();
  const append = store.append.bind(store);
  store.append = (record) => {
    if (record.kind === 'intent')
      for (const { engine, update } of record.updates)
        stored.set(engine, (stored.get(engine) ?? 0) + update.length);
    return append(record);
  };
  const open = (id: string, s = new MemoryStore()) =>
    Replica.open({
      id,
      transport: net.transport(id),
      store: s,
      engines: ENGINES,
      timers,
      randomUint32: () => (0x9e3779b9 * ++identities) >>> 0,
    });
  const typist = await open('r-typist1', store);
  const reader = await open('r-reader1');
  const paragraph = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ';
  await typist.apply({
    op: 'text.insert',
    pos: 0,
    text: paragraph.repeat(Math.ceil(textBytes / paragraph.length)),
  });
  timers.advance(30_000);
  const before = new Map(typist.engineNames.map((name) => [name, typist.trafficOf(name).bytesSent]));
  stored.clear();
  for (let k = 0; k < keystrokes; k++) {
    await typist.apply({ op: 'text.insert', pos: 1000 + k, text: 'x' });
    timers.advance(150);
  }
  timers.advance(1_000);
  const wire: Record<string, number> = {};
  const storeBytes: Record<string, number> = {};
  for (const name of typist.engineNames) {
    wire[name] = (typist.trafficOf(name).bytesSent - (before.get(name) ?? 0)) / keystrokes;
    storeBytes[name] = (stored.get(name) ?? 0) / keystrokes;
    if (reader.digest(name) !== typist.digest(name)) throw new Error(`${name}: the reader did not converge`);
  }
  await typist.close();
  await reader.close();
  return { textBytes, keystrokes, wire, store: storeBytes };
}

export function keystrokeBytesTable(result: KeystrokeBytes): string {
  return [
    `One keystroke in a ${Math.round(result.textBytes / 1000)} KB text, two replicas, ${result.keystrokes} keystrokes 150 ms apart:`,
    '',
    '| engine | wire bytes per keystroke (sync + digests) | store bytes per keystroke |',
    '| --- | ---: | ---: |',
    ...Object.keys(result.wire).map(
      (name) => `| ${name} | ${result.wire[name]?.toFixed(0)} | ${result.store[name]?.toFixed(0)} |`,
    ),
  ].join('\n');
}
