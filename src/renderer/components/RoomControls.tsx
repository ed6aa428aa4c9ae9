import { idProblem } from '@converge/protocol';
import { type FormEvent, memo, useState } from 'react';

export interface RoomControlsProps {
  readonly room: string;
  /** The link that opens this room (with the credential when it travels with it). */
  readonly link: string;
  readonly platform: 'electron' | 'web';
  onOpen(room: string): void;
  onFreshRoom(): string;
  onCopied(ok: boolean): void;
}

/**
 * The room: its link to copy, another room to open by name, a new room, and Reset (a new empty room).
 * Memoized: nothing in it changes while peers type, and its inputs are rewritten on every render.
 */
export const RoomControls = memo(function RoomControls({
  room,
  link,
  platform,
  onOpen,
  onFreshRoom,
  onCopied,
}: RoomControlsProps) {
  const [name, setName] = useState('');
  const problem = name === '' ? undefined : idProblem(name);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (name !== '' && problem === undefined && name !== room) onOpen(name);
  };
  const copy = (): void => {
    navigator.clipboard.writeText(link).then(
      () => onCopied(true),
      () => onCopied(false),
    );
  };
  const where = platform === 'web' ? 'in this tab' : 'in a new window';
  return (
    <section className="room-controls" aria-label="Room">
      <input
        className="room-link"
        readOnly
        value={link}
        aria-label="Link to this room"
        onFocus={(event) => event.currentTarget.select()}
        data-testid="room-link"
        title="Whoever opens this link joins this room with a replica of their own"
      />
      <button type="button" className="secondary" onClick={copy} data-testid="copy-room-link">
        Copy link
      </button>
      <form onSubmit={submit} className="room-open">
        <input
          className="room-name"
          value={name}
          onChange={(event) => setName(event.target.value.trim())}
          placeholder="room name"
          aria-label="Room to open"
          aria-invalid={problem !== undefined}
          title={
            problem === undefined ? `Open another room ${where}; this one keeps its data` : `room ${problem}`
          }
          data-testid="room-name-input"
        />
        <button
          type="submit"
          className="secondary"
          disabled={name === '' || problem !== undefined}
          data-testid="open-room"
        >
          Open room
        </button>
      </form>
      <button
        type="button"
        className="secondary"
        onClick={() => onOpen(onFreshRoom())}
        data-testid="reset-room"
        title={`Reset: start over in a new, empty room ${where}. Nothing is deleted: room ${room} keeps its data for everyone in it, and its link still opens it.`}
      >
        Reset (new room)
      </button>
    </section>
  );
});
