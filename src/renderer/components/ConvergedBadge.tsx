import type { EngineName } from '@converge/replica';
import type { EngineConvergence } from '../logic/convergence.ts';

export interface ConvergedBadgeProps {
  readonly engine: EngineName;
  readonly convergence: EngineConvergence | undefined;
  readonly hosted: boolean;
  /** The engine is still loading its stored document: nothing to compare yet. */
  readonly loading?: boolean;
  /** The engine fell behind on a large edit and is catching up: compared once it has. */
  readonly behind?: boolean;
  /** This window is not connected (Offline, or the relay out of reach): it hears from no peer. */
  readonly offline?: boolean;
  /** Short wording for narrow places (the compare cards). */
  readonly compact?: boolean;
}

/** An engine not compared yet, and why: its words, short (compare cards) and long (engine strip). */
const WAITING = {
  loading: {
    title: "This engine is still loading this window's stored document: it is compared once loaded",
    short: '… loading',
    long: '… loading the stored document',
  },
  behind: {
    title:
      'This engine is taking in a large edit in pieces, after the others: it is compared once it has caught up',
    short: '… catching up',
    long: '… catching up on a large edit',
  },
} as const;

/** "converged with every replica" from digests (or versions), with the evidence per peer in the title. */
export function ConvergedBadge({
  engine,
  convergence,
  hosted,
  loading = false,
  behind = false,
  offline = false,
  compact = false,
}: ConvergedBadgeProps) {
  // The strip's badge is the one tests read; the compare cards repeat it in short.
  const testId = compact ? `compare-converged-${engine}` : `converged-${engine}`;
  // Before `hosted`: a loading or catching-up engine is hosted though it has no status yet (engines are
  // built as they load).
  const waiting = loading ? 'loading' : behind ? 'behind' : undefined;
  if (waiting !== undefined) {
    const { title, short, long } = WAITING[waiting];
    return (
      <span className="badge badge-off" data-testid={testId} data-state={waiting} title={title}>
        {compact ? short : long}
      </span>
    );
  }
  if (!hosted) {
    return (
      <span className="badge badge-off" data-testid={testId} data-state="unavailable">
        {compact ? 'n/a' : 'not available in this build'}
      </span>
    );
  }
  if (offline) {
    const n = convergence?.peers.length ?? 0;
    const names = convergence?.peers.map((p) => p.peer).join(', ') ?? '';
    return (
      <span
        className="badge badge-off"
        data-testid={testId}
        data-state="offline"
        title={`Not connected: this window hears from no other replica, so it cannot tell whether it matches them${n > 0 ? ` (${names})` : ''}. It checks again once it is back online.`}
      >
        {compact
          ? '? offline'
          : `? offline: ${n === 0 ? 'cannot check' : `${n} replica${n === 1 ? '' : 's'} not checked`}`}
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
      ?{' '}
      {compact
        ? `${unknown}/${convergence.peers.length}`
        : `can't tell for ${unknown} of ${convergence.peers.length}`}
    </span>
  );
}
