import type { EngineName, TrafficCounters } from '@converge/replica';
import type { EngineFacts } from '@converge/replica/descriptors';
import type { EngineConvergence } from '../logic/convergence.ts';
import { formatBytes } from '../logic/format.ts';
import { ConvergedBadge } from './ConvergedBadge.tsx';

export interface EngineStripProps {
  /** The hosted engines, in display order. */
  readonly engines: readonly EngineFacts[];
  readonly primary: EngineName;
  readonly convergence: Readonly<Partial<Record<EngineName, EngineConvergence>>>;
  readonly traffic: Readonly<Partial<Record<EngineName, TrafficCounters>>>;
  /** This window is not connected (see ConvergedBadge). */
  readonly offline: boolean;
  /** Engines still loading the stored document (a window opens its primary engine first). */
  readonly loading: readonly EngineName[];
  /** Engines catching up on a large edit (they take it after the others). */
  readonly behind: readonly EngineName[];
}

/** One line per engine, always visible: converged with every replica?, and this replica's traffic. */
export function EngineStrip({
  engines,
  primary,
  convergence,
  traffic,
  offline,
  loading,
  behind,
}: EngineStripProps) {
  return (
    <section className="engine-strip" aria-label="Engines">
      {engines.map(({ name: engine, label, description }) => {
        const counters = traffic[engine];
        return (
          <div key={engine} className={engine === primary ? 'engine-card primary' : 'engine-card'}>
            <div className="engine-name" title={description}>
              {label}
              {engine === primary ? <span className="tag">editing</span> : null}
            </div>
            <ConvergedBadge
              engine={engine}
              convergence={convergence[engine]}
              hosted={counters !== undefined}
              loading={loading.includes(engine)}
              behind={behind.includes(engine)}
              offline={offline}
            />
            {counters !== undefined ? (
              <div className="muted small" data-testid={`traffic-${engine}`}>
                ↑ {counters.framesSent} frames · {formatBytes(counters.bytesSent)} &nbsp; ↓{' '}
                {counters.framesReceived} · {formatBytes(counters.bytesReceived)}
                {counters.framesRejected > 0 ? (
                  <span className="warn-text"> · {counters.framesRejected} rejected</span>
                ) : null}
              </div>
            ) : null}
          </div>
        );
      })}
    </section>
  );
}
