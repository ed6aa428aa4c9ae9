/**
 * What the explorer needs to know of an engine beyond its name, from its descriptor: whether it keeps a
 * ledger of the writes it loses (last-writer-wins does, by design). Nothing else about an engine is
 * known here; every kind of difference is told by what the states show.
 */
import { ENGINES, type EngineName, type EngineRegistry } from '@converge/replica';
import type { LostWriteReport, MergeReport } from '../report.ts';

/** The engine of the run whose descriptor has a ledger of lost writes, when the run had one. */
export function ledgerEngine(
  report: MergeReport,
  registry: EngineRegistry = ENGINES,
): EngineName | undefined {
  return registry.descriptors.find((d) => d.ledger !== undefined && report.engines[d.name] !== undefined)
    ?.name;
}

/** The writes the report's ledger of `engine` lists as lost (none without a ledger). */
export function lostWrites(report: MergeReport, engine: EngineName | undefined): readonly LostWriteReport[] {
  return engine === undefined ? [] : (report.ledgers[engine]?.lost ?? []);
}
