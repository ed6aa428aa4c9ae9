/**
 * Comparing two reports of one scenario (two worlds, or two runs): every difference in the engines'
 * final states and in what last-writer-wins lost, except those either report lists as depending on
 * wall time. An empty answer means the runs agree wherever their merges do not depend on time.
 */
import { type EngineName, WORKSPACE } from '@converge/replica';
import type { MergeReport, ReplicaState } from './report.ts';

export interface ReportMismatch {
  readonly engine: EngineName;
  readonly replica?: string;
  /** "converged", a path of the workspace ("text", "note", "cart/KEY", "counters/KEY"), or "ENGINE.lost". */
  readonly field: string;
  readonly a: unknown;
  readonly b: unknown;
}

export function unexplainedMismatches(a: MergeReport, b: MergeReport): ReportMismatch[] {
  const timed = new Set([...a.wallTime, ...b.wallTime].map((w) => `${w.engine} ${w.field}`));
  const explained = (engine: EngineName, field: string): boolean => timed.has(`${engine} ${field}`);
  const out: ReportMismatch[] = [];
  for (const engine of new Set([...Object.keys(a.engines), ...Object.keys(b.engines)])) {
    const ra = a.engines[engine];
    const rb = b.engines[engine];
    if (ra === undefined && rb === undefined) continue;
    if (ra?.converged !== rb?.converged)
      out.push({ engine, field: 'converged', a: ra?.converged, b: rb?.converged });
    const ids = new Set([...Object.keys(ra?.replicas ?? {}), ...Object.keys(rb?.replicas ?? {})]);
    for (const replica of [...ids].sort()) {
      for (const [field, va, vb] of fieldsOf(ra?.replicas[replica], rb?.replicas[replica])) {
        if (JSON.stringify(va) !== JSON.stringify(vb) && !explained(engine, field))
          out.push({ engine, replica, field, a: va, b: vb });
      }
    }
  }
  const lost = (r: MergeReport, engine: EngineName) =>
    (r.ledgers[engine]?.lost ?? [])
      .filter((l) => !explained(engine, l.field))
      .map((l) => JSON.stringify(l))
      .sort();
  for (const engine of new Set([...Object.keys(a.ledgers), ...Object.keys(b.ledgers)])) {
    const la = lost(a, engine);
    const lb = lost(b, engine);
    if (JSON.stringify(la) !== JSON.stringify(lb))
      out.push({
        engine,
        field: `${engine}.lost`,
        a: la.map((l) => JSON.parse(l)),
        b: lb.map((l) => JSON.parse(l)),
      });
  }
  return out;
}

/**
 * Each value of two states as [path, a's value, b's value], by the workspace schema's paths: a text or
 * register by its field's name, a cart line as FIELD/KEY, a counter as counters/NAME.
 */
function fieldsOf(a: ReplicaState | undefined, b: ReplicaState | undefined): [string, unknown, unknown][] {
  const pa = new Map(a === undefined ? [] : WORKSPACE.paths(a));
  const pb = new Map(b === undefined ? [] : WORKSPACE.paths(b));
  return [...new Set([...pa.keys(), ...pb.keys()])].map((path) => [path, pa.get(path), pb.get(path)]);
}
