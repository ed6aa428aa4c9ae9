/**
 * What the explorer needs to know of an engine beyond its name, taken from the report's contract: the
 * report's ledger (`lww.lost`) is the one engine that loses writes by design and says which. Nothing
 * else about an engine is known here; every kind of difference is told by what the states show.
 */
import type { EngineName } from '@converge/replica';
import type { MergeReport } from '../report.ts';

/** The engine whose lost writes the report's ledger lists, when the run had it. */
export function ledgerEngine(report: MergeReport): EngineName | undefined {
  const name: EngineName = 'lww';
  return report.engines[name] === undefined ? undefined : name;
}
