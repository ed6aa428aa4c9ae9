/**
 * The Compare panel as a merge report in the scenario runner's format (scenarios/src/report.ts, the one
 * definition of it): every engine's state in this window, whether this window knows it to be converged
 * with every other replica, the differences between the engines, what last-writer-wins lost and which
 * of its results depended on wall time. A tester exports it to keep or compare merge results.
 */
import {
  ENGINE_NAMES,
  type EngineName,
  type EngineStatus,
  type LostWrite,
  type LwwWrite,
  type WorkspaceView,
} from '@converge/replica';
import {
  buildReport,
  lostWriteReport,
  type MergeReport,
  wallTimeDependences,
} from '@converge/scenarios/report';
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
  readonly engines: Readonly<Partial<Record<EngineName, Pick<EngineStatus, 'view' | 'digest'>>>>;
  /** Each engine's view when this window opened. */
  readonly start: Readonly<Partial<Record<EngineName, WorkspaceView>>>;
  readonly convergence: Readonly<Partial<Record<EngineName, EngineConvergence>>>;
  readonly ledger: readonly LostWrite[];
  /** Every write of the lww engine (they carry their writers' clock skews). */
  readonly lwwWrites: readonly LwwWrite[];
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
  const skewed = new Set(input.lwwWrites.filter((w) => (w.skewMs ?? 0) !== 0).map((w) => w.replica));
  const report = buildReport({
    name: input.name,
    world: {
      kind: 'window',
      replica: input.self,
      url: input.relayUrl,
      room: input.room,
      storagePeer: input.storagePeer,
    },
    start: input.start,
    wallTime: wallTimeDependences(input.lwwWrites, skewed),
    views,
    digests,
    lost: input.ledger.map(lostWriteReport),
  });
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
