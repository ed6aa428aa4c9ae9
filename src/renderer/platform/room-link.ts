/**
 * Rooms in web mode's page URL: `?room=NAME` opens a room (else web mode's own room), and a room link is
 * the page URL with that room, without this tab's `?replica=` (whoever opens it gets a replica of their
 * own) and with web mode's launch key after `#key=` when this page has it, so the link alone lets another
 * tab (of this browser or another) join; a page opened without a key asks for it.
 */
import { idProblem } from '@converge/protocol';

export interface RoomFromUrl {
  readonly room: string;
  /** Why `?room=` was not used (an invalid name), for a notice. */
  readonly problem?: string;
}

/** The room a page opens: `?room=` when valid, else `fallback` (web mode's room). */
export function roomFromPageUrl(href: string, fallback: string): RoomFromUrl {
  const given = new URL(href).searchParams.get('room');
  if (given === null || given === fallback) return { room: fallback };
  const problem = idProblem(given);
  if (problem !== undefined)
    return { room: fallback, problem: `room ${JSON.stringify(given)} ${problem}; opened ${fallback}` };
  return { room: given };
}

/** A link that opens `room` in a new tab: this page's address with the room, no replica, and the key. */
export function roomLink(pageHref: string, room: string, launchKey: string | undefined): string {
  const url = new URL(pageHref);
  url.search = '';
  url.hash = '';
  url.searchParams.set('room', room);
  return launchKey === undefined ? url.href : `${url.href}#key=${launchKey}`;
}

/** This page's address in another room, keeping its replica id (switching rooms in this tab). */
export function switchRoomUrl(pageHref: string, room: string): string {
  const url = new URL(pageHref);
  url.hash = '';
  url.searchParams.set('room', room);
  return url.href;
}

/** "room-" and 6 base-36 characters: a new room nobody has used (Reset / New room). */
export function freshRoomName(randomUint32: () => number): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let name = 'room-';
  for (let i = 0; i < 6; i++) name += alphabet[randomUint32() % alphabet.length];
  return name;
}

// One rule for the store's name: the worker's read-ahead guesses it with the same function.
export { storeNameFor } from '../worker/store-hint.ts';
