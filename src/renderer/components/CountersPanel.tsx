import type { CounterName } from '@converge/replica';
import { memo } from 'react';
import type { AppModel } from '../logic/app-model.ts';

export interface CountersPanelProps {
  readonly model: AppModel;
  readonly counters: Readonly<Record<CounterName, number>>;
}

export const CountersPanel = memo(function CountersPanel({ model, counters }: CountersPanelProps) {
  const bump = (name: CounterName, by: number): void => {
    void model.apply({ op: 'counter.increment', name, by });
  };
  return (
    <section className="panel" aria-labelledby="counters-title">
      <div className="panel-head">
        <h2 id="counters-title">Counters</h2>
      </div>
      <div className="counters">
        <div className="counter">
          <span className="counter-label">
            Likes <span className="muted small">only grows</span>
          </span>
          <output className="counter-value" data-testid="counter-likes">
            {counters.likes}
          </output>
          <span className="counter-actions">
            <button
              type="button"
              onClick={() => bump('likes', 1)}
              aria-label="Like (+1)"
              data-testid="likes-inc"
            >
              +1
            </button>
          </span>
        </div>
        <div className="counter">
          <span className="counter-label">
            Stock <span className="muted small">up and down</span>
          </span>
          <output
            className={counters.stock < 0 ? 'counter-value negative' : 'counter-value'}
            data-testid="counter-stock"
          >
            {counters.stock}
          </output>
          <span className="counter-actions">
            <button
              type="button"
              onClick={() => bump('stock', -1)}
              aria-label="Stock −1"
              data-testid="stock-dec"
            >
              −1
            </button>
            <button
              type="button"
              onClick={() => bump('stock', 1)}
              aria-label="Stock +1"
              data-testid="stock-inc"
            >
              +1
            </button>
            <button type="button" onClick={() => bump('stock', 10)} aria-label="Stock +10">
              +10
            </button>
          </span>
        </div>
      </div>
    </section>
  );
});
