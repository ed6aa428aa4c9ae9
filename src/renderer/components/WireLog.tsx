import type { EngineName, ReplicaProblem } from '@converge/replica';
import type { EngineFacts } from '@converge/replica/descriptors';
import { useState } from 'react';
import { formatBytes, formatTime } from '../logic/format.ts';
import type { EngineWireTotals, WireFrame } from '../logic/wire-log.ts';

export interface WireLogProps {
  /** The hosted engines, in display order. */
  readonly engines: readonly EngineFacts[];
  readonly frames: readonly WireFrame[];
  readonly totals: EngineWireTotals;
  readonly problems: readonly ReplicaProblem[];
}

const SHOWN = 150;

/** Frames this replica sent and received, per engine, with the sync message type and size. */
export function WireLog({ engines, frames, totals, problems }: WireLogProps) {
  const [engine, setEngine] = useState<EngineName | 'all'>('all');
  const [direction, setDirection] = useState<'all' | 'out' | 'in'>('all');
  const [paused, setPaused] = useState<readonly WireFrame[] | undefined>(undefined);
  const source = paused ?? frames;
  const shown = source
    .filter(
      (f) => (engine === 'all' || f.engine === engine) && (direction === 'all' || f.direction === direction),
    )
    .slice(-SHOWN)
    .reverse();
  return (
    <div className="wire">
      <table className="small-table" data-testid="wire-totals">
        <thead>
          <tr>
            <th scope="col">Engine</th>
            <th scope="col">Sent</th>
            <th scope="col">Received</th>
          </tr>
        </thead>
        <tbody>
          {engines.map(({ name, label }) => (
            <tr key={name}>
              <th scope="row">{label}</th>
              <td className="mono">
                {totals[name]?.out.frames ?? 0} · {formatBytes(totals[name]?.out.bytes ?? 0)}
              </td>
              <td className="mono">
                {totals[name]?.in.frames ?? 0} · {formatBytes(totals[name]?.in.bytes ?? 0)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="button-row">
        <label className="field-inline">
          <span>Engine</span>
          <select
            value={engine}
            onChange={(e) => setEngine(e.target.value as EngineName | 'all')}
            data-testid="wire-engine-filter"
          >
            <option value="all">all</option>
            {engines.map(({ name, label }) => (
              <option key={name} value={name}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field-inline">
          <span>Direction</span>
          <select value={direction} onChange={(e) => setDirection(e.target.value as 'all' | 'out' | 'in')}>
            <option value="all">both</option>
            <option value="out">sent</option>
            <option value="in">received</option>
          </select>
        </label>
        <button
          type="button"
          className="secondary"
          aria-pressed={paused !== undefined}
          onClick={() => setPaused(paused === undefined ? frames : undefined)}
        >
          {paused === undefined ? 'Pause' : 'Resume'}
        </button>
      </div>
      {shown.length === 0 ? (
        <p className="empty">
          No frames yet. Frames appear when another replica in the room syncs with this one.
        </p>
      ) : (
        <div className="scroll">
          <table className="wire-table" data-testid="wire-log">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Dir</th>
                <th scope="col">Peer</th>
                <th scope="col">Engine</th>
                <th scope="col">Type</th>
                <th scope="col">Size</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((f) => (
                <tr key={f.seq} className={f.direction === 'out' ? 'out' : 'in'}>
                  <td className="mono">{formatTime(f.at)}</td>
                  <td aria-label={f.direction === 'out' ? 'sent' : 'received'}>
                    {f.direction === 'out' ? '→' : '←'}
                  </td>
                  <td>{f.peer}</td>
                  <td>{f.engine}</td>
                  <td>{f.kind}</td>
                  <td className="mono">{formatBytes(f.bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {problems.length > 0 ? (
        <details className="problems">
          <summary>
            {problems.length} replica problem{problems.length === 1 ? '' : 's'} (rejected payloads, store or
            engine errors)
          </summary>
          <ul>
            {problems
              .slice(-30)
              .reverse()
              .map((p, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: problems have no identity
                <li key={i} className="small">
                  <span className="mono">{p.kind}</span> {p.engine ?? ''}{' '}
                  {p.peer !== undefined ? `from ${p.peer}` : ''}: {p.message}
                </li>
              ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}
