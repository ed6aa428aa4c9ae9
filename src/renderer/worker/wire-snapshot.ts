/**
 * The status snapshot as it crosses from the worker to the page: the app model's snapshot (AppSnapshot)
 * without whole texts. Each engine's text fields are left empty in the views (the page fills them from
 * its text mirrors, which the deltas keep current), history entries carry no views (the scrubber asks
 * for the one it shows), and a field is sent only when it changed since the last snapshot. The wire log's
 * frames go as the frames added since the last snapshot (`wireFramesAdded`), not the whole ring again.
 */
import type { EngineName, WorkspaceSchema, WorkspaceView } from '@converge/replica';
import type { AppSnapshot } from '../logic/app-model.ts';
import type { HistoryEntry } from '../logic/history-log.ts';
import type { VersionComparison } from '../logic/versions.ts';
import type { WireFrame } from '../logic/wire-log.ts';

/** The frames the wire log holds (the worker's ring, and the page's copy of it). */
export const WIRE_LOG_FRAMES = 400;

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

/** A snapshot message: the fields that changed, the wire log's as the frames added since the last message. */
export type SnapshotPatch = Partial<Omit<WorkerSnapshot, 'wireFrames'>> & {
  readonly wireFrames?: readonly WireFrame[];
  readonly wireFramesAdded?: readonly WireFrame[];
};

/**
 * The fields of `next` that differ from `previous` (`changedFields`), with the wire log's frames as those
 * recorded after the newest frame `previous` had: a few per snapshot while peers type, instead of the
 * whole ring (hundreds of frames, cloned for the page several times a second).
 */
export function snapshotPatch(previous: WorkerSnapshot | undefined, next: WorkerSnapshot): SnapshotPatch {
  const changed = changedFields(previous, next);
  if (previous === undefined || changed.wireFrames === undefined) return changed;
  const { wireFrames, ...rest } = changed;
  const newest = previous.wireFrames.at(-1)?.seq ?? 0;
  return { ...rest, wireFramesAdded: wireFrames.filter((frame) => frame.seq > newest) };
}

/** The page's copy of the wire log after a snapshot's added frames: the newest `WIRE_LOG_FRAMES`. */
export function withFramesAdded(
  held: readonly WireFrame[],
  added: readonly WireFrame[],
  capacity = WIRE_LOG_FRAMES,
): readonly WireFrame[] {
  if (added.length === 0) return held;
  return [...held, ...added].slice(-capacity);
}
