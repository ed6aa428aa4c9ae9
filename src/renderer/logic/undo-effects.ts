/**
 * What an undo (or redo) did in each engine: the paths of the view it changed, from what to what. The
 * engines undo in their own ways (Y.UndoManager, the runtime's inverse), so the same step can have
 * different effects; the Compare panel lists them side by side and marks the paths where they differ.
 */
import type { EngineName, WorkspaceSchema, WorkspaceView } from '@converge/replica';

export interface UndoEffectRow {
  readonly path: string;
  /** Per engine: the value before and after (JSON), or undefined when the undo left the path alone. */
  readonly byEngine: Readonly<
    Partial<Record<EngineName, { readonly before: string; readonly after: string }>>
  >;
  /** Engines disagree on what the undo did to this path. */
  readonly differs: boolean;
}

export interface UndoEffects {
  readonly op: 'undo' | 'redo';
  readonly rows: readonly UndoEffectRow[];
}

export function undoEffects(
  schema: WorkspaceSchema,
  op: 'undo' | 'redo',
  engines: readonly EngineName[],
  before: Readonly<Partial<Record<EngineName, WorkspaceView>>>,
  after: Readonly<Partial<Record<EngineName, WorkspaceView>>>,
): UndoEffects {
  const changes = new Map<string, Partial<Record<EngineName, { before: string; after: string }>>>();
  for (const engine of engines) {
    const was = new Map(
      schema.paths(before[engine] ?? schema.empty()).map(([p, v]) => [p, JSON.stringify(v)]),
    );
    const is = new Map(schema.paths(after[engine] ?? schema.empty()).map(([p, v]) => [p, JSON.stringify(v)]));
    for (const path of new Set([...was.keys(), ...is.keys()])) {
      const b = was.get(path) ?? '—';
      const a = is.get(path) ?? '—';
      if (a === b) continue;
      const row = changes.get(path) ?? {};
      row[engine] = { before: b, after: a };
      changes.set(path, row);
    }
  }
  const rows = [...changes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, byEngine]) => {
      const effects = engines.map((engine) => {
        const effect = byEngine[engine];
        return effect === undefined ? 'none' : `${effect.before}→${effect.after}`;
      });
      return { path, byEngine, differs: effects.some((e) => e !== effects[0]) };
    });
  return { op, rows };
}
