import type { EngineName } from '@converge/replica';
import type { EngineFacts } from '@converge/replica/descriptors';
import type { CSSProperties } from 'react';
import { formatSkew, replicaHue } from '../logic/format.ts';
import type { RelayProblemText } from '../logic/relay-problem.ts';

/** Clock skews the header offers; the Lost writes tab sets any other. */
const SKEW_PRESETS = [-60_000, -5_000, 0, 5_000, 60_000];

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
  /** The engines this replica hosts, in display order. */
  readonly engines: readonly EngineFacts[];
  readonly skewMs: number;
  readonly relayProblem: RelayProblemText | undefined;
  onToggleOffline(): void;
  onPrimary(engine: EngineName): void;
  onNewReplica(): void;
  onSkew(ms: number): void;
}

export function Header(props: HeaderProps) {
  const hue = replicaHue(props.replicaId);
  const { label, tone, detail } = connectionBadge(props);
  const where = props.platform === 'web' ? 'tab' : 'window';
  return (
    <header className="app-header" style={{ '--replica-hue': hue } as CSSProperties}>
      <div className="brand">Converge</div>
      <div className="identity">
        <span className="replica-dot" aria-hidden="true" />
        <span
          title={`This ${where}'s replica: its own copy of the workspace (${props.platform === 'web' ? "in this browser's IndexedDB" : 'on disk'}), named ${props.replicaId}. It syncs with the others in the room.`}
        >
          This {where} <strong data-testid="replica-id">{props.replicaId}</strong>
        </span>
        <span className="muted" title="Everyone in the same room shares one workspace">
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
          title={`The engine whose text you type into: ${props.engines.find((e) => e.name === props.primary)?.description ?? props.primary}. Every edit goes to all ${props.engines.length}.`}
          data-testid="engine-select"
        >
          {props.engines.map(({ name, label, description }) => (
            <option key={name} value={name} title={description}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label
        className={props.skewMs !== 0 ? 'field-inline clock skewed' : 'field-inline clock'}
        title="This replica's clock skew. Last-writer-wins stamps each write with the wall clock plus this skew, so a clock ahead wins; the Lost writes tab says which time is which. Any value: Lost writes tab."
      >
        <span>Clock</span>
        <select
          value={props.skewMs}
          onChange={(event) => props.onSkew(Number(event.target.value))}
          data-testid="skew-select"
        >
          {(SKEW_PRESETS.includes(props.skewMs)
            ? SKEW_PRESETS
            : [...SKEW_PRESETS, props.skewMs].sort((a, b) => a - b)
          ).map((ms) => (
            <option key={ms} value={ms}>
              {ms === 0 ? 'exact' : formatSkew(ms)}
            </option>
          ))}
        </select>
        {props.skewMs !== 0 ? (
          <span className="badge badge-warn" data-testid="skew-badge">
            skewed {formatSkew(props.skewMs)}
          </span>
        ) : null}
      </label>
      <button
        type="button"
        className="secondary"
        onClick={props.onNewReplica}
        title={`Open another ${props.platform === 'web' ? 'tab' : 'window'} with a new replica (Alt+N)`}
      >
        New replica
      </button>
      {props.relayProblem !== undefined && props.connection !== 'online' && !props.offline ? (
        <p className="header-problem" role="status" title={props.relayProblem.detail}>
          {props.relayProblem.text}
        </p>
      ) : null}
    </header>
  );
}

function connectionBadge(props: HeaderProps): { label: string; tone: string; detail: string } {
  if (props.offline)
    return { label: 'offline', tone: 'off', detail: 'Offline: the connection is closed by you' };
  if (props.connection === 'connecting') {
    return {
      label: 'connecting…',
      tone: 'warn',
      detail: `Connecting to the relay${props.relayProblem !== undefined ? ` (${props.relayProblem.detail})` : ''}`,
    };
  }
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
