import { type FormEvent, useEffect, useState } from 'react';
import { formatSkew } from '../logic/format.ts';

export interface SkewControlProps {
  readonly skewMs: number;
  onSkew(ms: number): void;
}

const PRESETS = [-60_000, -5_000, 0, 5_000, 60_000];
const LIMIT_MS = 24 * 3600 * 1000;

/** This replica's clock skew: LWW stamps its writes with wall clock + skew, so skew decides who wins. */
export function SkewControl({ skewMs, onSkew }: SkewControlProps) {
  const [draft, setDraft] = useState(String(skewMs / 1000));
  useEffect(() => setDraft(String(skewMs / 1000)), [skewMs]);
  const onSubmit = (event: FormEvent): void => {
    event.preventDefault();
    const seconds = Number(draft);
    if (!Number.isFinite(seconds)) return;
    onSkew(Math.max(-LIMIT_MS, Math.min(LIMIT_MS, Math.round(seconds * 1000))));
  };
  return (
    <form className="skew" onSubmit={onSubmit} aria-label="Clock skew">
      <label className="field narrow">
        <span>Clock skew (s)</span>
        <input
          type="number"
          step="0.1"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          data-testid="skew-input"
        />
      </label>
      <button
        type="submit"
        disabled={Number(draft) * 1000 === skewMs || !Number.isFinite(Number(draft))}
        data-testid="skew-apply"
      >
        Set
      </button>
      <fieldset className="button-row plain">
        <legend className="visually-hidden">Skew presets</legend>
        {PRESETS.map((ms) => (
          <button
            key={ms}
            type="button"
            className={ms === skewMs ? 'chip active' : 'chip'}
            aria-pressed={ms === skewMs}
            onClick={() => onSkew(ms)}
          >
            {formatSkew(ms)}
          </button>
        ))}
      </fieldset>
      <span className="muted small">
        now {formatSkew(skewMs)}; only last-writer-wins reads the clock (also in the header)
      </span>
    </form>
  );
}
