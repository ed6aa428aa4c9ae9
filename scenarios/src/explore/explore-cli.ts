/**
 * `npm run scenario -- --explore [--seed N] [--runs N] [--replicas N] [--out DIR] [--engines a,b] [--json]`
 * Progress goes to stderr (a line that updates in a terminal), the summary (or the JSON result) to stdout.
 * Exit codes: 0 no bug, 1 a bug was found (or a written file did not replay its finding), 2 bad arguments.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINES, type EngineName, type EngineRegistry } from '@converge/replica';
import { parseScenarioText } from '../scenario.ts';
import { scenarioFileText } from '../scenario-text.ts';
import {
  type ExploreEvent,
  type ExploreResult,
  evaluate,
  explore,
  type Finding,
  findingName,
  showing,
} from './explorer.ts';
import { MAX_REPLICAS, MIN_REPLICAS } from './generate.ts';
import { BUG_KINDS, DIFFERENCE_KINDS } from './kinds.ts';

export const EXPLORE_USAGE = `usage: npm run -s scenario -- --explore [options]

Generates random scenarios (edits of every kind, partitions with the storage peer placed, offline
periods, clock skew, chaos, restarts), runs each in the simulation with every engine side by side,
classifies every difference between the engines' final states by kind, and shrinks one scenario of
each kind to a minimal one, written to DIR. Anything that is not a documented difference (an engine
not converging, an edit lost, a crash) is a bug: reported first, shrunk too, and the exit code is 1.

  --seed N          seed of the exploration (default: a random one, printed); the same seed, runs
                    and options give the same findings
  --runs N          scenarios to generate and run (default 100)
  --replicas N      replicas per scenario: 2 up to N (${MIN_REPLICAS}..${MAX_REPLICAS}, default 3)
  --out DIR         where the minimal scenarios go, one file per kind (default explorer-out)
  --engines LIST    the engines to run and compare, comma-separated (default: all of
                    ${ENGINES.names.join(', ')})
  --no-shrink       report the smallest scenario found for each kind without shrinking it
  --json            print the result as JSON on stdout (progress stays on stderr)
  -h, --help        print this help

Kinds of difference it knows:
${Object.entries(DIFFERENCE_KINDS)
  .map(([kind, text]) => `  ${kind.padEnd(26)}${text}`)
  .join('\n')}

Exit codes: 0 no bug found, 1 a bug was found, 2 invalid arguments.`;

interface ExploreArguments {
  readonly seed: number;
  readonly runs: number;
  readonly maxReplicas: number;
  readonly out: string;
  readonly engines: readonly EngineName[];
  readonly shrink: boolean;
  readonly json: boolean;
}

/**
 * Run the explorer from the command line; returns the exit code. `registry`: where engines come from
 * (a test plants its own).
 */
export async function exploreMain(
  argv: readonly string[],
  io: ExploreIo = processIo(),
  registry: EngineRegistry = ENGINES,
): Promise<number> {
  let args: ExploreArguments | 'help';
  try {
    args = parseExploreArgs(argv, registry);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${EXPLORE_USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    io.out(`${EXPLORE_USAGE}\n`);
    return 0;
  }
  const engines = registry.only(args.engines);
  const progress = new Progress(io, args);
  const result = await explore({
    seed: args.seed,
    runs: args.runs,
    maxReplicas: args.maxReplicas,
    engines,
    shrink: args.shrink,
    onEvent: (event) => progress.event(event),
  });
  progress.done();

  const dir = resolve(io.cwd, args.out);
  await mkdir(dir, { recursive: true });
  const written: WrittenFinding[] = [];
  for (const finding of [...result.bugs, ...result.kinds]) {
    const path = join(dir, `${findingName(finding.id)}.json`);
    await writeFile(path, scenarioFileText(finding.minimal));
    // The file must show its finding when replayed from disk, as `npm run scenario` would read it.
    const replayed = parseScenarioText(await readFile(path, 'utf8'));
    const verified = showing(await evaluate(replayed, engines), finding.id).length > 0;
    const shown = relative(io.cwd, path);
    written.push({ finding, file: shown.startsWith('..') ? path : shown, verified });
  }
  const unverified = written.filter((w) => !w.verified);
  if (args.json) io.out(`${JSON.stringify(jsonResult(result, written), null, 2)}\n`);
  else io.out(`${summary(result, written)}\n`);
  for (const w of unverified)
    io.err(`explorer: ${w.file} does not show ${findingName(w.finding.id)} when replayed\n`);
  return result.bugs.length > 0 || unverified.length > 0 ? 1 : 0;
}

export interface ExploreIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Whether stderr is a terminal (progress then updates one line). */
  readonly tty: boolean;
  /** Where relative paths start (where the user typed the command). */
  readonly cwd: string;
}

function processIo(): ExploreIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    tty: process.stderr.isTTY === true,
    // npm runs workspace scripts in the workspace folder; paths are meant relative to where the user typed.
    cwd: process.env.INIT_CWD ?? process.cwd(),
  };
}

/** `registry`: the engines `--engines` may name (default: every engine the registry offers). */
export function parseExploreArgs(
  argv: readonly string[],
  registry: EngineRegistry = ENGINES,
): ExploreArguments | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      explore: { type: 'boolean', default: false },
      seed: { type: 'string' },
      runs: { type: 'string' },
      replicas: { type: 'string' },
      out: { type: 'string' },
      engines: { type: 'string', multiple: true },
      'no-shrink': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return 'help';
  if (positionals.length > 0)
    throw new Error(`--explore takes no scenario file (got ${positionals.join(' ')})`);
  const integer = (
    name: string,
    text: string | undefined,
    fallback: number,
    min: number,
    max: number,
  ): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
    return n;
  };
  const available = registry.names;
  const engines = (values.engines ?? [available.join(',')])
    .flatMap((list) => list.split(','))
    .filter(Boolean);
  for (const name of engines) {
    if (!available.includes(name))
      throw new Error(
        `--engines: unknown engine ${JSON.stringify(name)} (available: ${available.join(', ')})`,
      );
  }
  if (engines.length === 0) throw new Error('--engines names no engine');
  if (values.out === '') throw new Error('--out needs a directory');
  return {
    seed: integer('seed', values.seed, Math.floor(Math.random() * 2 ** 31), 0, 2 ** 32 - 1),
    runs: integer('runs', values.runs, 100, 1, 1_000_000),
    maxReplicas: integer('replicas', values.replicas, 3, MIN_REPLICAS, MAX_REPLICAS),
    out: values.out ?? 'explorer-out',
    // Display order, whatever order they were named in (the first is the primary and the reference).
    engines: available.filter((name) => engines.includes(name)),
    shrink: !values['no-shrink'],
    json: values.json,
  };
}

/** Progress on stderr: runs done, kinds and bugs found, then shrinking. */
class Progress {
  private readonly started = performance.now();
  private lineOpen = false;
  private lastPrinted = 0;

  constructor(
    private readonly io: ExploreIo,
    args: ExploreArguments,
  ) {
    this.line(
      `explorer: seed ${args.seed}, ${args.runs} runs, 2..${args.maxReplicas} replicas, engines ${args.engines.join(', ')}`,
      true,
    );
  }

  event(event: ExploreEvent): void {
    switch (event.type) {
      case 'run': {
        const elapsed = (performance.now() - this.started) / 1000;
        const text = `runs ${event.done}/${event.runs} · ${event.kinds} kinds · ${event.bugs} bugs · ${(event.done / elapsed).toFixed(1)} runs/s`;
        // Not a terminal: a line every tenth of the runs.
        const step = Math.max(1, Math.floor(event.runs / 10));
        if (this.io.tty) this.line(text, false);
        else if (event.done % step === 0 || event.done === event.runs) this.line(text, true);
        return;
      }
      case 'found': {
        const name = findingName(event.finding);
        this.line(
          `${'bug' in event.finding ? 'BUG ' : 'found '}${name} in run ${event.run}: ${event.summary}`,
          true,
        );
        return;
      }
      case 'shrinking': {
        const text = `shrinking ${event.index + 1}/${event.of} ${findingName(event.finding)}: ${event.steps} steps, ${event.replicas} replicas (${event.tries} tried)`;
        if (this.io.tty) this.line(text, false);
        else if (event.tries === 0) this.line(text, true);
        return;
      }
      case 'shrunk':
        this.line(
          `shrunk ${findingName(event.finding)} to ${event.steps} steps (${event.tries} tried)`,
          true,
        );
        return;
    }
  }

  done(): void {
    if (this.lineOpen) this.io.err('\n');
    this.lineOpen = false;
  }

  /** Print a line; `keep` false: overwrite it with the next one (terminal only). */
  private line(text: string, keep: boolean): void {
    if (!this.io.tty) {
      this.io.err(`${text}\n`);
      return;
    }
    const now = performance.now();
    if (!keep && now - this.lastPrinted < 100) return;
    this.lastPrinted = now;
    this.io.err(`\r\x1b[2K${text}${keep ? '\n' : ''}`);
    this.lineOpen = !keep;
  }
}

interface WrittenFinding {
  readonly finding: Finding;
  /** Where the minimal scenario was written, relative to where the command was typed. */
  readonly file: string;
  /** Replayed from the file, it shows the finding again. */
  readonly verified: boolean;
}

function summary(result: ExploreResult, written: readonly WrittenFinding[]): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    `Explored seed ${result.seed}: ${result.runs} runs in ${seconds(result.exploreMs)} (${runsPerSecond(result)} runs/s), ` +
      `${result.invalidRuns} did not fit; shrinking took ${seconds(result.shrinkMs)}.`,
    `Engines: ${result.engines.join(', ')}. Replay a finding: npm run scenario -- FILE`,
    '',
  ];
  const table = (title: string, rows: readonly WrittenFinding[]) => {
    lines.push(title);
    const header = ['', 'runs', 'first', 'steps', 'minimal', 'replicas', 'tried', 'file'];
    const cells = rows.map((w) => [
      findingName(w.finding.id),
      String(w.finding.runs),
      String(w.finding.firstRun),
      String(w.finding.found.steps.length),
      String(w.finding.minimal.steps.length),
      String(w.finding.minimal.replicas.length),
      String(w.finding.shrinkTries),
      w.verified ? w.file : `${w.file} (DOES NOT REPLAY)`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
    const row = (c: readonly string[]) =>
      `  ${c.map((x, i) => (i === 0 || i === c.length - 1 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number))).join('  ')}`.trimEnd();
    lines.push(row(header), ...cells.map(row));
    for (const w of rows)
      lines.push(`  ${findingName(w.finding.id)}: ${w.finding.minimal.description ?? ''}`);
    lines.push('');
  };
  const bugs = written.filter((w) => 'bug' in w.finding.id);
  const kinds = written.filter((w) => 'kind' in w.finding.id);
  if (bugs.length > 0) table(`BUGS (${bugs.length}): not documented differences`, bugs);
  else lines.push('Bugs: none.', '');
  if (kinds.length > 0)
    table(`Kinds of difference (${kinds.length} of ${Object.keys(DIFFERENCE_KINDS).length} known)`, kinds);
  else lines.push('Kinds of difference: none found.');
  return lines.join('\n').trimEnd();
}

function runsPerSecond(result: ExploreResult): string {
  return (result.runs / (result.exploreMs / 1000)).toFixed(1);
}

function jsonResult(result: ExploreResult, written: readonly WrittenFinding[]) {
  const entry = (w: WrittenFinding) => ({
    ...w.finding.id,
    title: w.finding.title,
    runs: w.finding.runs,
    firstRun: w.finding.firstRun,
    foundSteps: w.finding.found.steps.length,
    steps: w.finding.minimal.steps.length,
    replicas: w.finding.minimal.replicas.length,
    shrinkTries: w.finding.shrinkTries,
    shows: w.finding.shows,
    file: w.file,
    verified: w.verified,
    scenario: w.finding.minimal,
  });
  return {
    seed: result.seed,
    runs: result.runs,
    maxReplicas: result.maxReplicas,
    engines: result.engines,
    invalidRuns: result.invalidRuns,
    exploreMs: Math.round(result.exploreMs),
    shrinkMs: Math.round(result.shrinkMs),
    runsPerSecond: Number(runsPerSecond(result)),
    bugs: written.filter((w) => 'bug' in w.finding.id).map(entry),
    kinds: written.filter((w) => 'kind' in w.finding.id).map(entry),
    knownKinds: Object.keys(DIFFERENCE_KINDS),
    knownBugs: Object.keys(BUG_KINDS),
  };
}
