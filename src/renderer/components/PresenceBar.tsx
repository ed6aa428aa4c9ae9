import type { PeerPresence } from '@converge/replica';
import { type CSSProperties, memo } from 'react';

const STATUS_TEXT: Readonly<Record<PeerPresence['status'], string>> = {
  here: 'here',
  'cut-off': 'cut off',
  offline: 'offline',
};

const PANEL_TEXT: Readonly<Record<string, string>> = {
  compare: 'Compare',
  network: 'Network',
  ledger: 'Lost writes',
  wire: 'Wire log',
  session: 'Session file',
  history: 'History',
};

export interface PresenceBarProps {
  readonly name: string;
  readonly colour: string;
  readonly peers: readonly PeerPresence[];
  /** This window is offline: it hears nobody. */
  readonly offline: boolean;
  onName(name: string): void;
  onColour(colour: string): void;
}

/** Who is here: this window's name and colour (editable), then every peer heard from, here or not. */
export function PresenceBar({ name, colour, peers, offline, onName, onColour }: PresenceBarProps) {
  return (
    <section className="presence-bar" aria-label="Who is here" data-testid="presence-list">
      <PresenceSelf name={name} colour={colour} onName={onName} onColour={onColour} />
      {peers.length === 0 ? (
        <span className="muted small">
          {offline ? 'offline: nobody can be seen' : 'nobody else here yet'}
        </span>
      ) : (
        <ul className="presence-peers">
          {peers.map((peer) => (
            <li
              key={peer.id}
              className={`presence-peer presence-${peer.status}`}
              style={{ '--peer-colour': peer.colour } as CSSProperties}
              data-testid={`presence-${peer.id}`}
              data-status={peer.status}
              title={`${peer.name || peer.id} (replica ${peer.id}) is ${STATUS_TEXT[peer.status]}${peer.panel ? `, looking at ${PANEL_TEXT[peer.panel] ?? peer.panel}` : ''}${peer.status === 'cut-off' ? ': a cut link hides its edits and presence' : ''}`}
            >
              <span className="presence-dot" aria-hidden="true" />
              <span className="presence-name">{peer.name || peer.id}</span>
              {peer.status !== 'here' ? (
                <span className="presence-status">{STATUS_TEXT[peer.status]}</span>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * This window's name and colour: rendered again only when they or their handlers change, not on every
 * peer's caret move (React sets an input's attributes anew each time it renders it).
 */
const PresenceSelf = memo(function PresenceSelf({
  name,
  colour,
  onName,
  onColour,
}: Pick<PresenceBarProps, 'name' | 'colour' | 'onName' | 'onColour'>) {
  return (
    <label className="presence-self" style={{ '--peer-colour': colour } as CSSProperties}>
      <span className="presence-dot" aria-hidden="true" />
      <span className="visually-hidden">Your name, as the others see it</span>
      <input
        type="text"
        value={name}
        maxLength={40}
        placeholder="your name"
        onChange={(event) => onName(event.target.value)}
        data-testid="display-name"
        title="Your name, shown to the others in the room next to your caret"
      />
      <input
        type="color"
        value={colour}
        onChange={(event) => onColour(event.target.value)}
        aria-label="Your colour"
        data-testid="display-colour"
      />
    </label>
  );
});
