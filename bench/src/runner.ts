import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EngineName } from './engines/types.ts';
import { type BenchResult, combineRuns, type Figures } from './result.ts';
import { parseWorkerOutput, type WorkerReply, type WorkerTask } from './worker-protocol.ts';
import type { WorkloadSource } from './workload.ts';

const WORKER = join(import.meta.dirname, 'worker.ts');
/** tsx's loader as a URL, so workers find it whatever their working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface RunPlan {
  workloads: readonly WorkloadSource[];
  engines: readonly EngineName[];
  runs: number;
  timeoutSeconds: number;
}

export type Progress = (message: string) => void;

/**
 * Spawn one worker process and wait for its reply (a timeout or crash is a failed reply). `nodeFlags`
 * go to node besides --expose-gc.
 */
export function runWorker(
  task: WorkerTask,
  timeoutSeconds: number,
  nodeFlags: readonly string[] = [],
): Promise<WorkerReply> {
  return new Promise((resolve) => {
    const args = ['--expose-gc', ...nodeFlags, '--import', TSX, WORKER, JSON.stringify(task)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `could not start worker: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve({ ok: false, error: `timed out after ${timeoutSeconds} s` });
      else resolve(parseWorkerOutput(stdout, stderr, signal ? `killed by ${signal}` : `exited with ${code}`));
    });
  });
}

type RunOutcome = { ok: true; figures: Figures } | { ok: false; error: string; skipped?: boolean };

/**
 * Measure every engine on every workload, `runs` times each. Runs are interleaved (run 1 of every
 * engine, then run 2, …) so load changes on the machine spread over all engines alike.
 * Each run is two fresh processes: replay (+ encode, merge) and parse (+ memory).
 */
export async function runAll(plan: RunPlan, progress: Progress): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'converge-bench-'));
  const results: BenchResult[] = [];
  const total = plan.workloads.length * plan.engines.length * plan.runs;
  let step = 0;
  try {
    for (const workload of plan.workloads) {
      const outcomes = new Map<EngineName, RunOutcome[]>(plan.engines.map((e) => [e, []]));
      for (let run = 1; run <= plan.runs; run++) {
        for (const engine of plan.engines) {
          step++;
          progress(`[${step}/${total}] ${workload.name} · ${engine} · run ${run}/${plan.runs}`);
          const list = outcomes.get(engine) as RunOutcome[];
          if (list.some((o) => !o.ok)) continue; // already failed: do not spend more time on it
          list.push(await measureOnce(engine, workload, dir, plan.timeoutSeconds));
        }
      }
      for (const engine of plan.engines) {
        const list = outcomes.get(engine) as RunOutcome[];
        // An engine that cannot run this workload at all (the gap buffer, concurrent) has no row.
        if (list.some((o) => !o.ok && o.skipped === true)) continue;
        results.push(combineRuns(engine, workload.name, list));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

async function measureOnce(
  engine: EngineName,
  workload: WorkloadSource,
  dir: string,
  timeoutSeconds: number,
): Promise<RunOutcome> {
  const docFile = join(dir, `${engine}.doc`);
  const textFile = join(dir, `${engine}.txt`);
  const replay = await runWorker({ task: 'replay', engine, workload, docFile, textFile }, timeoutSeconds);
  if (!replay.ok) return replay;
  const parse = await runWorker({ task: 'parse', engine, docFile, textFile }, timeoutSeconds);
  if (!parse.ok) return parse;
  return { ok: true, figures: { ...replay.figures, ...parse.figures } as unknown as Figures };
}
