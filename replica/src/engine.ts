import type { EngineName } from './engine-name.ts';
import type { WorkspaceSchema } from './schema.ts';
import type { TextChange } from './text-delta.ts';
import type { Intent, WorkspaceView } from './workspace.ts';

/**
 * One engine behind the side-by-side comparison (made by its descriptor, engine-descriptor.ts). Each engine owns its document and its own sync
 * protocol; the replica feeds it intents, peers' payloads and stored updates.
 *
 * Updates: every change (local or remote) is reported as an encoded incremental update, in the
 * engine's own format (a Yjs update, Automerge incremental save, crdt-core ops, LWW field states).
 * The replica appends these to its store; `applyUpdate` replays them on load. `save()` produces a
 * snapshot that replaces all updates so far (compaction).
 *
 * Lifecycle: an engine lives from its construction to `close()`, which frees what it holds at once
 * (a WebAssembly document is invisible to the garbage collector's sense of memory pressure).
 */
export interface Engine {
  readonly name: EngineName;

  /** Apply a local user intent. Text positions refer to this engine's own text. */
  apply(intent: Intent): void;
  /** The normalized view of the current state. */
  view(): WorkspaceView;
  /**
   * The view with every text field empty (O(the fields besides text), never O(text)): for readers that
   * follow the texts by their deltas (onTextChange), and for the replica, which fills the texts in from
   * `textSlice` instead of materializing the whole document.
   */
  viewWithoutText(): WorkspaceView;

  /** Merge an encoded update or snapshot (from the store). Idempotent. Throws on corrupt input. */
  applyUpdate(update: Uint8Array): void;
  /**
   * Merge several updates (consecutive store records of this engine) in one pass, as `applyUpdate` of
   * each in order would; throws if any is corrupt (the caller then applies them one by one, to keep what
   * it can). For engines whose per-call cost grows with the document (Automerge) this is what makes
   * reopening a large document with a long log fast.
   */
  applyUpdates?(updates: readonly Uint8Array[]): void;
  /** A snapshot of the whole state (replaces every update before it). */
  save(): Uint8Array;
  /** Subscribe to changes; `update` is the incremental update to persist. Returns an unsubscribe function. */
  onChange(listener: (change: EngineChange) => void): () => void;
  /**
   * Subscribe to every change of a text field as positional deltas (text-delta.ts), local, remote or from
   * the store; a change's text deltas come before its `onChange`. Returns an unsubscribe function.
   */
  onTextChange(listener: (change: TextChange) => void): () => void;
  /** A text field's length now, without reading the text (O(1)). */
  textLength(field: string): number;
  /** Code units [from, to) of a text field (O(log n + to − from)); the whole text with no range. */
  textSlice(field: string, from?: number, to?: number): string;
  /**
   * The UTF-16 code unit at `index` of a text field (O(log n)), NaN outside it: what the runtime checks a
   * text edit's boundaries with, per keystroke, without making a string.
   */
  textCodeUnit(field: string, index: number): number;
  /**
   * A hash of a text field's content, equal in every engine for equal texts (O(1)): whether two engines'
   * texts are the same, without reading them.
   */
  textHash(field: string): string;

  /** Start a sync session with a reachable peer; `send` ships payloads to that peer's same engine. */
  openSession(peer: string, send: (payload: Uint8Array) => void): SyncSession;

  /** Version metadata for the UI (vector clock, state vector, heads...). */
  version(): EngineVersion;
  /**
   * Hash of the normalized view; equal digests ⇔ equal views, in every engine (the texts enter by their
   * `textHash`, so a digest costs O(the fields besides text), never O(text)).
   */
  digest(): string;

  /**
   * Present when the engine undoes this replica's own edits itself (Yjs: Y.UndoManager). The replica then
   * leaves undo to it; for the others it reverts an edit with the runtime's intent-level inverse.
   */
  readonly undo?: NativeUndo;

  /**
   * Take in now whatever peers sent that the engine put off (see EngineContext.defer). The replica calls
   * it before placing a local edit, so the edit lands among everything that has arrived, as it does in
   * the engines that apply on arrival; otherwise one engine would place it against an older text and
   * end up with a different merge. Engines that never defer leave it out.
   */
  settle?(): void;

  /**
   * Release everything the engine holds: its document (WebAssembly memory included), observers and
   * subscribers. Idempotent. Afterwards every method throws EngineClosedError, and the sessions opened
   * from it are closed with it (they send nothing; `receive` returns false). Whoever drops an engine
   * closes it (the Replica closes its own in `close`).
   */
  close(): void;
}

/**
 * An engine's own undo of this replica's local edits, in steps the replica delimits (it groups edits by
 * time for every engine alike): an undo is a new local change that reverts one step and keeps what
 * other replicas did meanwhile.
 */
export interface NativeUndo {
  /** The next local change starts a new step. */
  stopCapturing(): void;
  /** Revert the newest step (a local change); false when there is none. */
  undo(): boolean;
  /** Re-apply the newest undone step (a local change); false when there is none. */
  redo(): boolean;
  /** Forget every step. */
  clear(): void;
}

export interface EngineChange {
  readonly origin: 'local' | 'remote' | 'store';
  readonly update: Uint8Array;
  /**
   * A remote change the engine took in after the payload that brought it was received (a deferred
   * apply): the peer that sent it (the first of them, when several did). Otherwise the runtime knows.
   */
  readonly from?: string;
}

export interface SyncSession {
  readonly peer: string;
  /**
   * Handshake on link-up (e.g. send our version vector / Yjs sync step 1 / Automerge sync message). Nothing
   * is sent before it; a peer's hello taken in before it (the replica may hold a session's start while it
   * catches up from another peer first) is answered on it, after the handshake.
   */
  start(): void;
  /** A payload from the peer. Must never throw on malformed input: report and drop (returns false). */
  receive(payload: Uint8Array): boolean;
  /** Our state changed (local edit or an update from another peer): ship what this peer lacks. */
  changed(change: EngineChange): void;
  /**
   * Optional: a change of `bytes` is reaching the peer by another route (a relay's broadcast from the
   * peer it came from), so the replica does not hand it to `changed`; a session may then hold back, a
   * while, an answer to the peer's hello that would carry it again. Without it, such a peer gets the
   * change in the answer to its next hello.
   */
  arriving?(bytes: number): void;
  /** Periodic anti-entropy round: re-advertise our version so the peer can repair what was dropped. */
  antiEntropy(): void;
  /** Link went down: stop sending; the next link-up opens a fresh session. */
  close(): void;
  /** What we know of the peer's version (from its handshake), for "what each side lacks". */
  peerVersion(): EngineVersion | undefined;
}

/**
 * For an engine whose version is a set of heads: answers, from this replica's own change graph, which of
 * a peer's heads it lacks and which of its changes the peer lacks.
 */
export interface HeadsResolver {
  /** The heads among `heads` that are not in this replica's graph. */
  unknown(heads: readonly string[]): string[];
  /** How many of this replica's changes are not ancestors of (or equal to) `heads`; all must be known. */
  changesNotIn(heads: readonly string[]): number;
}

/** Version metadata in one of two shapes: a vector (replica → counter) or a set of heads (hashes). */
export type EngineVersion =
  | { readonly kind: 'vector'; readonly entries: Readonly<Record<string, number>> }
  | { readonly kind: 'heads'; readonly heads: readonly string[] };

/** What an engine gets from the replica that hosts it. Everything effectful is injected. */
export interface EngineContext {
  readonly replicaId: string;
  /**
   * The workspace's fields (default: WORKSPACE, workspace.ts). An engine lays out every field of the schema
   * by its kind, so a field declared there is in every engine with no change to the engine.
   */
  readonly schema?: WorkspaceSchema;
  /** Wall clock in ms as this replica sees it (includes the replica's skew setting; LWW stamps with it). */
  readonly now: () => number;
  /** The skew included in `now` (0 when absent): LWW records it, so its ledger can tell wall time. */
  readonly skewMs?: () => number;
  /**
   * Random unsigned 32-bit integers for fresh per-instance identities (Yjs client id, Automerge
   * actor id). Inject a seeded source for replayable runs; defaults to the platform CSPRNG.
   */
  readonly randomUint32?: () => number;
  /**
   * Run `callback` in a later task, `delayMs` from now (default 0: after the peers' payloads already
   * waiting for this replica; the Replica uses its timers). An engine whose cost per apply call grows
   * with the document (Automerge) queues what peers send and takes it all in with one call; without
   * it, it applies each payload as it arrives. Returns a function that cancels the callback.
   */
  readonly defer?: (callback: () => void, delayMs?: number) => () => void;
  /**
   * How many times its last deferred apply's duration an engine waits before the next one (default 1:
   * taking peers' changes in keeps at most half of the thread busy). The Replica asks its primary engine,
   * the one the editor shows, for 1 and the others for more (REMOTE_APPLY_PACE): their catching up in
   * larger, rarer batches leaves the CPU to the primary and the user. An engine asked for more than 1 may
   * also wait for its peers to pause (Automerge: BACKGROUND_QUIET_MS), within the same bound.
   */
  readonly remoteApplyPace?: () => number;
}
