import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINE_NAMES, type EngineName, isEngineName } from './engines/types.ts';
import { isSyntheticName, SYNTHETIC_NAMES, type SyntheticName } from './synthetic.ts';

export interface Options {
  /** Folder of trace files; null = no folder (only --trace files, if any). */
  tracesDir: string | null;
  /** Extra trace files given with --trace. */
  traceFiles: string[];
  synthetic: SyntheticName[];
  syntheticSize: number;
  seed: number;
  /** Only workloads with these names (null = all). */
  workloads: string[] | null;
  engines: EngineName[];
  runs: number;
  json: boolean;
  out: string | null;
  timeoutSeconds: number;
  help: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage: npm run bench -- [options]

  --traces DIR       trace folder (default: ../shared/traces next to the repository, if present)
  --trace FILE       benchmark this trace file (repeatable; with --trace alone no folder is scanned)
  --no-traces        no trace workloads
  --synthetic LIST   synthetic workloads: all (default), none, or names from:
                     ${SYNTHETIC_NAMES.join(', ')}
  --size N           synthetic workload size (default 6000)
  --seed N           synthetic workload seed (default 1)
  --workloads LIST   only these workloads (names as printed)
  --engines LIST     engines to run (default ${ENGINE_NAMES.join(',')})
  --runs N           runs per measurement; figures are medians (default 3)
  --json             print a JSON array instead of the Markdown table
  --out DIR          also write results.json, results.md and chart.svg there
  --timeout SECONDS  per worker process (default 900)
  --help             this text`;

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function positiveInt(flag: string, value: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < (allowZero ? 0 : 1))
    throw new UsageError(`${flag} needs a positive integer, got "${value}"`);
  return n;
}

/**
 * Parse the command line; `defaultTracesDir` is used unless --traces, --trace or --no-traces says otherwise.
 * Relative paths are resolved against `baseDir`: the directory the user ran `npm run bench` in, not the
 * workspace folder npm switches to.
 */
export function parseOptions(
  argv: readonly string[],
  defaultTracesDir: string | null,
  baseDir: string = process.cwd(),
): Options {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        traces: { type: 'string' },
        trace: { type: 'string', multiple: true },
        'no-traces': { type: 'boolean' },
        synthetic: { type: 'string' },
        size: { type: 'string' },
        seed: { type: 'string' },
        workloads: { type: 'string' },
        engines: { type: 'string' },
        runs: { type: 'string' },
        json: { type: 'boolean' },
        out: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const traceFiles = ((v.trace as string[] | undefined) ?? []).map((file) => resolve(baseDir, file));
  let tracesDir: string | null = defaultTracesDir;
  if (v['no-traces'] === true) tracesDir = null;
  else if (typeof v.traces === 'string') tracesDir = resolve(baseDir, v.traces);
  else if (traceFiles.length > 0) tracesDir = null;

  let synthetic: SyntheticName[] = [...SYNTHETIC_NAMES];
  if (typeof v.synthetic === 'string') {
    const names = list(v.synthetic);
    if (names.length === 1 && names[0] === 'none') synthetic = [];
    else if (!(names.length === 1 && names[0] === 'all')) {
      for (const name of names)
        if (!isSyntheticName(name)) throw new UsageError(`unknown synthetic workload "${name}"`);
      synthetic = names as SyntheticName[];
    }
  }

  let engines: EngineName[] = [...ENGINE_NAMES];
  if (typeof v.engines === 'string') {
    const names = list(v.engines);
    for (const name of names)
      if (!isEngineName(name))
        throw new UsageError(`unknown engine "${name}" (engines: ${ENGINE_NAMES.join(', ')})`);
    if (names.length === 0) throw new UsageError('--engines needs at least one engine');
    engines = [...new Set(names)] as EngineName[];
  }

  return {
    tracesDir,
    traceFiles,
    synthetic,
    syntheticSize: typeof v.size === 'string' ? positiveInt('--size', v.size) : 6000,
    seed: typeof v.seed === 'string' ? positiveInt('--seed', v.seed, true) : 1,
    workloads: typeof v.workloads === 'string' ? list(v.workloads) : null,
    engines,
    runs: typeof v.runs === 'string' ? positiveInt('--runs', v.runs) : 3,
    json: v.json === true,
    out: typeof v.out === 'string' ? resolve(baseDir, v.out) : null,
    timeoutSeconds: typeof v.timeout === 'string' ? positiveInt('--timeout', v.timeout) : 900,
    help: v.help === true,
  };
}
