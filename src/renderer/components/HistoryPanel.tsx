import type { WorkspaceSchema } from '@converge/replica';
import type { EngineFacts } from '@converge/replica/descriptors';
import { useEffect, useState } from 'react';
import type { HistoryEntry } from '../logic/history-log.ts';
import type { HistoryMark } from '../worker/wire-snapshot.ts';

export interface HistoryPanelProps {
  /** The entries without their states (the replica worker keeps those: `loadEntry` asks for one). */
  readonly entries: readonly HistoryMark[];
  loadEntry(seq: number): Promise<HistoryEntry | undefined>;
  readonly engines: readonly EngineFacts[];
  readonly schema: WorkspaceSchema;
  readonly self: string;
  onRestore(seq: number): void;
}

/**
 * The history scrubber: move back through the room's history as this window saw it, and see every
 * engine's state at that point with the edit and its author. Restoring is a new edit (as the primary
 * engine showed it then), never a rewrite of history.
 */
export function HistoryPanel({ entries, loadEntry, engines, schema, self, onRestore }: HistoryPanelProps) {
  // null: follow the newest entry as new ones come.
  const [picked, setPicked] = useState<number | null>(null);
  const [loaded, setLoaded] = useState<HistoryEntry | undefined>(undefined);
  const last = entries.length - 1;
  const index = picked === null ? last : Math.min(picked, last);
  const shownSeq = entries[index]?.seq;
  // The states of the entry shown, asked of the replica worker when another entry is shown.
  useEffect(() => {
    if (shownSeq === undefined) return;
    let live = true;
    loadEntry(shownSeq).then(
      (full) => {
        if (live) setLoaded(full);
      },
      () => {
        if (live) setLoaded(undefined);
      },
    );
    return () => {
      live = false;
    };
  }, [shownSeq, loadEntry]);
  if (entries.length === 0) return <p className="muted">Nothing seen yet.</p>;
  const entry = entries[index] as HistoryMark;
  const views = loaded?.seq === entry.seq ? loaded.views : undefined;
  // Who made a change this window made; for one that came over the network, the peer that delivered it
  // (the room's storage peer when it relayed it).
  const others = entry.authors.filter((a) => a !== self);
  const authors =
    [
      ...(entry.local ? ['by you'] : []),
      ...(others.length > 0 ? [`received from ${others.join(', ')}`] : []),
    ].join(', ') || '—';
  return (
    <section className="history-panel" aria-label="History">
      <div className="history-scrub">
        <input
          type="range"
          min={0}
          max={last}
          value={index}
          onChange={(event) => {
            const value = Number(event.target.value);
            setPicked(value === last ? null : value);
          }}
          aria-label="Point in history"
          aria-valuetext={`${index + 1} of ${entries.length}: ${entry.edit}`}
          data-testid="history-slider"
        />
        <span className="small" data-testid="history-position">
          {index + 1} / {entries.length}
          {picked === null ? ' (newest)' : ''}
        </span>
      </div>
      <p className="history-entry" data-testid="history-entry">
        <time>{new Date(entry.at).toLocaleTimeString()}</time> · <strong>{entry.edit}</strong> · {authors}
      </p>
      <table className="history-states">
        <thead>
          <tr>
            <th scope="col">engine</th>
            {schema.fieldsOf('text').map((f) => (
              <th scope="col" key={f.name}>
                {f.label}
              </th>
            ))}
            <th scope="col">everything else</th>
          </tr>
        </thead>
        <tbody>
          {engines.map((engine) => {
            const view = views?.[engine.name];
            return (
              <tr key={engine.name} data-testid={`history-state-${engine.name}`}>
                <th scope="row">{engine.label}</th>
                {schema.fieldsOf('text').map((f) => (
                  <td key={f.name} className="history-text" data-testid={`history-${f.name}-${engine.name}`}>
                    {view === undefined ? '—' : String(schema.valueIn(view, f))}
                  </td>
                ))}
                <td className="small">
                  {view === undefined
                    ? '—'
                    : schema
                        .paths(view)
                        .filter(([path]) => !schema.fieldsOf('text').some((f) => f.name === path))
                        .map(([path, value]) => `${path}=${JSON.stringify(value)}`)
                        .join(' · ')}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <button
        type="button"
        onClick={() => onRestore(entry.seq)}
        disabled={index === last}
        data-testid="history-restore"
        title="Make the workspace what the engine you edit showed then: new edits, synced like any other; the history stays"
      >
        Restore this version
      </button>
    </section>
  );
}
