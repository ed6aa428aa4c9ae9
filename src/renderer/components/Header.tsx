import { ENGINE_NAMES, type EngineName } from '@converge/replica';
import type { CSSProperties } from 'react';
import { formatSkew, replicaHue } from '../logic/format.ts';

export const ENGINE_LABELS: Readonly<Record<EngineName, string>> = {
  converge: 'converge',
  yjs: 'yjs',
  automerge: 'automerge',
  lww: 'LWW mode',
};

export interface HeaderProps {
  readonly replicaId: string;
  readonly room: string;
  readonly platform: 'electron' | 'web';
  readonly connection: 'connecting' | 'online' | 'offline';
  readonly offline: boolean;
  /** Room nodes this replica cannot reach; undefined when the relay's view is unknown. */
  readonly cutOffFrom: readonly string[] | undefined;
  readonly peers: readonly string[];
  readonly primary: EngineName;
  readonly hosted: readonly EngineName[];
  readonly skewMs: number;
  readonly relayProblem: string | undefined;
  onToggleOffline(): void;
  onPrimary(engine: EngineName): void;
  onNewReplica(): void;
}

export function Header(props: HeaderProps) {
  const hue = replicaHue(props.replicaId);
  const { label, tone, detail } = connectionBadge(props);
  return (
    <header className="app-header" style={{ '--replica-hue': hue } as CSSProperties}>
      <div className="brand">Converge</div>
      <div className="identity">
        <span className="replica-dot" aria-hidden="true" />
        <span>
          replica <strong data-testid="replica-id">{props.replicaId}</strong>
        </span>
        <span className="muted">
          room <strong data-testid="room">{props.room}</strong>
        </span>
      </div>
      <output
        className={`badge badge-${tone}`}
        data-testid="connection-state"
        title={detail}
        aria-live="polite"
      >
        {label}
      </output>
      <button
        type="button"
        className={props.offline ? 'toggle toggle-on' : 'toggle'}
        aria-pressed={props.offline}
        onClick={props.onToggleOffline}
        data-testid="offline-toggle"
        title="Close the connection to the relay; edits keep working locally (Alt+O)"
      >
        {props.offline ? 'Offline: on' : 'Offline: off'}
        <kbd>Alt+O</kbd>
      </button>
      <label className="field-inline">
        <span>Edit with</span>
        <select
          value={props.primary}
          onChange={(event) => props.onPrimary(event.target.value as EngineName)}
          data-testid="engine-select"
        >
          {ENGINE_NAMES.map((engine) => (
            <option key={engine} value={engine} disabled={!props.hosted.includes(engine)}>
              {ENGINE_LABELS[engine]}
              {props.hosted.includes(engine) ? '' : ' (unavailable)'}
            </option>
          ))}
        </select>
      </label>
      {props.skewMs !== 0 ? (
        <span
          className="badge badge-warn"
          data-testid="skew-badge"
          title="This replica's clock skew (LWW stamps writes with it)"
        >
          clock {formatSkew(props.skewMs)}
        </span>
      ) : null}
      <button
        type="button"
        className="secondary"
        onClick={props.onNewReplica}
        title={`Open another ${props.platform === 'web' ? 'tab' : 'window'} with a new replica (Alt+N)`}
      >
        New replica
      </button>
      {props.relayProblem !== undefined && props.connection !== 'online' && !props.offline ? (
        <p className="header-problem" role="status">
          {props.relayProblem}
        </p>
      ) : null}
    </header>
  );
}

function connectionBadge(props: HeaderProps): { label: string; tone: string; detail: string } {
  if (props.offline)
    return { label: 'offline', tone: 'off', detail: 'Offline: the connection is closed by you' };
  if (props.connection === 'connecting')
    return { label: 'connecting…', tone: 'warn', detail: 'Connecting to the relay' };
  if (props.connection === 'offline')
    return { label: 'disconnected', tone: 'off', detail: 'Not connected to the relay' };
  const cut = props.cutOffFrom ?? [];
  if (cut.length > 0) {
    return {
      label: `online · cut off from ${cut.length} peer${cut.length === 1 ? '' : 's'}`,
      tone: 'warn',
      detail: `Cannot reach: ${cut.join(', ')}`,
    };
  }
  const n = props.peers.length;
  return {
    label: `online · ${n} peer${n === 1 ? '' : 's'}`,
    tone: 'ok',
    detail: n === 0 ? 'Connected; no other node in the room yet' : `Syncing with ${props.peers.join(', ')}`,
  };
}
