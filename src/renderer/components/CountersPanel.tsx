import type { NamedField } from '@converge/replica';
import { memo } from 'react';
import type { ReplicaClient } from '../worker/replica-client.ts';

export interface CountersPanelProps {
  readonly model: ReplicaClient;
  /** The workspace's counters (both kinds), in declaration order. */
  readonly fields: readonly NamedField[];
  readonly counters: Readonly<Record<string, number>>;
}

/** Every counter of the workspace: one that only grows gets +1, one that goes both ways −1, +1 and +10. */
export const CountersPanel = memo(function CountersPanel({ model, fields, counters }: CountersPanelProps) {
  const bump = (field: NamedField, by: number): void => {
    if (field.kind === 'counter' || field.kind === 'pn-counter')
      void model.applyEdit({ kind: field.kind, field: field.name, action: 'increment', by });
  };
  return (
    <section className="panel" aria-labelledby="counters-title">
      <div className="panel-head">
        <h2 id="counters-title">Counters</h2>
      </div>
      <div className="counters">
        {fields.map((field) => {
          const value = counters[field.name] ?? 0;
          const growOnly = field.kind === 'counter';
          return (
            <div className="counter" key={field.name}>
              <span className="counter-label">
                {field.label} <span className="muted small">{growOnly ? 'only grows' : 'up and down'}</span>
              </span>
              <output
                className={value < 0 ? 'counter-value negative' : 'counter-value'}
                data-testid={`counter-${field.name}`}
              >
                {value}
              </output>
              <span className="counter-actions">
                {growOnly ? (
                  <button
                    type="button"
                    onClick={() => bump(field, 1)}
                    aria-label={`${field.label} +1`}
                    data-testid={`${field.name}-inc`}
                  >
                    +1
                  </button>
                ) : (
                  <>
                    <button
                      type="button"
                      onClick={() => bump(field, -1)}
                      aria-label={`${field.label} −1`}
                      data-testid={`${field.name}-dec`}
                    >
                      −1
                    </button>
                    <button
                      type="button"
                      onClick={() => bump(field, 1)}
                      aria-label={`${field.label} +1`}
                      data-testid={`${field.name}-inc`}
                    >
                      +1
                    </button>
                    <button type="button" onClick={() => bump(field, 10)} aria-label={`${field.label} +10`}>
                      +10
                    </button>
                  </>
                )}
              </span>
            </div>
          );
        })}
      </div>
    </section>
  );
});
