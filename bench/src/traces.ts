import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ConcurrentTxn, Patch, SequentialWorkload, Workload } from './workload.ts';

/**
 * Editing traces in josephg/editing-traces' JSON format (gzipped or not); see
 * ../shared/traces/README.md. Loading validates the shape and reports what is wrong with the file.
 */

/** ../shared/traces next to the repository root, if it exists. */
export function defaultTracesDir(repoRoot: string): string | null {
  const dir = resolve(repoRoot, '../shared/traces');
  return existsSync(dir) ? dir : null;
}

/**
 * The trace a command line names: `--trace FILE` relative to where npm was run, else automerge-paper in
 * ../shared/traces; null when neither is there.
 */
export function traceArgument(trace: string | undefined): string | null {
  if (trace !== undefined) return resolve(process.env.INIT_CWD ?? process.cwd(), trace);
  const dir = defaultTracesDir(resolve(import.meta.dirname, '../..'));
  return dir === null ? null : join(dir, 'automerge-paper.json.gz');
}

/** What a command line that replays one sequential trace asked for, or why it cannot run. */
/** A request whose trace was read and is sequential. */
export type SequentialTraceRequestOk = Extract<SequentialTraceRequest, { readonly ok: true }>;

export type SequentialTraceRequest =
  | {
      readonly ok: true;
      readonly file: string;
      readonly workload: SequentialWorkload;
      readonly count: number | undefined;
    }
  | { readonly ok: false; readonly message: string; readonly showUsage: boolean };

/**
 * `--trace FILE` (see traceArgument) plus one optional positive-integer option (`--edits`, `--runs`),
 * checked in the order the commands report them: no trace, a bad count, then a trace that is not
 * sequential (which needs no usage text).
 */
export function sequentialTraceRequest(
  trace: string | undefined,
  option: { readonly flag: string; readonly value: string | undefined },
): SequentialTraceRequest {
  const file = traceArgument(trace);
  if (file === null)
    return {
      ok: false,
      message: 'no trace: give --trace FILE (../shared/traces is missing)',
      showUsage: true,
    };
  const count = option.value === undefined ? undefined : Number(option.value);
  if (count !== undefined && !(Number.isInteger(count) && count > 0))
    return {
      ok: false,
      message: `${option.flag} needs a positive integer, got ${option.value}`,
      showUsage: true,
    };
  const workload = loadTrace(file);
  if (workload.kind !== 'sequential')
    return { ok: false, message: `${file}: not a sequential trace`, showUsage: false };
  return { ok: true, file, workload, count };
}

/** Trace files in `dir`: *.json.gz and *.json, sorted by name. */
export function listTraceFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json.gz') || name.endsWith('.json'))
    .sort()
    .map((name) => join(dir, name));
}

/** Workload name of a trace file: its file name without .json(.gz). */
export function traceName(file: string): string {
  return basename(file).replace(/\.json(\.gz)?$/, '');
}

export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
}

export function loadTrace(file: string): Workload {
  const raw = readFileSync(file);
  const text = file.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TraceFormatError(`${file}: not JSON (${(error as Error).message})`);
  }
  return parseTrace(traceName(file), json);
}

/** Validate a parsed trace and turn it into a workload. */
export function parseTrace(name: string, json: unknown): Workload {
  const fail = (why: string): never => {
    throw new TraceFormatError(`trace ${name}: ${why}`);
  };
  if (typeof json !== 'object' || json === null) fail('not an object');
  const trace = json as Record<string, unknown>;
  if (typeof trace.endContent !== 'string') fail('endContent is not a string');
  if (!Array.isArray(trace.txns)) fail('txns is not an array');
  const txns = trace.txns as unknown[];
  const patchesOf = (txn: unknown, i: number): Patch[] => {
    const patches = (txn as { patches?: unknown }).patches;
    if (!Array.isArray(patches)) fail(`txn ${i} has no patches array`);
    return (patches as unknown[]).map((p, k) => {
      if (
        !Array.isArray(p) ||
        p.length !== 3 ||
        !Number.isSafeInteger(p[0]) ||
        !Number.isSafeInteger(p[1]) ||
        p[0] < 0 ||
        p[1] < 0 ||
        typeof p[2] !== 'string'
      ) {
        fail(`txn ${i} patch ${k} is not [position, deleted, inserted]`);
      }
      return p as unknown as Patch;
    });
  };
  if (trace.kind === 'concurrent') {
    const agents = trace.numAgents;
    if (!Number.isSafeInteger(agents) || (agents as number) < 1) fail('numAgents is not a positive integer');
    const parsed: ConcurrentTxn[] = txns.map((txn, i) => {
      const t = txn as { parents?: unknown; agent?: unknown };
      if (!Array.isArray(t.parents) || !t.parents.every((p) => Number.isSafeInteger(p) && p >= 0 && p < i)) {
        fail(`txn ${i} parents must be indexes of earlier txns`);
      }
      if (
        !Number.isSafeInteger(t.agent) ||
        (t.agent as number) < 0 ||
        (t.agent as number) >= (agents as number)
      ) {
        fail(`txn ${i} agent out of range`);
      }
      return { parents: t.parents as number[], agent: t.agent as number, patches: patchesOf(txn, i) };
    });
    return {
      kind: 'concurrent',
      name,
      agents: agents as number,
      txns: parsed,
      endContent: trace.endContent as string,
      agentTexts: null,
    };
  }
  const patches: Patch[] = [];
  txns.forEach((txn, i) => {
    for (const patch of patchesOf(txn, i)) patches.push(patch);
  });
  return { kind: 'sequential', name, patches, endContent: trace.endContent as string };
}
