/**
 * The status snapshot as it crosses from the worker to the page: the app model's snapshot (AppSnapshot)
 * without whole texts. Each engine's text fields are left empty in the views (the page fills them from
 * its text mirrors, which the deltas keep current), history entries carry no views (the scrubber asks
 * for the one it shows), and a field is sent only when it changed since the last snapshot.
 */
import type { EngineName, WorkspaceSchema, WorkspaceView } from '@converge/replica';
import type { AppSnapshot } from '../logic/app-model.ts';
import type { HistoryEntry } from '../logic/history-log.ts';
import type { VersionComparison } from '../logic/versions.ts';

/** A history entry without its views (what the scrubber lists). */
export type HistoryMark = Omit<HistoryEntry, 'views'>;

export interface WorkerSnapshot extends Omit<AppSnapshot, 'history'> {
  readonly history: readonly HistoryMark[];
  /** Actions the session recorder could not express in the scenario format. */
  readonly omittedActions: readonly string[];
  /** Per engine whose versions are heads, per peer: how the versions compare (resolved in the worker). */
  readonly versionComparisons: Readonly<Record<EngineName, Readonly<Record<string, VersionComparison>>>>;
}

/** A view with its text fields emptied (`fields`: the schema's text field names). */
export function withoutTexts(view: WorkspaceView, fields: readonly string[]): WorkspaceView {
  const copy: Record<string, unknown> = { ...view };
  for (const field of fields) if (field in copy) copy[field] = '';
  return copy as WorkspaceView;
}

export function textFieldNames(schema: WorkspaceSchema): string[] {
  return schema.fieldsOf('text').map((field) => field.name);
}

/** The snapshot's status with every engine view's texts left out. */
export function statusWithoutTexts(
  status: AppSnapshot['status'],
  fields: readonly string[],
): AppSnapshot['status'] {
  const engines: Record<string, unknown> = {};
  for (const [name, engine] of Object.entries(status.engines))
    if (engine !== undefined) engines[name] = { ...engine, view: withoutTexts(engine.view, fields) };
  return { ...status, engines } as AppSnapshot['status'];
}

/** The keys of `next` that differ (by identity) from `previous`: what a snapshot message carries. */
export function changedFields<T extends object>(previous: T | undefined, next: T): Partial<T> {
  if (previous === undefined) return { ...next };
  const out: Partial<T> = {};
  for (const key of Object.keys(next) as (keyof T)[]) if (previous[key] !== next[key]) out[key] = next[key];
  return out;
}
