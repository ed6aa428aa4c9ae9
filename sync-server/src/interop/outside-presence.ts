/**
 * How an outside client shows in the room's presence list: its bridge replica announces presence for it,
 * like any window, named and coloured after what the client publishes about itself (a y-websocket
 * awareness state's `user: { name, color }`, as y-codemirror and most Yjs apps set it), else after its
 * protocol and id. Outside clients report no caret the windows could place (Yjs carets are relative
 * positions in the client's own document), so none is shown.
 */
import { MAX_PRESENCE_NAME_LENGTH } from '@converge/protocol';
import type { LocalPresence } from '@converge/replica';
import type { OutsideClient } from './presence.ts';

const PANEL: Readonly<Record<string, string>> = { yjs: 'y-websocket', automerge: 'automerge-repo' };
const LABEL: Readonly<Record<string, string>> = { yjs: 'Yjs', automerge: 'Automerge' };
/** Colours for clients that publish none (picked by their id, so each keeps its colour). */
const PALETTE = ['#8e44ad', '#16a085', '#d35400', '#2c3e50', '#c0392b', '#27ae60'] as const;

/** The presence a bridge announces for its identity's clients (the first one names it), or undefined for none. */
export function outsidePresence(clients: readonly OutsideClient[]): LocalPresence | undefined {
  const [first] = clients;
  if (first === undefined) return undefined;
  const user = userOf(first.state);
  const named = clients.map((client) => nameOf(userOf(client.state))).find((name) => name !== undefined);
  const name = named ?? `${LABEL[first.protocol] ?? first.protocol} client ${first.client}`;
  return {
    name: name.slice(0, MAX_PRESENCE_NAME_LENGTH),
    colour: colourOf(user) ?? (PALETTE[hash(first.client) % PALETTE.length] as string),
    panel: PANEL[first.protocol] ?? '',
    caret: null,
  };
}

function userOf(state: unknown): Record<string, unknown> | undefined {
  if (state === null || typeof state !== 'object') return undefined;
  const user = (state as Record<string, unknown>).user;
  return user !== null && typeof user === 'object' ? (user as Record<string, unknown>) : undefined;
}

function nameOf(user: Record<string, unknown> | undefined): string | undefined {
  const name = user?.name;
  if (typeof name !== 'string') return undefined;
  const clean = name.replace(/\s+/g, ' ').trim();
  return clean === '' ? undefined : clean;
}

/** `#rrggbb` (or `#rgb`) in any case, as the protocol's lowercase `#rrggbb`. */
function colourOf(user: Record<string, unknown> | undefined): string | undefined {
  const colour = user?.color ?? user?.colour;
  if (typeof colour !== 'string') return undefined;
  const long = /^#([0-9a-f]{6})$/i.exec(colour);
  if (long !== null) return `#${(long[1] as string).toLowerCase()}`;
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(colour);
  if (short === null) return undefined;
  return `#${short
    .slice(1)
    .map((digit) => digit.repeat(2))
    .join('')
    .toLowerCase()}`;
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0;
  return h;
}
