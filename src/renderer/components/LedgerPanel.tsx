import type { LostWrite } from '@converge/replica';
import type { CSSProperties } from 'react';
import { formatTime, formatValue, replicaHue } from '../logic/format.ts';
import { ledgerTimes } from '../logic/ledger-times.ts';
import { strikeLostText } from '../logic/text-compare.ts';
import { SkewControl } from './SkewControl.tsx';

export interface LedgerPanelProps {
  readonly ledger: readonly LostWrite[];
  /** The engine's text, to show the lost text where it would have been. */
  readonly text: string | undefined;
  readonly skewMs: number;
  onSkew(ms: number): void;
}

const REASONS: Readonly<Record<LostWrite['reason'], string>> = {
  concurrent: 'concurrent: neither writer had seen the other write',
  'clock-skew': 'clock skew: written after seeing the winner, but stamped earlier',
};

const times = (entry: LostWrite) => ledgerTimes(entry, formatTime);

/** Every write the last-writer-wins engine lost: who, what, when (wall time and skewed clock), and who beat it. */
export function LedgerPanel({ ledger, text, skewMs, onSkew }: LedgerPanelProps) {
  const lostText = ledger.filter((e) => e.field === 'text' && typeof e.value === 'string');
  return (
    <div className="ledger">
      <SkewControl skewMs={skewMs} onSkew={onSkew} />
      {ledger.length === 0 ? (
        <p className="empty" data-testid="ledger-empty">
          No lost writes yet. To make one: switch two windows Offline, set the note (or edit the text) in
          both, then go back online. Last-writer-wins keeps the write with the later clock (set a clock skew
          above or in the header to change who wins) and lists the other here.
        </p>
      ) : (
        <ol className="ledger-list">
          {ledger.map((entry) => {
            const when = times(entry);
            return (
              <li
                key={`${entry.replica}:${entry.counter}:${entry.field}`}
                className="ledger-entry"
                data-testid="ledger-entry"
              >
                <div className="ledger-line">
                  <Who id={entry.replica} /> wrote <span className="mono">{entry.field}</span> ={' '}
                  <span className="lost-value">{formatValue(entry.value)}</span>
                  <span className="muted small">
                    {' '}
                    (write #{entry.counter}, {entry.op})
                  </span>
                </div>
                <div className="small ledger-time" data-testid="ledger-lost-time">
                  {when.lost}
                </div>
                <div className="ledger-line">
                  beaten by <Who id={entry.overwrittenBy.replica} /> ={' '}
                  <span className="mono">{formatValue(entry.overwrittenBy.value)}</span>
                </div>
                <div className="small ledger-time" data-testid="ledger-winner-time">
                  {when.winner}
                </div>
                <div className="small" data-testid="ledger-comparison">
                  {when.comparison}
                </div>
                <div className="small muted">{REASONS[entry.reason]}</div>
              </li>
            );
          })}
        </ol>
      )}
      {lostText.length > 0 && text !== undefined ? (
        <div className="lost-text">
          <h3>Lost text, struck through where it would have been</h3>
          <p className="lost-text-body" data-testid="ledger-lost-text">
            {strikeLostText(
              text,
              lostText.map((e) => ({ replica: e.replica, text: String(e.value) })),
            ).map((segment, index) =>
              segment.kind === 'kept' ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: segments are identified by their order
                <span key={index}>{segment.text}</span>
              ) : (
                // biome-ignore lint/suspicious/noArrayIndexKey: as above
                <del key={index} title={`lost write of ${segment.replica}`}>
                  {segment.text}
                </del>
              ),
            )}
          </p>
        </div>
      ) : null}
    </div>
  );
}

function Who({ id }: { id: string }) {
  return (
    <span className="who" style={{ '--replica-hue': replicaHue(id) } as CSSProperties}>
      <span className="replica-dot" aria-hidden="true" />
      {id}
    </span>
  );
}
