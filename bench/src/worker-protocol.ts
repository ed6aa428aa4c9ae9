import type { EngineName as ReplicaEngineName } from '@converge/replica';
import type { EngineName } from './engines/types.ts';
import type { WorkloadSource } from './workload.ts';

/** What the runner asks a worker process to measure (passed as JSON in argv). */
export type WorkerTask =
  | { task: 'replay'; engine: EngineName; workload: WorkloadSource; docFile: string; textFile: string }
  | { task: 'parse'; engine: EngineName; docFile: string; textFile: string }
  /** Open the converge engine's file store in `storeDir` (see store-open.ts). */
  | { task: 'open-store'; storeDir: string; textFile: string }
  /** Lifecycle soaks (see lifecycle.ts); memory samples come back flattened (lifecycle-report.ts). */
  | ({ task: 'replica-soak' } & SoakPlan)
  | ({ task: 'relay-soak' } & SoakPlan);

/** `count` cycles (replica soak) or rooms (relay soak) of a replica hosting `engines`. */
export interface SoakPlan {
  engines: readonly ReplicaEngineName[];
  count: number;
  warmup: number;
  sampleEvery: number;
}

/** `skipped`: the engine cannot run the workload at all (not a failure; no result is reported). */
export type WorkerReply =
  | { ok: true; figures: Record<string, number> }
  | { ok: false; error: string; skipped?: boolean };

/** The worker's answer is the stdout line starting with this (libraries may print other lines). */
export const RESULT_PREFIX = 'RESULT ';

/** The reply in a worker's stdout, or a failure saying why there is none. */
export function parseWorkerOutput(stdout: string, stderr: string, exit: string): WorkerReply {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(RESULT_PREFIX));
  if (line === undefined) {
    const tail = stderr.trim().split('\n').slice(-3).join(' / ');
    return { ok: false, error: `worker ${exit} without a result${tail ? `: ${tail}` : ''}` };
  }
  try {
    const reply = JSON.parse(line.slice(RESULT_PREFIX.length)) as WorkerReply;
    if (typeof reply !== 'object' || reply === null || typeof reply.ok !== 'boolean')
      throw new Error('bad shape');
    return reply;
  } catch {
    return { ok: false, error: 'worker printed an unreadable result' };
  }
}
