/**
 * The differential explorer: generate random scenarios from a seed, run each in the simulation with
 * every engine side by side, classify what the engines' final states show (classify.ts), then shrink the
 * smallest scenario of each kind of difference — and of each bug — to a minimal one that still shows it.
 * Deterministic: the same seed, runs and options give the same findings and the same minimal scenarios.
 */
import { ENGINES, type EngineName, type EngineRegistry } from '@converge/replica';
import { runScenario } from '../runner.ts';
import { parseScenario, type Scenario, type ScenarioFile } from '../scenario.ts';
import { type BugFinding, classifyFailure, classifyReport, type Verdict } from './classify.ts';
import type { FieldKey } from './fields.ts';
import { generateScenario } from './generate.ts';
import { BUG_KINDS, type BugKind, DIFFERENCE_KINDS, type DifferenceKind } from './kinds.ts';
import { isSmaller, shrinkScenario } from './shrink.ts';

export interface ExploreOptions {
  readonly seed: number;
  readonly runs: number;
  /** Replicas per scenario: 2 up to this many (2..5). */
  readonly maxReplicas: number;
  /** The engines the replicas run (default: every engine the registry offers). */
  readonly engines?: EngineRegistry;
  /** Shrink each finding (default true). */
  readonly shrink?: boolean;
  /** Candidates run per shrink at most (default 600; a finding is shrunk from up to 3 starts). */
  readonly shrinkTries?: number;
  readonly onEvent?: (event: ExploreEvent) => void;
  /** A clock for the timings the result reports (default performance.now). */
  readonly now?: () => number;
}

export type ExploreEvent =
  | {
      readonly type: 'run';
      readonly done: number;
      readonly runs: number;
      readonly kinds: number;
      readonly bugs: number;
    }
  | { readonly type: 'found'; readonly finding: FindingId; readonly run: number; readonly summary: string }
  | {
      readonly type: 'shrinking';
      readonly finding: FindingId;
      readonly index: number;
      readonly of: number;
      readonly steps: number;
      readonly replicas: number;
      readonly tries: number;
    }
  | { readonly type: 'shrunk'; readonly finding: FindingId; readonly steps: number; readonly tries: number };

/** A kind of difference, or a kind of bug. */
export type FindingId = { readonly kind: DifferenceKind } | { readonly bug: BugKind };

export interface Finding {
  readonly id: FindingId;
  /** What this kind is, in words. */
  readonly title: string;
  /** The first run (0-based) that showed it. */
  readonly firstRun: number;
  /** How many runs showed it. */
  readonly runs: number;
  /** The smallest scenario of the exploration that showed it. */
  readonly found: ScenarioFile;
  /** The minimal scenario, named and described (equal to `found` when not shrunk). */
  readonly minimal: ScenarioFile;
  /** What the minimal scenario shows: per field, every engine's value (or the bug's message). */
  readonly shows: readonly string[];
  /** Candidates run while shrinking. */
  readonly shrinkTries: number;
}

export interface ExploreResult {
  readonly seed: number;
  readonly runs: number;
  readonly maxReplicas: number;
  readonly engines: readonly EngineName[];
  /** Runs whose scenario did not fit (an edit outside its replica's text): not findings. */
  readonly invalidRuns: number;
  readonly exploreMs: number;
  readonly shrinkMs: number;
  /** Bugs first: anything that is not a documented difference. */
  readonly bugs: readonly Finding[];
  readonly kinds: readonly Finding[];
}

/** What running one scenario showed. */
export type Evaluation = { readonly invalid: string } | Verdict;

/** Run one scenario file in the simulation and classify what it shows. */
export function evaluateScenario(file: ScenarioFile, engines: EngineRegistry): Promise<Evaluation> {
  return evaluate(parseScenario(file), engines);
}

/** Run one scenario in the simulation and classify what it shows. */
export async function evaluate(scenario: Scenario, engines: EngineRegistry): Promise<Evaluation> {
  try {
    const report = await runScenario(scenario, { engines, syncTimeoutMs: SYNC_TIMEOUT_MS });
    return classifyReport(scenario, report, engines.names, engines);
  } catch (error) {
    const failure = classifyFailure(error);
    return 'invalid' in failure ? failure : { kinds: [], bugs: [failure], fieldLine: (field) => field };
  }
}

/** Shrinking starts from up to this many of the smallest scenarios that showed a finding… */
const SHRINK_STARTS = 3;
/** …until one ends with at most this many steps. */
const GOOD_ENOUGH_STEPS = 3;

/** Virtual time a sync may take: anti-entropy repairs chaos's worst within seconds; more means a bug. */
const SYNC_TIMEOUT_MS = 30_000;

export function findingName(id: FindingId): string {
  return 'kind' in id ? id.kind : `bug-${id.bug}`;
}

export function findingTitle(id: FindingId): string {
  return 'kind' in id ? DIFFERENCE_KINDS[id.kind] : BUG_KINDS[id.bug];
}

/**
 * What an evaluation shows of a finding, one line per field: every engine's value of a field that shows
 * the kind, or the bug's message (empty: it does not show it). A run with a bug shows no kind.
 */
export function showing(evaluation: Evaluation, id: FindingId, like?: BugFinding): string[] {
  if ('invalid' in evaluation) return [];
  if ('kind' in id) {
    if (evaluation.bugs.length > 0) return [];
    const fields = new Set(evaluation.kinds.filter((k) => k.kind === id.kind).map((k) => k.field));
    return [...fields].map((field) => evaluation.fieldLine(field));
  }
  return evaluation.bugs
    .filter((b) => b.bug === id.bug && (like?.field === undefined || b.field === like.field))
    .map((b) => b.summary);
}

interface Candidate {
  readonly id: FindingId;
  firstRun: number;
  runs: number;
  /** The smallest scenarios that showed it, smallest first, each with the field it showed it in. */
  found: { readonly file: ScenarioFile; readonly field: FieldKey | undefined }[];
  /** For a bug: the first one seen, whose field shrinking keeps. */
  readonly like?: BugFinding;
}

export async function explore(options: ExploreOptions): Promise<ExploreResult> {
  const engines = options.engines ?? ENGINES;
  const emit = options.onEvent ?? (() => {});
  const found = new Map<string, Candidate>();
  let invalidRuns = 0;
  const now = options.now ?? (() => performance.now());
  const started = now();

  const note = (
    id: FindingId,
    run: number,
    file: ScenarioFile,
    what: { readonly summary: string; readonly field: FieldKey | undefined; readonly like?: BugFinding },
  ) => {
    const name = findingName(id);
    const known = found.get(name);
    const start = { file, field: what.field };
    if (known === undefined) {
      found.set(name, {
        id,
        firstRun: run,
        runs: 1,
        found: [start],
        ...(what.like === undefined ? {} : { like: what.like }),
      });
      emit({ type: 'found', finding: id, run, summary: what.summary });
    } else {
      known.runs++;
      known.found = [...known.found, start]
        .sort((a, b) => (isSmaller(a.file, b.file) ? -1 : isSmaller(b.file, a.file) ? 1 : 0))
        .slice(0, SHRINK_STARTS);
    }
  };

  for (let run = 0; run < options.runs; run++) {
    const file = generateScenario(options.seed, run, { maxReplicas: options.maxReplicas });
    const evaluation = await evaluateScenario(file, engines);
    if ('invalid' in evaluation) invalidRuns++;
    else {
      const seen = new Set<string>();
      for (const bug of evaluation.bugs) {
        if (seen.has(bug.bug)) continue;
        seen.add(bug.bug);
        note({ bug: bug.bug }, run, file, { summary: bug.summary, field: bug.field, like: bug });
      }
      for (const k of evaluation.kinds) {
        if (seen.has(k.kind)) continue;
        seen.add(k.kind);
        note({ kind: k.kind }, run, file, { summary: k.summary, field: k.field });
      }
    }
    const all = [...found.values()];
    emit({
      type: 'run',
      done: run + 1,
      runs: options.runs,
      kinds: all.filter((c) => 'kind' in c.id).length,
      bugs: all.filter((c) => 'bug' in c.id).length,
    });
  }
  const exploreMs = now() - started;

  // Bugs first, then the kinds in the catalogue's order.
  const order = (c: Candidate): number =>
    'bug' in c.id
      ? Object.keys(BUG_KINDS).indexOf(c.id.bug)
      : 100 + Object.keys(DIFFERENCE_KINDS).indexOf(c.id.kind);
  const candidates = [...found.values()].sort((a, b) => order(a) - order(b));
  const findings: Finding[] = [];
  for (const [index, candidate] of candidates.entries()) {
    findings.push(await minimize(candidate, index, candidates.length));
  }
  return {
    seed: options.seed,
    runs: options.runs,
    maxReplicas: options.maxReplicas,
    engines: engines.names,
    invalidRuns,
    exploreMs,
    shrinkMs: now() - started - exploreMs,
    bugs: findings.filter((f) => 'bug' in f.id),
    kinds: findings.filter((f) => 'kind' in f.id),
  };

  async function minimize(candidate: Candidate, index: number, of: number): Promise<Finding> {
    const { id } = candidate;
    const holds = async (file: ScenarioFile) =>
      showing(await evaluateScenario(file, engines), id, candidate.like).length > 0;
    const first = (candidate.found[0] as Candidate['found'][number]).file;
    let minimal = first;
    let tries = 0;
    if (options.shrink !== false) {
      // Shrinking ends in a local minimum: from another start it may find a smaller one.
      for (const { file: start, field } of candidate.found) {
        if (start !== first && minimal.steps.length <= GOOD_ENOUGH_STEPS) break;
        emit({
          type: 'shrinking',
          finding: id,
          index,
          of,
          steps: start.steps.length,
          replicas: start.replicas.length,
          tries,
        });
        const result = await shrinkScenario(start, {
          holds,
          ...(field === undefined ? {} : { field }),
          ...(options.shrinkTries === undefined ? {} : { maxTries: options.shrinkTries }),
          onSmaller: (file, n) =>
            emit({
              type: 'shrinking',
              finding: id,
              index,
              of,
              steps: file.steps.length,
              replicas: file.replicas.length,
              tries: tries + n,
            }),
        });
        tries += result.tries;
        if (start === first || isSmaller(result.scenario, minimal)) minimal = result.scenario;
      }
      emit({ type: 'shrunk', finding: id, steps: minimal.steps.length, tries });
    }
    const shows = showing(await evaluateScenario(minimal, engines), id, candidate.like);
    const title = findingTitle(id);
    const name = findingName(id);
    return {
      id,
      title,
      firstRun: candidate.firstRun,
      runs: candidate.runs,
      found: first,
      minimal: {
        name: 'kind' in id ? `Explorer: ${name}` : `Explorer found a bug: ${name}`,
        description: `${title}. ${shows.join('; ')}`.slice(0, 1000),
        replicas: minimal.replicas,
        steps: minimal.steps,
      },
      shows,
      shrinkTries: tries,
    };
  }
}
