/**
 * The replica runtime's own overhead per intent, in CPU time: the same intents applied to a bare converge
 * engine and through a replica hosting only that engine (memory store, no peers, compaction on as in the
 * app); the difference is what the runtime adds (validation, fan-out planning, undo history, the store
 * record and its checksum, compaction, the promise `apply` returns, and the garbage all of it leaves).
 *
 * How it stays honest:
 * - CPU time of the process (user + system), not wall time: on a shared machine wall time lands on
 *   whichever code the scheduler interrupts. It includes the garbage collector's threads, so the
 *   garbage each side leaves is charged to it.
 * - Both sides do the same validation work. By default (`typed`) each intent is made per edit by trusted
 *   code through the schema's typed text intents (`WORKSPACE.insertText`/`deleteText`: the rules checked,
 *   no zod), as an editor hands its changes over, on both sides: the engine's time is its own work, not a
 *   parse. With `parsed` (how it was measured before issue 19's sixth pass) each side gets the plain
 *   intent: a bare engine validates it itself (zod), the replica once at its boundary and the engine
 *   looks the result up.
 * - Warm: one process runs `rounds` rounds, each a fresh engine and a fresh replica over every intent,
 *   alternating which goes first; the first round is dropped, and the overhead is the median of the
 *   per-round ratios (a ratio of two passes a few hundred ms apart, so the machine's drifting speed
 *   cancels out).
 * - Compaction (every engine's whole state saved every `compactAfter` updates) is the runtime's too, and
 *   counted; a third side per round, a replica that never compacts, tells its share apart.
 * - Cold: the first pass of a fresh process, one process per side, alternating (`coldPass` runs in the
 *   child); a side measured second in one process would find the engine's code already compiled.
 */
import { VirtualClock } from '@converge/protocol';
import {
  ENGINES,
  type EngineName,
  type Intent,
  MemoryStore,
  Replica,
  SimNetwork,
  WORKSPACE,
} from '@converge/replica';
import type { SequentialWorkload } from './workload.ts';

export type OverheadSide = 'bare' | 'replica';

/**
 * How each side gets its intents: `typed`, made per edit by the schema's typed text intents (trusted
 * code, no zod, on both sides); `parsed`, the plain intent, which each side validates with zod.
 */
export type IntentPath = 'typed' | 'parsed';

/** The intent handed over for `intent`: itself, or the typed text intent made from it (see IntentPath). */
function handOver(intent: Intent, path: IntentPath): Intent {
  if (path === 'parsed') return intent;
  return intent.op === 'text.insert'
    ? WORKSPACE.insertText('text', intent.pos, intent.text)
    : intent.op === 'text.delete'
      ? WORKSPACE.deleteText('text', intent.pos, intent.len)
      : intent;
}

/** CPU time of this process in ms (user + system): unlike wall time, other processes' load leaves it be. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export function intentsOf(workload: SequentialWorkload, edits: number): Intent[] {
  const intents: Intent[] = [];
  for (const [pos, deleted, inserted] of workload.patches.slice(0, edits)) {
    if (deleted > 0) intents.push({ op: 'text.delete', pos, len: deleted } as Intent);
    if (inserted.length > 0) intents.push({ op: 'text.insert', pos, text: inserted } as Intent);
  }
  return intents;
}

const identities = (): (() => number) => {
  let n = 0;
  return () => (0x9e3779b9 * ++n) >>> 0;
};

/** CPU ms of one fresh bare engine applying every intent. */
export function barePass(intents: readonly Intent[], name = 'converge', path: IntentPath = 'typed'): number {
  const engine = ENGINES.create(name as EngineName, {
    replicaId: 'bench',
    now: () => 1_700_000_000_000,
    randomUint32: identities(),
  });
  const started = cpuMs();
  for (const intent of intents) engine.apply(handOver(intent, path));
  const ms = cpuMs() - started;
  engine.close();
  return ms;
}

/**
 * CPU ms of one fresh replica hosting only the converge engine applying every intent, one `await` each;
 * with `compactAfter: 0` it never compacts (to tell compaction's share from the per-intent work).
 */
export async function replicaPass(
  intents: readonly Intent[],
  compactAfter?: number,
  path: IntentPath = 'typed',
): Promise<number> {
  const timers = new VirtualClock(1_700_000_000_000);
  const net = new SimNetwork({ timers, seed: 1 });
  const replica = await Replica.open({
    id: 'bench',
    transport: net.transport('bench'),
    store: new MemoryStore(),
    engines: ENGINES.only(['converge']),
    timers,
    antiEntropyMs: 0,
    randomUint32: identities(),
    ...(compactAfter === undefined ? {} : { compactAfter }),
  });
  const started = cpuMs();
  for (const intent of intents) {
    await replica.apply(handOver(intent, path));
    timers.advance(1);
  }
  const ms = cpuMs() - started;
  await replica.close();
  return ms;
}

export function pass(
  side: OverheadSide,
  intents: readonly Intent[],
  path: IntentPath = 'typed',
): Promise<number> {
  return side === 'bare'
    ? Promise.resolve(barePass(intents, 'converge', path))
    : replicaPass(intents, undefined, path);
}

export interface OverheadFigures {
  /** Median CPU ms of the bare converge engine's passes. */
  readonly bareMs: number;
  /** Median CPU ms of the replica's passes. */
  readonly replicaMs: number;
  /** (replica − bare) / bare: the median of the per-pair ratios. */
  readonly overhead: number;
  readonly pairs: number;
}

export interface OverheadResult {
  readonly edits: number;
  /** How the intents were handed over (see IntentPath). */
  readonly path: IntentPath;
  readonly intents: number;
  /** CPU ms of each engine alone, applying the same intents directly (no replica), one pass each. */
  readonly bareEngineCpuMs: Readonly<Record<string, number>>;
  readonly warm: OverheadFigures;
  /** Warm, the replica never compacting (same rounds): the per-intent work without compaction's share. */
  readonly warmWithoutCompaction: OverheadFigures;
  /** Fresh processes' first passes (absent when not measured). */
  readonly cold?: OverheadFigures | undefined;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Figures from paired passes (bare, replica). */
export function figures(pairs: readonly (readonly [number, number])[]): OverheadFigures {
  return {
    bareMs: median(pairs.map(([bare]) => bare)),
    replicaMs: median(pairs.map(([, replica]) => replica)),
    overhead: median(pairs.map(([bare, replica]) => (replica - bare) / bare)),
    pairs: pairs.length,
  };
}

/**
 * Warm figures: `rounds` rounds in this process (the first dropped), each a bare pass and a replica pass,
 * alternating which goes first; then each engine alone once, for the per-edit table.
 */
export async function measureOverhead(
  workload: SequentialWorkload,
  edits: number,
  rounds = 6,
  cold?: OverheadFigures,
  path: IntentPath = 'typed',
): Promise<OverheadResult> {
  const intents = intentsOf(workload, edits);
  const pairs: [number, number][] = [];
  const withoutCompaction: [number, number][] = [];
  for (let round = 0; round < Math.max(2, rounds); round++) {
    let bare: number;
    let replica: number;
    let uncompacted: number;
    if (round % 2 === 0) {
      bare = barePass(intents, 'converge', path);
      replica = await replicaPass(intents, undefined, path);
      uncompacted = await replicaPass(intents, 0, path);
    } else {
      uncompacted = await replicaPass(intents, 0, path);
      replica = await replicaPass(intents, undefined, path);
      bare = barePass(intents, 'converge', path);
    }
    if (round === 0) continue;
    pairs.push([bare, replica]);
    withoutCompaction.push([bare, uncompacted]);
  }
  const bareEngineCpuMs: Record<string, number> = {};
  await ENGINES.loadAll(); // a bare engine is built synchronously: its code first
  for (const name of ENGINES.names) bareEngineCpuMs[name] = barePass(intents, name, path);
  return {
    edits,
    path,
    intents: intents.length,
    bareEngineCpuMs,
    warm: figures(pairs),
    warmWithoutCompaction: figures(withoutCompaction),
    cold,
  };
}

export function overheadTable(result: OverheadResult): string {
  const perEdit = (ms: number): string => ((ms * 1000) / result.edits).toFixed(2);
  const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const rows = (label: string, f: OverheadFigures): string[] => [
    `| ${label}: the converge engine alone | ${f.bareMs.toFixed(0)} | ${perEdit(f.bareMs)} |`,
    `| ${label}: a replica hosting only converge | ${f.replicaMs.toFixed(0)} | ${perEdit(f.replicaMs)} |`,
  ];
  return [
    `CPU time (not wall time) of the same ${result.edits.toLocaleString('en-US')} edits (${result.intents.toLocaleString('en-US')} intents, ${result.path}); medians:`,
    '',
    '| applied to | CPU ms | µs per edit |',
    '| --- | ---: | ---: |',
    ...Object.entries(result.bareEngineCpuMs).map(
      ([name, ms]) => `| the ${name} engine alone (one pass) | ${ms.toFixed(0)} | ${perEdit(ms)} |`,
    ),
    ...rows(`warm (${result.warm.pairs} pairs)`, result.warm),
    `| warm: a replica hosting only converge, never compacting | ${result.warmWithoutCompaction.replicaMs.toFixed(0)} | ${perEdit(result.warmWithoutCompaction.replicaMs)} |`,
    ...(result.cold === undefined ? [] : rows(`cold (${result.cold.pairs} process pairs)`, result.cold)),
    '',
    `Runtime overhead (median of per-pair ratios): warm ${percent(result.warm.overhead)}` +
      (result.cold === undefined ? '' : `, cold ${percent(result.cold.overhead)}`) +
      ` of the converge engine's own time (target ≤ 10%); warm without compaction ${percent(result.warmWithoutCompaction.overhead)}.`,
  ].join('\n');
}
