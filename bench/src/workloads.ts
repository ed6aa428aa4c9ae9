import { isAbsolute, relative, sep } from 'node:path';
import { isSyntheticName, SYNTHETIC_NAMES, syntheticWorkload } from './synthetic.ts';
import { listTraceFiles, loadTrace, traceName } from './traces.ts';
import type { Workload, WorkloadSource } from './workload.ts';

/** Materialize a workload (in the worker, so the parent never holds big traces). */
export function loadWorkload(source: WorkloadSource): Workload {
  if (source.type === 'trace') return loadTrace(source.file);
  if (!isSyntheticName(source.name)) throw new Error(`unknown synthetic workload ${source.name}`);
  return syntheticWorkload(source.name, source.size, source.seed);
}

/** The workloads the options select: traces first (folder, then --trace files), then synthetic. */
export function selectWorkloads(options: {
  tracesDir: string | null;
  traceFiles: readonly string[];
  synthetic: readonly string[];
  syntheticSize: number;
  seed: number;
  workloads: readonly string[] | null;
}): WorkloadSource[] {
  const sources: WorkloadSource[] = [];
  const files = [
    ...(options.tracesDir === null ? [] : listTraceFiles(options.tracesDir)),
    ...options.traceFiles,
  ];
  for (const file of files) {
    const name = traceName(file);
    if (!sources.some((s) => s.name === name)) sources.push({ type: 'trace', name, file });
  }
  for (const name of SYNTHETIC_NAMES) {
    if (options.synthetic.includes(name)) {
      sources.push({ type: 'synthetic', name, size: options.syntheticSize, seed: options.seed });
    }
  }
  if (options.workloads === null) return sources;
  const wanted = options.workloads;
  const unknown = wanted.filter((name) => !sources.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`no workload named ${unknown.join(', ')}`);
  return sources.filter((s) => wanted.includes(s.name));
}

/**
 * One line about a workload for the report. Reports are committed (bench/results), so a trace's path is
 * written relative to `repoRoot` with forward slashes: never a path that only exists on one machine.
 */
export function describeSource(source: WorkloadSource, repoRoot: string): string {
  return source.type === 'trace'
    ? `Editing trace ${portablePath(source.file, repoRoot)}.`
    : `Synthetic, ${source.size} edits, seed ${source.seed}.`;
}

/** `file` relative to `base`, with `/` separators (`../shared/traces/x.json.gz`). */
export function portablePath(file: string, base: string): string {
  const path = isAbsolute(file) ? relative(base, file) : file;
  return path.split(sep).join('/');
}
