/**
 * The seam between the renderer and where it runs. In Electron the preload exposes `window.converge`
 * (window configuration, a durable store in the main process); in a plain browser (web mode) the page
 * reads /config.json and keeps its replica in IndexedDB. Everything after setup is the same.
 */
import type { ByteLog } from '@converge/replica';
import type { ConvergeApi } from '../preload/api.ts';
import type { ConfigRequest } from './platform/config-request.ts';
import { electronSetup } from './platform/electron.ts';
import { webSetup } from './platform/web.ts';
import type { CredentialProvider, WindowConfig } from './platform/window-config.ts';

export interface WindowSetup {
  readonly platform: 'electron' | 'web';
  readonly config: WindowConfig;
  /** The window's room credential (from main in Electron, from web mode's /credentials in a browser). */
  readonly credential: CredentialProvider;
  /** Where the replica worker keeps this window's replica. */
  readonly store: WindowStore;
  /** Something the user should know from the start (e.g. this tab became a new replica, and why). */
  readonly notice?: string;
  /** Open another window (Electron) or tab (web) hosting a new replica. */
  openNewReplica(): void;
  /** A link that opens `room` (web: this page with ?room= and the launch key; Electron: converge://). */
  roomLink(room: string): string;
  /**
   * Show `room` instead of the current one (web: this tab; Electron: a new window). Data stays where it is.
   * `leave` closes this window's session; web calls it (bounded) before the tab loads the other room.
   */
  openRoom(room: string, leave: () => Promise<void>): void;
  /** A name for a new, empty room. */
  freshRoomName(): string;
  /**
   * Web mode, when this page has no launch key (a room link shared without it): take one from what the
   * user pastes (a link with `#key=`, or the key) and reload with it; false when the text holds none.
   */
  provideKey?(pasted: string): boolean;
  /** Electron: the Edit menu's Undo / Redo (in a browser the page's own key handler does it). */
  onEditHistory?(listener: (op: 'undo' | 'redo') => void): void;
}

/**
 * The window's store, opened by the replica worker: IndexedDB in a browser (workers have it), or the
 * preload's byte log in Electron (only the page has the preload API: the page serves it to the worker
 * over a MessagePort).
 */
export type WindowStore =
  | { readonly kind: 'indexeddb'; readonly name: string }
  | { readonly kind: 'byte-log'; readonly log: ByteLog };

/** `configRequest`: web mode's /config.json if the page asked for it already (start.ts). */
export function detectPlatform(configRequest?: ConfigRequest): Promise<WindowSetup> {
  const api = (window as { converge?: ConvergeApi }).converge;
  return api !== undefined && api.platform === 'electron' ? electronSetup(api) : webSetup(configRequest);
}
