import type { EngineName } from '@converge/replica';
import type { EngineConvergence } from '../logic/convergence.ts';

export interface ConvergedBadgeProps {
  readonly engine: EngineName;
  readonly convergence: EngineConvergence | undefined;
  readonly hosted: boolean;
  /** Short wording for narrow places (the compare cards). */
  readonly compact?: boolean;
}

/** "converged with every replica" from digests (or versions), with the evidence per peer in the title. */
export function ConvergedBadge({ engine, convergence, hosted, compact = false }: ConvergedBadgeProps) {
  // The strip's badge is the one tests read; the compare cards repeat it in short.
  const testId = compact ? `compare-converged-${engine}` : `converged-${engine}`;
  if (!hosted) {
    return (
      <span className="badge badge-off" data-testid={testId} data-state="unavailable">
        {compact ? 'n/a' : 'not available in this build'}
      </span>
    );
  }
  if (convergence === undefined || convergence.peers.length === 0) {
    return (
      <span
        className="badge badge-off"
        data-testid={testId}
        data-state="alone"
        title="No other replica known in this room"
      >
        {compact ? 'alone' : 'no other replica'}
      </span>
    );
  }
  const evidence = convergence.peers
    .map(
      (p) =>
        `${p.peer}: ${p.same === true ? 'same' : p.same === false ? 'differs' : 'unknown'} (${p.basis === 'none' ? 'no digest or version yet' : `by ${p.basis}`})`,
    )
    .join('\n');
  const differing = convergence.peers.filter((p) => p.same === false).length;
  const unknown = convergence.peers.filter((p) => p.same === undefined).length;
  if (convergence.converged === true) {
    return (
      <span className="badge badge-ok" data-testid={testId} data-state="converged" title={evidence}>
        ✓ converged
        {compact
          ? ''
          : ` with ${convergence.peers.length === 1 ? '1 replica' : `all ${convergence.peers.length} replicas`}`}
      </span>
    );
  }
  if (convergence.converged === false) {
    return (
      <span className="badge badge-bad" data-testid={testId} data-state="diverged" title={evidence}>
        ≠ differs
        {compact
          ? ` (${differing}/${convergence.peers.length})`
          : ` from ${differing} of ${convergence.peers.length}`}
      </span>
    );
  }
  return (
    <span className="badge badge-warn" data-testid={testId} data-state="unknown" title={evidence}>
      ? {unknown} of {convergence.peers.length} unknown
    </span>
  );
}
