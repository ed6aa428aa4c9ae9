/**
 * Room links in Electron: `converge://room/NAME` (ROOM_LINK_PREFIX), registered with the OS so that
 * opening one — from a browser, a chat, a terminal — opens a window with a new replica in room NAME. The
 * OS hands the link over as an `open-url` event (macOS) or on the command line of a second instance
 * (Windows, Linux), which the single-instance lock forwards to the running app. Pages of the app itself
 * live under converge://app/, which is never a room link.
 *
 * Credentials do not travel in the link: main mints one for the window's replica in that room on its own
 * relay (or asks the configured remote relay, whose admin credential may be scoped to one room: then the
 * window says so and stays offline).
 */
import { idProblem } from '@converge/protocol';
import { ROOM_LINK_PREFIX } from '../preload/api.ts';

export const ROOM_LINK_SCHEME = 'converge';

/** The room a link opens, or undefined when it is not a valid room link. */
export function parseRoomLink(link: unknown): string | undefined {
  if (typeof link !== 'string' || !link.startsWith(ROOM_LINK_PREFIX) || link.length > 256) return undefined;
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return undefined;
  }
  const room = decodeURIComponent(url.pathname.replace(/^\/+/, '').replace(/\/+$/, ''));
  return idProblem(room) === undefined ? room : undefined;
}

/** The link for a room. */
export function roomLinkFor(room: string): string {
  const problem = idProblem(room);
  if (problem !== undefined) throw new RangeError(`room ${JSON.stringify(room)} ${problem}`);
  return `${ROOM_LINK_PREFIX}${room}`;
}

/** The room a (second instance's) command line asks for: its first valid room link. */
export function roomFromArgv(argv: readonly string[]): string | undefined {
  for (const arg of argv) {
    const room = parseRoomLink(arg);
    if (room !== undefined) return room;
  }
  return undefined;
}

/** The parts of Electron's `app` the registration uses. */
export interface RoomLinkApp {
  setAsDefaultProtocolClient(protocol: string, path?: string, args?: string[]): boolean;
  on(event: 'open-url', listener: (event: { preventDefault(): void }, url: string) => void): unknown;
  on(event: 'second-instance', listener: (event: unknown, argv: string[]) => void): unknown;
}

/**
 * Register converge:// with the OS and call `open(room)` for every room link the OS hands over; anything
 * else (an invalid link, a second start without one) calls `other()`. In development (`defaultApp`)
 * Electron must be told the script to run, or the OS would start a bare Electron.
 */
export function registerRoomLinks(
  app: RoomLinkApp,
  options: {
    readonly defaultApp: boolean;
    readonly execPath: string;
    readonly appPath: string | undefined;
    open(room: string): void;
    other(): void;
    warn(message: string): void;
  },
): void {
  const registered =
    options.defaultApp && options.appPath !== undefined
      ? app.setAsDefaultProtocolClient(ROOM_LINK_SCHEME, options.execPath, [options.appPath])
      : app.setAsDefaultProtocolClient(ROOM_LINK_SCHEME);
  if (!registered) options.warn('could not register converge:// room links with the operating system');
  app.on('open-url', (event, url) => {
    event.preventDefault();
    const room = parseRoomLink(url);
    if (room === undefined) {
      options.warn(`ignored a link that is not a room link: ${url.slice(0, 200)}`);
      options.other();
    } else options.open(room);
  });
  app.on('second-instance', (_event, argv) => {
    const room = roomFromArgv(argv);
    if (room === undefined) options.other();
    else options.open(room);
  });
}
