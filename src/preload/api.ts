/**
 * The one API the preload script exposes to the renderer, as `window.converge`.
 *
 * It is deliberately narrow: the renderer can read its own window's configuration, use its own
 * replica's durable log, and ask for another replica window. Every store call is bound by the main
 * process to the replica the calling window hosts, so a renderer cannot name another replica's store.
 *
 * This file holds types and constants only: the preload bundle, the main process and the renderer
 * all import it, and none of them may pull anything else in through it.
 */

/** The global name the API is exposed under (`window.converge`). */
export const CONVERGE_API_KEY = 'converge';

/** What a window needs to start its replica. */
export interface WindowConfig {
  /** The replica this window hosts; also its node id in the relay room. */
  readonly replicaId: string;
  readonly room: string;
  /** WebSocket URL of the relay (the embedded one on 127.0.0.1, or the configured remote relay). */
  readonly relayUrl: string;
  /** HTTP base URL of the relay's admin API. */
  readonly adminUrl: string;
  /**
   * This window's room credential, minted by main for `replicaId` in `room` (read, write, admin): hello
   * carries it, and the admin API (the network panel) takes it as `Authorization: Bearer`. Absent when
   * main could not get one (a remote relay unreachable): `credentialProblem` says why; ask again later.
   */
  readonly token?: string;
  readonly credentialProblem?: string;
}

/** Everything durable in a replica's log: the last snapshot and the records appended after it. */
export interface StoredLog {
  readonly snapshot?: Uint8Array;
  readonly records: Uint8Array[];
  /** Human-readable descriptions of damage found and repaired on open (torn tail, bad checksum...). */
  readonly damage: string[];
}

/**
 * The calling window's replica log (a crash-safe append-only log with snapshot compaction).
 * It has the shape of @converge/replica's `ByteLog`, so the renderer wraps it in a `LogStore` as is.
 */
export interface ReplicaStoreApi {
  /** Everything durable so far. Safe to call again (e.g. after a reload). */
  open(): Promise<StoredLog>;
  /** Resolves once the record is durable on disk: an acknowledged edit. */
  append(record: Uint8Array): Promise<void>;
  /** Replace the snapshot and every record appended before this call, crash-safely. */
  compact(snapshot: Uint8Array): Promise<void>;
  /** Release the log once pending writes are durable; a later call reopens it. */
  close(): Promise<void>;
}

export interface ConvergeApi {
  readonly platform: 'electron';
  getWindowConfig(): Promise<WindowConfig>;
  readonly store: ReplicaStoreApi;
  /** Open another window with a new replica (its own id and its own store). */
  newReplicaWindow(): Promise<void>;
  /** Open a window with a new replica in `room` (a room name: the rules of a replica id). */
  openRoom(room: string): Promise<void>;
  /** Run `listener` when the Edit menu's Undo or Redo is chosen (the menu owns Ctrl/Cmd+Z in Electron). */
  onEditHistory(listener: (op: 'undo' | 'redo') => void): void;
}

/** Room links the app registers with the OS: `converge://room/NAME` opens a window in room NAME. */
export const ROOM_LINK_PREFIX = 'converge://room/';

/** Messages main sends a window (not calls: nothing is answered). */
export const IPC_EVENTS = {
  editHistory: 'converge:edit-history',
} as const;

/** IPC channel names, one per call. Main validates sender and arguments on every one. */
export const IPC_CHANNELS = {
  getWindowConfig: 'converge:get-window-config',
  storeOpen: 'converge:store-open',
  storeAppend: 'converge:store-append',
  storeCompact: 'converge:store-compact',
  storeClose: 'converge:store-close',
  newReplicaWindow: 'converge:new-replica-window',
  openRoom: 'converge:open-room',
} as const;

export type IpcChannel = (typeof IPC_CHANNELS)[keyof typeof IPC_CHANNELS];
