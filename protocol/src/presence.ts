/**
 * Presence: what a window tells the others about the person at it — a display name, a colour, the
 * panel it shows and its caret and selection in a text field — like Yjs awareness. It is a replica
 * message of its own kind on its own channel: relayed like any payload (so a cut link hides it as it
 * hides edits), never stored, and forgotten by a receiver that hears no renewal within PRESENCE_TIMEOUT_MS.
 */
import { DecodeError, type Decoder, type Encoder } from '@converge/crdt-core';
import { MAX_CHANNEL } from './channels.ts';
import { ProtocolError } from './frames.ts';

/** The channel presence travels on; no engine may claim it (the engine registry refuses it). */
export const PRESENCE_CHANNEL = MAX_CHANNEL;
/** A receiver forgets a presence it has not heard renewed for this long (Yjs awareness: 30 s). */
export const PRESENCE_TIMEOUT_MS = 30_000;
/** A sender renews its presence this often, well inside the timeout. */
export const PRESENCE_RENEW_MS = 15_000;

export const MAX_PRESENCE_NAME_LENGTH = 40;
export const MAX_PRESENCE_PANEL_LENGTH = 32;
export const MAX_PRESENCE_FIELD_LENGTH = 64;
/** Caret offsets are UTF-16 indices into a text field; texts are far below this. */
const MAX_OFFSET = 2 ** 31 - 1;
const COLOUR_PATTERN = /^#[0-9a-f]{6}$/;

/** A caret (head) and the other end of its selection (anchor; equal to head when nothing is selected). */
export interface PresenceCaret {
  readonly field: string;
  readonly anchor: number;
  readonly head: number;
}

export interface PresenceState {
  /** Grows with every announcement, so a receiver keeps the newest one through duplicates and reordering. */
  readonly seq: number;
  readonly name: string;
  /** `#rrggbb`, lowercase. */
  readonly colour: string;
  /** The panel the window shows (a tab id), '' when unknown. */
  readonly panel: string;
  readonly caret: PresenceCaret | null;
}

/** Why a presence state cannot be sent, or undefined when it can. */
export function presenceProblem(state: PresenceState): string | undefined {
  if (!(Number.isSafeInteger(state.seq) && state.seq >= 0)) return 'seq must be a non-negative safe integer';
  if (typeof state.name !== 'string' || state.name.length > MAX_PRESENCE_NAME_LENGTH)
    return `name must be a string of at most ${MAX_PRESENCE_NAME_LENGTH} characters`;
  if (typeof state.colour !== 'string' || !COLOUR_PATTERN.test(state.colour))
    return 'colour must be #rrggbb in lowercase hex';
  if (typeof state.panel !== 'string' || state.panel.length > MAX_PRESENCE_PANEL_LENGTH)
    return `panel must be a string of at most ${MAX_PRESENCE_PANEL_LENGTH} characters`;
  const { caret } = state;
  if (caret !== null) {
    if (
      typeof caret.field !== 'string' ||
      caret.field.length === 0 ||
      caret.field.length > MAX_PRESENCE_FIELD_LENGTH
    )
      return `caret field must be a non-empty string of at most ${MAX_PRESENCE_FIELD_LENGTH} characters`;
    for (const offset of [caret.anchor, caret.head]) {
      if (!(Number.isSafeInteger(offset) && offset >= 0 && offset <= MAX_OFFSET))
        return 'caret offsets must be non-negative integers';
    }
  }
  return undefined;
}

/** Write a presence state (checked) after a message's kind byte (replica-message.ts encodes the message). */
export function writePresence(e: Encoder, state: PresenceState): Encoder {
  const problem = presenceProblem(state);
  if (problem !== undefined) throw new ProtocolError(`presence: ${problem}`);
  e.uint(state.seq).string(state.name).string(state.colour).string(state.panel);
  if (state.caret === null) e.byte(0);
  else e.byte(1).string(state.caret.field).uint(state.caret.anchor).uint(state.caret.head);
  return e;
}

/** Read a presence body (after the kind byte); throws DecodeError for anything invalid. */
export function readPresence(d: Decoder): PresenceState {
  const start = d.offset;
  const seq = d.uint();
  const name = d.string();
  const colour = d.string();
  const panel = d.string();
  const flagAt = d.offset;
  const flag = d.byte();
  let caret: PresenceCaret | null = null;
  if (flag === 1) caret = { field: d.string(), anchor: d.uint(), head: d.uint() };
  else if (flag !== 0) throw new DecodeError('caret flag must be 0 or 1', flagAt);
  const state: PresenceState = { seq, name, colour, panel, caret };
  const problem = presenceProblem(state);
  if (problem !== undefined) throw new DecodeError(`presence ${problem}`, start);
  return state;
}
