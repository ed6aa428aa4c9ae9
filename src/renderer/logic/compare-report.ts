/**
 * The Compare panel as a merge report in the scenario runner's format (scenarios/src/report.ts, the one
 * definition of it): every engine's state in this window, whether this window knows it to be converged
 * with every other replica, the differences between the engines, and what last-writer-wins lost. A
 * tester exports it to keep or compare merge results.
 */
import {
  ENGINE_NAMES,
  type EngineName,
  type EngineStatus,
  type LostWrite,
  type WorkspaceView,
} from '@converge/replica';
import { buildReport, lostWriteReport, type MergeReport } from '@converge/scenarios/src/report.ts';
import type { EngineConvergence } from './convergence.ts';

export type { MergeReport };

export interface CompareReportInput {
  readonly name: string;
  /** This window's replica id. */
  readonly self: string;
  readonly engines: Readonly<Partial<Record<EngineName, Pick<EngineStatus, 'view' | 'digest'>>>>;
  readonly convergence: Readonly<Partial<Record<EngineName, EngineConvergence>>>;
  readonly ledger: readonly LostWrite[];
}

export function compareReport(input: CompareReportInput): MergeReport {
  const views: Partial<Record<EngineName, Record<string, WorkspaceView>>> = {};
  const digests: Partial<Record<EngineName, Record<string, string>>> = {};
  for (const engine of ENGINE_NAMES) {
    const status = input.engines[engine];
    if (status === undefined) continue;
    views[engine] = { [input.self]: status.view };
    digests[engine] = { [input.self]: status.digest };
  }
  const report = buildReport({ name: input.name, views, digests, lost: input.ledger.map(lostWriteReport) });
  // One window holds only its own state: "converged" is what its evidence says about every other replica
  // (digests announced over the network), true only when each one is known to be the same.
  const engines = Object.fromEntries(
    Object.entries(report.engines).map(([engine, entry]) => [
      engine,
      { ...entry, converged: input.convergence[engine as EngineName]?.converged === true },
    ]),
  );
  return { ...report, engines };
}
