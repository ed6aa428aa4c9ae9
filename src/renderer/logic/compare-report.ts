/**
 * The Compare panel as a merge report in the scenario runner's format (@converge/scenarios/report, the
 * one definition of it): every engine's state in this window, whether this window knows it to be
 * converged with every other replica, the differences between the engines, what the engines with a
 * ledger lost and which of their results depended on wall time. A tester exports it to keep or compare
 * merge results.
 */
import {
  type EngineName,
  type EngineStatus,
  type LedgerWrite,
  type LostWrite,
  type WorkspaceView,
  wallTimeDependences,
} from '@converge/replica';
import { buildReport, lostWriteReport, type MergeReport } from '@converge/scenarios/report';
import type { EngineConvergence } from './convergence.ts';

export type { MergeReport };

export interface CompareReportInput {
  readonly name: string;
  /** This window's replica id. */
  readonly self: string;
  /** The relay and room this window syncs through. */
  readonly relayUrl: string;
  readonly room: string;
  /** Whether this window has seen the room's storage peer. */
  readonly storagePeer: boolean;
  /** The hosted engines, in display order. */
  readonly order: readonly EngineName[];
  readonly engines: Readonly<Partial<Record<EngineName, Pick<EngineStatus, 'view' | 'digest'>>>>;
  /** Each engine's view when this window opened. */
  readonly start: Readonly<Partial<Record<EngineName, WorkspaceView>>>;
  readonly convergence: Readonly<Partial<Record<EngineName, EngineConvergence>>>;
  /** Per engine with a ledger: what it lost, and every write it holds (they carry their writers' skews). */
  readonly ledgers: Readonly<
    Record<EngineName, { readonly lost: readonly LostWrite[]; readonly writes: readonly LedgerWrite[] }>
  >;
}

export function compareReport(input: CompareReportInput): MergeReport {
  const views: Partial<Record<EngineName, Record<string, WorkspaceView>>> = {};
  const digests: Partial<Record<EngineName, Record<string, string>>> = {};
  for (const engine of input.order) {
    const status = input.engines[engine];
    if (status === undefined) continue;
    views[engine] = { [input.self]: status.view };
    // A digest not known yet (the window's first status) is left out, never reported as another's.
    digests[engine] = status.digest === undefined ? {} : { [input.self]: status.digest };
  }
  const ledgers = Object.entries(input.ledgers);
  const report = buildReport({
    name: input.name,
    world: {
      kind: 'window',
      replica: input.self,
      url: input.relayUrl,
      room: input.room,
      storagePeer: input.storagePeer,
    },
    engines: input.order,
    start: input.start,
    wallTime: ledgers.flatMap(([engine, { writes }]) => {
      const skewed = new Set(writes.filter((w) => (w.skewMs ?? 0) !== 0).map((w) => w.replica));
      return wallTimeDependences(engine, writes, skewed);
    }),
    views,
    digests,
    ledgers: Object.fromEntries(ledgers.map(([engine, { lost }]) => [engine, lost.map(lostWriteReport)])),
  });
  // One window holds only its own state: "converged" is what its evidence says about every other replica
  // (digests announced over the network), true only when each one is known to be the same.
  const engines = Object.fromEntries(
    Object.entries(report.engines).flatMap(([engine, entry]) =>
      entry === undefined
        ? []
        : [[engine, { ...entry, converged: input.convergence[engine]?.converged === true }]],
    ),
  );
  return { ...report, engines };
}
