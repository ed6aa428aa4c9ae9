/**
 * Typing into a large text shared by three replicas (issue 19's windows, headless): the real `Replica`
 * runtime hosting every engine, on the in-process network with real timers, one replica typing a
 * character every `intervalMs`. Per engine it reports how long each receiver spent inside the engine
 * (applying, syncing, digests), the bytes every replica put on the wire per keystroke (each frame counted
 * once per peer it went to, as the relay and the app count), and how long after the last keystroke every
 * replica's digest agreed.
 *
 * All three replicas share one thread here, so a receiver's slow apply also delays the typist and the
 * other receiver: harsher than three windows on two cores, and the same for every engine.
 */

import { realTimers } from '@converge/protocol';
import { type Backpressure, type EngineRegistry, MemoryStore, Replica, SimNetwork } from '@converge/replica';
import { Attribution, timedRegistry } from './replica-replay.ts';
import { WireTap, wireSince } from './wire-tap.ts';

export interface SyncBenchOptions {
  readonly textBytes: number;
  readonly keystrokes: number;
  /** Time between keystrokes (a human typist: 150 ms). */
  readonly intervalMs: number;
  /** How long to wait for convergence (seeding, and after the last keystroke). */
  readonly timeoutMs: number;
  /** Slow consumers, like the relay's backpressure rule (default: none). */
  readonly backpressure?: Backpressure;
}

export interface SyncBenchEngineResult {
  /** Per receiver: ms inside the engine while the keystrokes were typed and synced (until convergence). */
  readonly receiverMs: readonly number[];
  /** The typist's ms inside the engine over the same span. */
  readonly typistMs: number;
  /** Bytes on the engine's channel (sync and digests) from every replica, per keystroke. */
  readonly wireBytesPerKeystroke: number;
  /** Bytes on the engine's channel from the typist alone, per keystroke. */
  readonly typistBytesPerKeystroke: number;
  /**
   * The typist's whole relay frames (header included) per keystroke, each frame once whatever the number
   * of recipients: what `bench:app` counts.
   */
  readonly typistFrameBytesPerKeystroke: number;
  /** The typist's frames by addressing and kind: frames sent, and frame bytes per keystroke. */
  readonly typistBreakdown: Readonly<Record<string, { frames: number; bytesPerKeystroke: number }>>;
  /** ms from the last keystroke until every replica's digest agreed; null: not within the timeout. */
  readonly convergedMs: number | null;
}

export interface SyncBenchResult {
  readonly textBytes: number;
  readonly keystrokes: number;
  readonly intervalMs: number;
  /** How long typing took (longer than keystrokes × interval when the thread was busy). */
  readonly typingMs: number;
  readonly seedConvergedMs: number | null;
  /** Frames the network dropped for backpressure while typing. */
  readonly droppedFrames: number;
  readonly engines: Readonly<Record<string, SyncBenchEngineResult>>;
}

const PARAGRAPH =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. ';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runSyncBench(options: SyncBenchOptions): Promise<SyncBenchResult> {
  const net = new SimNetwork({ timers: realTimers, seed: 7, latencyMs: 1 });
  let identities = 0;
  const ids = ['r-typist', 'r-reader1', 'r-reader2'];
  const clocks = ids.map(() => new Attribution());
  const registries = clocks.map((clock) => timedRegistry(clock));
  const tap = new WireTap(registries[0] as EngineRegistry);
  const replicas = await Promise.all(
    ids.map((id, i) =>
      Replica.open({
        id,
        transport: i === 0 ? tap.wrap(net.transport(id)) : net.transport(id),
        store: new MemoryStore(),
        engines: registries[i] as EngineRegistry,
        timers: realTimers,
        randomUint32: () => (0x9e3779b9 * ++identities) >>> 0,
      }),
    ),
  );
  const [typist] = replicas as [Replica, ...Replica[]];
  const names = [...typist.engineNames];
  const agreed = (name: string): boolean => {
    const digest = typist.digest(name as never);
    return replicas.every((r) => r.digest(name as never) === digest);
  };
  /** Waits until `pending` is empty, recording when each engine agreed; returns the time of the last. */
  const waitForAgreement = async (since: number): Promise<Map<string, number | null>> => {
    const at = new Map<string, number | null>();
    while (at.size < names.length) {
      for (const name of names) if (!at.has(name) && agreed(name)) at.set(name, performance.now() - since);
      if (performance.now() - since > options.timeoutMs) {
        for (const name of names) if (!at.has(name)) at.set(name, null);
        break;
      }
      await sleep(10);
    }
    return at;
  };
  try {
    const text = PARAGRAPH.repeat(Math.ceil(options.textBytes / PARAGRAPH.length)).slice(
      0,
      options.textBytes,
    );
    const seeded = performance.now();
    await typist.apply({ op: 'text.insert', pos: 0, text });
    const seedAgreement = await waitForAgreement(seeded);
    const seedTimes = [...seedAgreement.values()];
    const seedConvergedMs = seedTimes.includes(null) ? null : Math.max(...(seedTimes as number[]));
    // Let the seeding's anti-entropy and digest rounds settle before counting.
    await sleep(2_500);
    net.setBackpressure(options.backpressure);
    const droppedBefore = net.stats().backpressure;
    const bytesBefore = replicas.map((r) => names.map((name) => r.trafficOf(name as never).bytesSent));
    const wireBefore = tap.snapshot();
    for (const clock of clocks) clock.engineMs.clear();
    const started = performance.now();
    for (let k = 0; k < options.keystrokes; k++) {
      const next = started + (k + 1) * options.intervalMs;
      await typist.apply({ op: 'text.insert', pos: Math.floor(options.textBytes / 2) + k, text: 'x' });
      await sleep(Math.max(0, next - performance.now()));
    }
    const lastKeystroke = performance.now();
    const agreement = await waitForAgreement(lastKeystroke);
    // Anti-entropy and digest rounds after agreement are part of a keystroke's cost too: one more round.
    await sleep(2_500);
    const wire = wireSince(wireBefore, tap.snapshot());
    const engines: Record<string, SyncBenchEngineResult> = {};
    names.forEach((name, e) => {
      const kinds = Object.entries(wire[name] ?? {}).sort(([a], [b]) => a.localeCompare(b));
      const sent = replicas.map((r, i) => r.trafficOf(name as never).bytesSent - (bytesBefore[i]?.[e] ?? 0));
      engines[name] = {
        receiverMs: clocks.slice(1).map((clock) => clock.engineMs.get(name) ?? 0),
        typistMs: clocks[0]?.engineMs.get(name) ?? 0,
        wireBytesPerKeystroke: sent.reduce((n, b) => n + b, 0) / options.keystrokes,
        typistBytesPerKeystroke: (sent[0] ?? 0) / options.keystrokes,
        typistFrameBytesPerKeystroke: kinds.reduce((n, [, c]) => n + c.bytes, 0) / options.keystrokes,
        typistBreakdown: Object.fromEntries(
          kinds.map(([kind, c]) => [
            kind,
            { frames: c.frames, bytesPerKeystroke: c.bytes / options.keystrokes },
          ]),
        ),
        convergedMs: agreement.get(name) ?? null,
      };
    });
    return {
      textBytes: options.textBytes,
      keystrokes: options.keystrokes,
      intervalMs: options.intervalMs,
      typingMs: lastKeystroke - started,
      seedConvergedMs,
      droppedFrames: net.stats().backpressure - droppedBefore,
      engines,
    };
  } finally {
    for (const replica of replicas) await replica.close();
  }
}

/** A Markdown table of one run. */
export function syncBenchTable(result: SyncBenchResult): string {
  const ms = (n: number): string => n.toFixed(0);
  return [
    `${Math.round(result.textBytes / 1000)} KB text, three replicas, ${result.keystrokes} keystrokes every ` +
      `${result.intervalMs} ms (typing took ${ms(result.typingMs)} ms); seed converged after ` +
      `${result.seedConvergedMs === null ? 'TIMEOUT' : `${ms(result.seedConvergedMs)} ms`}; ` +
      `${result.droppedFrames} frames dropped for backpressure.`,
    '',
    '| engine | ms in engine, receiver 1 / 2 | typist ms | wire bytes per keystroke (all replicas) | typist bytes per keystroke | typist frame bytes per keystroke | converged after last keystroke |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...Object.entries(result.engines).map(
      ([name, r]) =>
        `| ${name} | ${r.receiverMs.map(ms).join(' / ')} | ${ms(r.typistMs)} | ` +
        `${r.wireBytesPerKeystroke.toFixed(0)} | ${r.typistBytesPerKeystroke.toFixed(0)} | ` +
        `${r.typistFrameBytesPerKeystroke.toFixed(0)} | ` +
        `${r.convergedMs === null ? 'not converged' : `${ms(r.convergedMs)} ms`} |`,
    ),
    '',
    "The typist's frames by addressing and kind: frame bytes per keystroke (frames sent).",
    '',
    '| engine | frames |',
    '| --- | --- |',
    ...Object.entries(result.engines).map(
      ([name, r]) =>
        `| ${name} | ${Object.entries(r.typistBreakdown)
          .map(([kind, c]) => `${kind} ${c.bytesPerKeystroke.toFixed(0)} (${c.frames})`)
          .join('; ')} |`,
    ),
  ].join('\n');
}
