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

/** One line about a workload for the report. */
export function describeSource(source: WorkloadSource): string {
  return source.type === 'trace'
    ? `Editing trace ${source.file}.`
    : `Synthetic, ${source.size} edits, seed ${source.seed}.`;
}
