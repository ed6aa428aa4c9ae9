/**
 * A replica: one id, a set of engines (whichever the registry it is given holds), a store and a
 * transport. A user intent enters once and is applied to every engine; each engine syncs with every
 * reachable peer through its own session; everything an engine changes is appended to the store.
 *
 * Flow of a local edit: validate → check it against the primary engine's text → align text positions for
 * the other engines → apply to the primary, then the others (replica/hosted-engines.ts) → each engine
 * reports its update (onChange) → all of them are appended to the store as ONE intent record, so a crash
 * or reload leaves every engine with the edit or none (replica/persistence.ts) → `apply` resolves once
 * that record is durable (the edit is acknowledged) → only then is each update handed to its engine's
 * open sessions (replica/peer-sessions.ts). Updates that came from peers are appended one record per
 * engine and forwarded at once (they are already durable where they were made, so a crash between two of
 * them loses nothing the peers cannot send again).
 *
 * Its collaborators: the hosted engines and the fan-out of an edit; persistence and compaction; the sync
 * sessions and their traffic; digest gossip with the peers (replica/digest-gossip.ts); the settings stored
 * with the replica (replica/settings.ts); and the problem log, through which every one of them reports
 * a failure instead of letting it stop the replica (replica/problems.ts).
 *
 * Effects are injected: transport, store, timers and the wall clock.
 */
import {
  type Cancel,
  type ConnectionState,
  every,
  PRESENCE_CHANNEL,
  realTimers,
  type Timers,
  type Transport,
} from '@converge/protocol';
import { DURABLE } from './durable.ts';
import type { Engine, EngineChange, EngineContext, EngineVersion } from './engine.ts';
import type { EngineName } from './engine-name.ts';
import type { EngineRegistry } from './engine-registry.ts';
import {
  decodeDeferredIntent,
  encodeDeferredIntent,
  placeDeferredTextEdit,
} from './replica/deferred-intent.ts';
import { DigestGossip, type PeerDigests } from './replica/digest-gossip.ts';
import { EditCosts, editChars, LARGE_EDIT_CHARS } from './replica/edit-costs.ts';
import { ReplicaError, type ReplicaEvent, ReplicaEvents } from './replica/events.ts';
import { type EngineFailure, HostedEngines, type PlanWatch } from './replica/hosted-engines.ts';
import { PeerSessions, type TrafficCounters } from './replica/peer-sessions.ts';
import { type LoadProgress, Persistence, type StoreLoad } from './replica/persistence.ts';
import { type LocalPresence, type PeerPresence, Presence } from './replica/presence.ts';
import { Problems, type ReplicaProblem } from './replica/problems.ts';
import { Settings } from './replica/settings.ts';
import { DEFAULT_UNDO_GROUP_MS, UndoHistory, type UndoStep } from './replica/undo-history.ts';
import { IntentError, type TextEdit, type WorkspaceSchema } from './schema.ts';
import type { DeferredIntent, EngineUpdate, ReplicaMetadata, Store } from './store.ts';
import { type Intent, WORKSPACE, type WorkspaceView } from './workspace.ts';

export type { PeerDigests } from './replica/digest-gossip.ts';
export { ReplicaError, type ReplicaEvent } from './replica/events.ts';
export type { TrafficCounters } from './replica/peer-sessions.ts';
export type { LoadProgress } from './replica/persistence.ts';
export type { LocalPresence, PeerPresence, PeerPresenceStatus } from './replica/presence.ts';
export type { ProblemKind, ReplicaProblem } from './replica/problems.ts';

export interface ReplicaOptions {
  /** This replica's id; also its node id on the network. */
  readonly id: string;
  readonly transport: Transport;
  readonly store: Store;
  /**
   * The engines this replica hosts, in display order (at least one): the registry `ENGINES`, or part
   * of it (`ENGINES.only([...])`), or one with test engines. Each engine syncs on its wire code.
   */
  readonly engines: EngineRegistry;
  /** The workspace's fields (default: WORKSPACE); every engine lays them out by kind. */
  readonly schema?: WorkspaceSchema;
  /** Random source handed to the engines for fresh identities (seed it for replayable runs). */
  readonly randomUint32?: () => number;
  /** Timers for anti-entropy (default: real timers). */
  readonly timers?: Timers;
  /** Wall clock in ms before skew (default: timers.now). */
  readonly now?: () => number;
  /** Clock skew added to the wall clock the engines see (default: stored setting, else 0). */
  readonly skewMs?: number;
  /** Engine whose text the user edits (default: stored setting, else the first engine). */
  readonly primary?: EngineName;
  /** Anti-entropy period in ms (default 2000; 0 turns it off). */
  readonly antiEntropyMs?: number;
  /**
   * A peer each engine catches up from before it says hello to the others (a window: the room's storage
   * peer, STORAGE_NODE_ID): they then answer with what that peer lacked, not the whole document each.
   * Waits at most FIRST_SOURCE_WAIT_MS, and not at all when that peer is out of reach (default: none,
   * every peer is greeted at once). See replica/first-source.ts.
   */
  readonly firstSource?: string;
  /**
   * How long after a change the new digests are announced to peers, so a burst of changes (typing,
   * a peer's catch-up) makes one announcement (default 100 ms).
   */
  readonly digestDelayMs?: number;
  /**
   * While changes keep coming, announcements of them are at least this many ms apart (default 500): a
   * typist's peers hear of its digests a few times a second, not once per keystroke.
   */
  readonly digestIntervalMs?: number;
  /** Compact the store after this many appended updates (default 1000; 0 never). */
  readonly compactAfter?: number;
  /** Local edits of one field less than this many ms apart undo as one step (default 500, as Yjs). */
  readonly undoGroupMs?: number;
  /**
   * Told how far loading the store got, while `open` runs (before anyone can subscribe). When given,
   * loading also yields to the host (a timer of 0 ms) between batches, so a page can paint its progress.
   */
  readonly onLoadProgress?: (progress: LoadProgress) => void;
  /**
   * Open progressively (default false): `open` resolves once the primary engine has loaded, and its view
   * is readable and takes edits then; the other engines load one by one in later tasks (`loading()`
   * lists those still loading, a 'loading' event tells each one's end, `loaded` resolves after the
   * last). Edits made meanwhile reach them when they load, in order (stored as deferred intents, so a
   * crash in between loses none); peers' sync messages for them wait with them. Without it, `open`
   * loads every engine before it resolves (what the scenario runner and the benches need).
   */
  readonly progressive?: boolean;
  /**
   * A monotonic clock in ms (default `performance.now`): what an engine's large edits are measured by,
   * and how long one piece of an engine's catching up runs.
   */
  readonly monotonicNow?: () => number;
}

/** Per engine, this replica's digest and which linked peers announced the same or another one. */
export interface EngineConvergence {
  readonly digest: string;
  /** Linked peers whose last announced digest equals ours (sorted). */
  readonly agree: readonly string[];
  /** Linked peers whose last announced digest differs (sorted). */
  readonly differ: readonly string[];
}

export interface EngineStatus {
  readonly view: WorkspaceView;
  /**
   * `digest(engine)` now; undefined only in a status asked `withoutDigest` (not known yet, never a stale
   * one): hashing a 1 MB text takes ~50–90 ms, which a reopened window's first status leaves out.
   */
  readonly digest: string | undefined;
  readonly version: EngineVersion;
  /** What each connected peer advertised in its handshake (undefined until it did). */
  readonly peerVersions: Readonly<Record<string, EngineVersion | undefined>>;
  readonly traffic: TrafficCounters;
}

export interface ReplicaStatus {
  readonly id: string;
  readonly connection: ConnectionState;
  readonly peers: readonly string[];
  readonly skewMs: number;
  readonly primary: EngineName;
  /** The user's Offline switch (stored with the replica). */
  readonly offline: boolean;
  /**
   * Every engine built so far: all of them, except in a progressive open, where an engine is built when
   * it starts to load (those still loading are in `loading`, built or not).
   */
  readonly engines: Readonly<Partial<Record<EngineName, EngineStatus>>>;
  /** Engines still loading (a progressive open): their views and digests are not yet what is stored. */
  readonly loading: readonly EngineName[];
  /**
   * Engines catching up (they fell behind on a large edit): their views lack the newest edits, which
   * they take in pieces; left out of the comparison with peers meanwhile.
   */
  readonly behind: readonly EngineName[];
  readonly problems: readonly ReplicaProblem[];
}

/**
 * One local intent being applied: every engine's update, stored as one record, then forwarded. The change
 * `updates[0]` came in is `change`, and `changes[i]` the one `updates[i + 1]` came in (parallel lists: the
 * record holds only what the store needs; the first change apart, so an intent of one engine needs one list).
 */
interface PendingIntent {
  /** NO_UPDATES until the first update (`addUpdate`). */
  updates: EngineUpdate[];
  change: EngineChange | undefined;
  /** NO_UPDATES until the second update. */
  changes: EngineChange[];
  /** The intent itself, for the engines still loading. */
  deferred?: DeferredIntent;
}

/** What a pending intent holds before its first update (never pushed to). */
const NO_UPDATES: never[] = Object.freeze([]) as unknown as never[];

/** A pending intent with no update yet. */
const pendingIntent = (): PendingIntent => ({ updates: NO_UPDATES, change: undefined, changes: NO_UPDATES });

/**
 * Add an engine's update and the change it came in: the first makes a list of one (an empty list's first
 * push allocates room for 17, per keystroke), the second a list of changes, the others are pushed.
 */
function addUpdate(pending: PendingIntent, update: EngineUpdate, change: EngineChange): void {
  if (pending.updates === NO_UPDATES) {
    pending.updates = [update];
    pending.change = change;
  } else {
    pending.updates.push(update);
    if (pending.changes === NO_UPDATES) pending.changes = [change];
    else pending.changes.push(change);
  }
}

/** The change `pending.updates[i]` came in. */
function changeOf(pending: PendingIntent, i: number): EngineChange {
  return (i === 0 ? pending.change : pending.changes[i - 1]) as EngineChange;
}

/**
 * What waits for an engine still loading or behind, in the order it came: deferred intents (with the undo
 * step each was made in) and peers' messages.
 */
type BacklogEntry =
  | {
      readonly kind: 'intent';
      readonly id: string;
      readonly intent: Uint8Array;
      readonly step: UndoStep | undefined;
    }
  | { readonly kind: 'frame'; readonly from: string; readonly payload: Uint8Array };

/** Per engine loading or behind: what waits for it, and the deferred intent it is taking in pieces. */
interface Backlog {
  readonly entries: BacklogEntry[];
  heldBytes: number;
  /** Loading its store (a progressive open); otherwise behind on a large edit, catching up. */
  readonly loading: boolean;
  realising?: Realisation | undefined;
}

/** A deferred intent an engine is taking: what is left of it, and its updates so far (one record). */
interface Realisation {
  readonly id: string;
  readonly step: UndoStep | undefined;
  /** Undefined when the stored bytes were no intent (reported; it is recorded as realised all the same). */
  readonly intent: Intent | undefined;
  /** The edits left, in order (the intent placed in the engine's text; the first may be partly done). */
  readonly edits: Intent[];
  readonly pending: PendingIntent;
  /** What the engine showed before (a cart, counter or note edit of an engine without native undo). */
  readonly before: WorkspaceView | undefined;
  /** Edits (or pieces of one) applied so far. */
  applied: number;
}

/** One piece of an engine's catching up runs about this long (ms), then the thread is the host's again. */
export const CATCH_UP_PIECE_MS = 100;
/**
 * The timer between two pieces (ms): a turn for the host (the user's keys, peers' messages), no more. A
 * longer pause (as long as the piece) doubled the time to convergence after select-all + Delete in a
 * 150 KB text, and with it the other windows' Automerge work that follows (bench/README.md).
 */
export const CATCH_UP_GAP_MS = 1;
/**
 * How long after a large local edit is acknowledged (and its primary's change forwarded) the engines that
 * fell behind on it start catching up (ms): meanwhile the other windows apply and paint the primary's
 * change without this window's catching up competing for the machine's cores (issue 19: on 2 cores a 1 MB
 * paste reached the other windows ~0.5 s later while the typing window's Yjs, LWW, Loro and Automerge
 * caught up at the same time). What waits is seconds behind anyway; an undo still catches up at once.
 */
export const CATCH_UP_START_MS = 1000;

/** Peers' messages kept for one loading engine, at most (more are dropped: its handshake repairs them). */
const MAX_HELD_BYTES = 64 * 1024 * 1024;
/** How long a new replica's other engines wait for its primary's first sync, at most. */
const PRIMARY_SYNC_WAIT_MS = 5000;
/**
 * How long an engine's background load waits for the transport's handshake, at most, per spell of
 * connecting (a relay out of reach must not keep the engines from loading).
 */
export const HANDSHAKE_WAIT_MS = 5000;

/** What a text edit is undone from besides itself: nothing (views are read for the other fields only). */
const NO_VIEWS: ReadonlyMap<EngineName, WorkspaceView> = new Map();

const RESOLVED: Promise<void> = Promise.resolve();
const NO_ENGINES: readonly EngineName[] = Object.freeze([]);
const DEFAULT_ANTI_ENTROPY_MS = 2000;
const DEFAULT_DIGEST_DELAY_MS = 100;
const DEFAULT_DIGEST_INTERVAL_MS = 500;
const DEFAULT_COMPACT_AFTER = 1000;

/**
 * The engines' remote apply pace (EngineContext.remoteApplyPace): the primary engine, which the editor
 * shows, waits as long as its last deferred apply took (about half the thread at most); the others nine
 * times as long (about a tenth), so with several windows on a few cores they catch up in larger batches
 * instead of competing with the primary and the user (issue 19: at 150 KB each of Automerge's applies
 * costs about the same whatever it takes in, and the two idle windows spent a third of their thread on
 * them at four times).
 */
export const REMOTE_APPLY_PACE = { primary: 1, others: 9 } as const;

export class Replica {
  readonly id: string;
  /** The engines this replica hosts, with their descriptors (labels, wire codes, ledgers...). */
  readonly registry: EngineRegistry;
  /** The workspace's fields, which every engine holds. */
  readonly schema: WorkspaceSchema;
  private readonly transport: Transport;
  private readonly timers: Timers;
  private readonly antiEntropyMs: number;
  private readonly events = new ReplicaEvents((event) => {
    if (event.type === 'peer-digests') {
      this.convergenceChanged();
      this.checkPrimarySynced();
    }
  });
  private readonly problemLog: Problems;
  private readonly settings: Settings;
  private readonly engines: HostedEngines;
  private readonly persistence: Persistence;
  private readonly gossip: DigestGossip;
  private readonly sessions: PeerSessions;
  private readonly presenceOf: Presence;
  /** Local records issued and settled (forwarded, or failed): nothing goes to peers ahead of them. */
  private readonly localWrites = { issued: 0, settled: 0 };
  /** The newest presence set while `unforwarded` > 0: announced once they are forwarded. */
  private heldPresence: LocalPresence | undefined;
  private readonly history: UndoHistory;
  private readonly unsubscribers: (() => void)[] = [];
  /** Set while `apply` runs the engines: their local changes become this intent's one record. */
  private collecting: PendingIntent | undefined;
  private cancelAntiEntropy: Cancel = () => {};
  private convergenceState: Partial<Record<EngineName, EngineConvergence>> | undefined;
  private cancelConvergence: Cancel | undefined;
  private readonly digestDelayMs: number;
  private announcedConvergence: string | undefined;
  private closed = false;
  /** Set when close() begins: no new local edit (reads still answer) while earlier ones are forwarded. */
  private leaving = false;
  /** Called once `unforwarded` drops to 0 (close() waits for it). */
  private allForwarded: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  /** Per engine still loading or behind, what waits for it (in display order of falling behind). */
  private readonly backlog = new Map<EngineName, Backlog>();
  /** While a loaded engine takes a deferred intent: its local changes, stored as one `realised` record. */
  private realising: { readonly engine: EngineName; readonly pending: PendingIntent } | undefined;
  /** Names this session's deferrals (unique within the store); counts them. */
  private readonly deferralPrefix: string;
  private deferrals = 0;
  /** What large text edits cost each engine: which ones fall behind on one. */
  private readonly costs: EditCosts;
  private readonly monotonicNow: () => number;
  /** The next piece of catching up, while engines are behind. */
  private cancelCatchUp: Cancel | undefined;
  private resolveLoaded: () => void = () => {};
  private rejectLoaded: (error: Error) => void = () => {};
  /** Resolves once every engine has loaded (at once after an eager open); rejects if closed before. */
  readonly loaded: Promise<void>;
  /**
   * A progressive open of a store with nothing of the primary's (a new window): the other engines wait
   * until a peer holds what the primary holds (its announced digest equals ours), so the window's worker
   * takes in the primary's document first. Called then (or after PRIMARY_SYNC_WAIT_MS).
   */
  private primarySynced: (() => void) | undefined;
  /**
   * Since when (timers' clock) the transport has been connecting, while it is: an engine's load is one
   * long task, during which a socket just opened could not say hello (the relay closes a silent one).
   */
  private connectingSince: number | undefined;
  /** Background loads waiting for the handshake to end (see `handshakeSettled`). */
  private readonly handshakeWaiters = new Set<() => void>();

  /** Create a replica, load its store, then connect. Its own data is visible before any peer answers. */
  static async open(options: ReplicaOptions): Promise<Replica> {
    // An eager open builds every engine in its constructor: their code first. A progressive one loads each
    // engine's code when its turn comes (the primary's in `load`, the others' in `loadInBackground`).
    if (options.progressive !== true) await options.engines.loadAll();
    const replica = new Replica(options);
    try {
      const load = await replica.load(options);
      replica.connect();
      if (replica.backlog.size > 0) void replica.loadInBackground(load);
      else replica.allLoaded();
    } catch (error) {
      // Nobody gets the replica: release its engines (and the transport it was handed) here.
      await replica.close();
      throw error;
    }
    return replica;
  }

  private constructor(options: ReplicaOptions) {
    if (typeof options.id !== 'string' || options.id.length === 0)
      throw new ReplicaError('replica id must be a non-empty string');
    if (options.engines.size === 0) throw new ReplicaError('a replica needs at least one engine');
    if (options.primary !== undefined && !options.engines.has(options.primary)) {
      throw new ReplicaError(
        `primary engine ${options.primary} is not one of ${options.engines.names.join(', ')}`,
      );
    }
    this.id = options.id;
    this.loaded = new Promise<void>((resolve, reject) => {
      this.resolveLoaded = resolve;
      this.rejectLoaded = reject;
    });
    this.loaded.catch(() => {}); // nobody need wait for it
    // Not from `randomUint32`: that source is the engines' (seeded runs replay their identities exactly).
    const nonce = globalThis.crypto.getRandomValues(new Uint32Array(2));
    this.deferralPrefix = `${(nonce[0] ?? 0).toString(36)}${(nonce[1] ?? 0).toString(36)}`;
    this.transport = options.transport;
    this.timers = options.timers ?? realTimers;
    this.antiEntropyMs = nonNegative(options.antiEntropyMs ?? DEFAULT_ANTI_ENTROPY_MS, 'antiEntropyMs');
    const digestDelayMs = nonNegative(options.digestDelayMs ?? DEFAULT_DIGEST_DELAY_MS, 'digestDelayMs');
    this.digestDelayMs = digestDelayMs;
    const compactAfter = nonNegative(options.compactAfter ?? DEFAULT_COMPACT_AFTER, 'compactAfter');
    this.registry = options.engines;
    this.schema = options.schema ?? WORKSPACE;
    this.costs = new EditCosts(options.engines);
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    this.problemLog = new Problems((problem) => this.events.emit({ type: 'problem', problem }));
    this.settings = new Settings(
      this.id,
      this.transport,
      options.primary ?? (options.engines.names[0] as EngineName),
    );
    const wallClock = options.now ?? (() => this.timers.now());
    const context: EngineContext = {
      replicaId: this.id,
      schema: this.schema,
      now: () => wallClock() + this.settings.skewMs,
      skewMs: () => this.settings.skewMs,
      defer: (callback, delayMs = 0) => this.timers.setTimeout(callback, delayMs),
      ...(options.randomUint32 === undefined ? {} : { randomUint32: options.randomUint32 }),
    };
    const contextOf = (name: EngineName): EngineContext => ({
      ...context,
      remoteApplyPace: () =>
        name === this.settings.primary ? REMOTE_APPLY_PACE.primary : REMOTE_APPLY_PACE.others,
    });
    this.engines = new HostedEngines(
      options.engines,
      contextOf,
      this.id,
      this.problemLog,
      (engine, change) => {
        // Never before the constructor ends: engines change only once the replica loads or is edited.
        this.history.textChanged(engine, change);
        if (this.events.subscribed) this.events.emit({ type: 'text', engine, ...change });
      },
      // A progressive open builds each engine when it loads: the primary's text shows before the others exist.
      options.progressive !== true,
    );
    const closed = (): boolean => this.closed;
    this.persistence = new Persistence(
      options.store,
      compactAfter,
      this.engines,
      this.problemLog,
      () => this.settings.metadata(),
      closed,
      this.timers,
    );
    this.gossip = new DigestGossip({
      timers: this.timers,
      delayMs: digestDelayMs,
      intervalMs: nonNegative(options.digestIntervalMs ?? DEFAULT_DIGEST_INTERVAL_MS, 'digestIntervalMs'),
      engines: () => this.engines.readyNames,
      digest: (name) => this.engines.digest(name),
      send: (peer, name, payload) => this.sessions.send(peer, name, payload),
      fanOut: (fill) => this.sessions.fanOut(fill),
      linked: (peer) => this.sessions.linked(peer),
      closed,
      events: this.events,
      problems: this.problemLog,
    });
    this.sessions = new PeerSessions({
      id: this.id,
      transport: this.transport,
      registry: this.registry,
      engines: this.engines,
      gossip: this.gossip,
      events: this.events,
      problems: this.problemLog,
      closed,
      localWrites: this.localWrites,
      ...(options.firstSource === undefined ? {} : { firstSource: options.firstSource }),
      timers: this.timers,
      hold: (engine, from, payload) => this.hold(engine, from, payload),
    });
    this.history = new UndoHistory(
      {
        schema: this.schema,
        // An engine not built yet (still loading: its code may not have loaded) has no step of its own yet.
        native: (name) => this.engines.isBuilt(name) && this.engines.get(name).undo !== undefined,
        stopCapturing: (name) => {
          if (this.engines.isBuilt(name)) this.engines.get(name).undo?.stopCapturing();
        },
        view: (name) => this.engines.view(name),
        textLength: (name, field) => this.engines.get(name).textLength(field),
        textSlice: (name, field, from, to) => this.engines.get(name).textSlice(field, from, to),
        now: () => this.timers.now(),
      },
      nonNegative(options.undoGroupMs ?? DEFAULT_UNDO_GROUP_MS, 'undoGroupMs'),
    );
    this.presenceOf = new Presence({
      timers: this.timers,
      send: (peer, payload) => {
        if (!this.closed) this.transport.send(peer, PRESENCE_CHANNEL, payload);
      },
      linked: () => this.sessions.peers(),
      events: this.events,
      problems: this.problemLog,
      closed,
    });
  }

  // ---- local edits ----------------------------------------------------------------------------------

  /**
   * Let every engine take in now what it put off from peers (Engine.settle); their text events are
   * emitted before this returns. `apply` does it first too, so a caller that reads a text to place an
   * edit in it calls this before reading: otherwise the edit's positions refer to an older text than
   * the one `apply` places them in.
   */
  settle(): void {
    // Closing: no edit follows, nothing to take in.
    if (!this.leaving) this.engines.settle();
  }

  /**
   * Apply a user intent to every engine. Text positions refer to the primary engine's text after
   * `settle` (which this calls first). Resolves once
   * every engine's resulting update is durable; rejects (IntentError) before touching anything if the
   * intent is invalid, and with a ReplicaError if some non-primary engine failed (the others keep the edit).
   */
  apply(intent: Intent): Promise<void> {
    // Not an async function: the intent's one promise is its store write's (no wrapper, no await per edit).
    let failures: readonly EngineFailure[];
    let durable: Promise<void>;
    try {
      this.assertTakingEdits();
      this.assertNotApplying();
      if (typeof intent !== 'object' || intent === null) throw new IntentError('an intent must be an object');
      // Validated here, once: the engines get the accepted copy, whose edit the schema already knows.
      const accepted = this.schema.accept(intent) as Intent;
      const edit = this.schema.edit(accepted);
      this.engines.settle();
      const large = edit.kind === 'text' && editChars(edit) >= LARGE_EDIT_CHARS;
      if (large) this.fallBehindOn(edit as TextEdit);
      // Reused by the next plan: this call is done with it before returning.
      const plan = this.engines.plan(this.schema, this.primary, accepted, edit);
      // What a cart, counter or note edit is undone from (a text edit's reversal needs no view: O(edit)).
      let before = NO_VIEWS;
      if (edit.kind !== 'text') {
        const views = new Map<EngineName, WorkspaceView>();
        for (const name of this.engines.readyNames)
          if (this.engines.get(name).undo === undefined) views.set(name, this.engines.view(name));
        before = views;
      }
      // Engines still loading or behind get the intent itself, with the primary's text around it as it is now.
      const deferred = this.backlog.size === 0 ? undefined : this.deferral(accepted);
      const pending = pendingIntent();
      this.history.beginEdit(edit.field, this.engines.readyNames);
      this.collecting = pending;
      try {
        const watch = large ? this.measured(this.history.watch) : this.history.watch;
        failures = this.engines.applyPlan(plan, this.primary, accepted, watch);
        const applied =
          failures.length === 0
            ? plan
            : new Map([...plan].filter(([name]) => !failures.some((failure) => failure.engine === name)));
        const step = this.history.recordEdit(this.engines.names, applied, before, pending.updates);
        if (deferred !== undefined) this.defer(pending, deferred, step);
        if (this.events.subscribed) this.events.emit({ type: 'history' });
      } catch (error) {
        // The primary refused the edit: not acknowledged; whatever it did change is still stored.
        this.history.abandonEdit();
        this.collecting = undefined;
        this.commitIntent(pending).catch(() => {});
        throw error;
      } finally {
        this.collecting = undefined;
      }
      durable = this.commitIntent(pending);
      // Engines behind start catching up a while after the others' edit is acknowledged (and forwarded).
      if (deferred !== undefined && this.behind().length > 0)
        durable.then(this.catchUpLater, this.catchUpLater);
    } catch (error) {
      // Engines that fell behind on an edit refused here have nothing to take: they catch up at once.
      if (this.behind().length > 0) this.catchUpSoon();
      return Promise.reject(error);
    }
    if (failures.length === 0) return durable;
    const failed = new ReplicaError(
      `${intent.op} was applied to ${this.primary} but failed on ${failures.map((f) => `${f.engine}: ${f.message}`).join('; ')}`,
    );
    return durable.then(() => Promise.reject(failed));
  }

  /**
   * Store an intent's updates as one record; once it is durable, hand each update to its engine's sessions.
   * A local edit leaves the replica only once it is durable: engines that number writes by replica id
   * (lww, converge) would otherwise reuse a number peers already hold after a crash.
   */
  private commitIntent(pending: PendingIntent): Promise<void> {
    const { updates } = pending;
    if (updates.length === 0 && pending.deferred === undefined) return RESOLVED;
    const durable = this.persistence.persist(
      pending.deferred === undefined
        ? { kind: 'intent', updates }
        : { kind: 'intent', updates, deferred: pending.deferred },
    );
    let bytes = 0;
    for (let i = 0; i < updates.length; i++) bytes += (updates[i] as EngineUpdate).update.length;
    this.persistence.counted(updates.length, bytes);
    // Durable already (a store in memory), and nothing earlier waits for its write: forwarded with the
    // others durable on return, in one microtask after this task's code (as a resolved write would be:
    // what the caller does next, closing or crashing, still comes first), without a promise per intent.
    const batched = durable === DURABLE && this.unforwarded === this.forwardCount;
    this.localWrites.issued++;
    if (batched) {
      // A reaction to a settled promise, not queueMicrotask: Node wraps each of those in an AsyncResource
      // and a bound function (about a tenth of the runtime's garbage per keystroke); the same queue either way.
      this.forwardBatch[this.forwardCount++] = pending;
      if (this.forwardCount === 1) void DURABLE.then(this.forwardBatched);
    } else durable.then(() => this.forward(pending), this.neverForwarded);
    return durable;
  }

  /**
   * Intents durable on return, to forward in the next microtask, in order (see commitIntent): the first
   * `forwardCount` entries. Counted, never emptied: an emptied array gives up its room, and the next
   * keystroke's push would allocate room for 17 again.
   */
  private readonly forwardBatch: (PendingIntent | undefined)[] = [];
  private forwardCount = 0;

  private readonly forwardBatched = (): void => {
    const batch = this.forwardBatch;
    for (let i = 0; i < this.forwardCount; i++) {
      const pending = batch[i] as PendingIntent;
      batch[i] = undefined; // not kept past its forward
      this.forward(pending);
    }
    this.forwardCount = 0;
  };

  /** A local intent is durable: its updates go to their engines' sessions. */
  private forward(pending: PendingIntent): void {
    const { updates } = pending;
    // Settled first: its own updates need not wait for it (what waited for it goes before them).
    this.localWriteSettled();
    for (let i = 0; i < updates.length; i++)
      this.sessions.forward((updates[i] as EngineUpdate).engine, changeOf(pending, i));
    this.forwardedOrFailed();
  }

  /** Local intents stored or being stored but not yet forwarded to peers (or failed). */
  private get unforwarded(): number {
    return this.localWrites.issued - this.localWrites.settled;
  }

  /**
   * A local record settled (they settle, and are forwarded, in the order issued): what peers were to
   * get after it goes now.
   */
  private localWriteSettled(): void {
    this.localWrites.settled++;
    this.sessions.localWritesSettled();
  }

  /** A local intent's write failed: it will never be forwarded. */
  private readonly neverForwarded = (): void => {
    this.localWriteSettled();
    this.forwardedOrFailed();
  };

  /** A local intent was forwarded (or will never be): a presence held back for it goes out with the last. */
  private forwardedOrFailed(): void {
    if (this.unforwarded === 0 && this.allForwarded !== undefined) {
      const done = this.allForwarded;
      this.allForwarded = undefined;
      done();
    }
    const presence = this.heldPresence;
    if (this.unforwarded > 0 || presence === undefined) return;
    this.heldPresence = undefined;
    if (!this.closed) this.presenceOf.set(presence);
  }

  private engineChanged(name: EngineName, change: EngineChange): void {
    this.engines.invalidate(name);
    this.convergenceChanged();
    if (name === this.primary) this.checkPrimarySynced();
    if (change.origin === 'local') {
      const record: EngineUpdate = { engine: name, update: change.update };
      // Part of the intent `apply` is running: stored with the other engines' updates, in one record.
      // A local change outside `apply` (none of ours makes one) is an intent of one engine.
      if (this.realising?.engine === name) addUpdate(this.realising.pending, record, change);
      else if (this.collecting !== undefined) addUpdate(this.collecting, record, change);
      else this.commitIntent({ updates: [record], change, changes: NO_UPDATES }).catch(() => {});
      this.gossip.changed();
    } else if (change.origin === 'remote') {
      this.history.remoteEdit();
      this.persistence
        .persist({ kind: 'update', ...{ engine: name, update: change.update } })
        .catch(() => {});
      this.persistence.counted(1, change.update.length);
      this.sessions.forward(name, change);
      this.gossip.changed();
    }
    if (!this.events.subscribed) return;
    const peer = change.origin === 'remote' ? (change.from ?? this.sessions.sender()) : undefined;
    this.events.emit({
      type: 'change',
      engine: name,
      origin: change.origin,
      ...(peer === undefined ? {} : { peer }),
    });
  }

  // ---- undo / redo ----------------------------------------------------------------------------------

  /** Whether there is an edit of this replica's to undo / an undone one to redo. */
  get canUndo(): boolean {
    return !this.anyLoading() && this.history.canUndo;
  }

  get canRedo(): boolean {
    return !this.anyLoading() && this.history.canRedo;
  }

  /**
   * Undo this replica's newest step of edits in every engine: a new edit that reverts it (Y.UndoManager
   * for engines that have one, the runtime's intent-level inverse for the others), stored and synced like
   * any other; what other replicas did meanwhile stays. Resolves to false when there was nothing to undo.
   */
  undo(): Promise<boolean> {
    return this.revert('undo');
  }

  /** Re-apply the newest undone step (after an undo, until the next edit). */
  redo(): Promise<boolean> {
    return this.revert('redo');
  }

  private async revert(direction: 'undo' | 'redo'): Promise<boolean> {
    this.assertTakingEdits();
    this.assertNotApplying();
    // A step made now would leave out the engines still loading: nothing is undone until they have.
    if (this.anyLoading()) return false;
    // Engines behind take what waits for them first (their part of the step comes with it): an undo
    // is then whole in every engine, and acknowledged in each like any edit.
    this.catchUpNow();
    const step = this.history.take(direction);
    if (step === undefined) return false;
    this.engines.settle();
    const pending = pendingIntent();
    this.collecting = pending;
    try {
      this.history.revert(step, direction, {
        native: (name) =>
          this.problemLog.guard({ kind: 'engine-error', engine: name }, `${direction} failed`, () => {
            const undo = this.engines.get(name).undo;
            return undo !== undefined && (direction === 'undo' ? undo.undo() : undo.redo());
          }) === true,
        apply: (name, edit) => {
          try {
            this.engines.get(name).apply(this.schema.intentOf(edit) as Intent);
            return true;
          } catch (error) {
            this.problemLog.failed({ kind: 'engine-error', engine: name }, `${direction} failed`, error);
            return false;
          }
        },
      });
    } finally {
      this.collecting = undefined;
    }
    this.events.emit({ type: 'history' });
    await this.commitIntent(pending);
    return true;
  }

  // ---- settings -------------------------------------------------------------------------------------

  get skewMs(): number {
    return this.settings.skewMs;
  }

  get primary(): EngineName {
    return this.settings.primary;
  }

  get engineNames(): readonly EngineName[] {
    return this.engines.names;
  }

  get isOffline(): boolean {
    return this.settings.offline;
  }

  /** Set the clock skew the engines see (LWW stamps writes with it); persisted with the replica. */
  async setSkew(ms: number): Promise<void> {
    this.assertOpen();
    this.settings.setSkew(ms);
    await this.settingsChanged();
  }

  /** Choose the engine whose text the user edits (once it has loaded); persisted with the replica. */
  async setPrimary(name: EngineName): Promise<void> {
    this.assertOpen();
    if (!this.engines.has(name)) throw new ReplicaError(`engine ${name} is not hosted by replica ${this.id}`);
    // Its text must be whole before edits are placed against it.
    if (this.backlog.get(name)?.loading === false) this.catchUpNow();
    if (!this.engines.isReady(name)) await this.loaded;
    this.settings.primary = name;
    await this.settingsChanged();
  }

  /**
   * Go offline (connection closed, edits keep working locally) or back online, if the transport can; throws
   * at once if it cannot. The switch takes effect now and is stored with the replica, so a restart keeps
   * it; the returned promise settles once it is durable (a failed write is reported as a store-error
   * problem, never thrown: the switch itself happened).
   */
  setOffline(offline: boolean): Promise<void> {
    this.assertOpen();
    this.settings.setOffline(offline);
    return this.settingsChanged().catch(() => {});
  }

  private settingsChanged(): Promise<void> {
    const { skewMs, primary, offline } = this.settings;
    this.events.emit({ type: 'settings', skewMs, primary, offline });
    return this.persistence.persist({ kind: 'metadata', metadata: this.settings.metadata() });
  }

  /** Start writing whatever the store has queued now (the page is going away). */
  flush(): void {
    this.persistence.flush();
  }

  // ---- presence -------------------------------------------------------------------------------------

  /**
   * Announce who is at this window and where its caret is, to every reachable peer now (after the local
   * edits made before it, while they are being stored) and on every link-up, renewed until the replica
   * closes. Never stored. Throws ReplicaError for an invalid state.
   */
  setPresence(state: LocalPresence): void {
    this.assertOpen();
    this.presenceOf.check(state);
    // A caret placed by an edit still being stored would reach peers before the edit, and they would
    // map it through that edit once more: it waits until every local edit so far was sent.
    if (this.unforwarded > 0) this.heldPresence = state;
    else this.presenceOf.set(state);
  }

  /** What every peer last announced, with whether it is here, cut off or offline (a 'presence' event on change). */
  presence(): readonly PeerPresence[] {
    return this.presenceOf.peers();
  }

  // ---- observable state -----------------------------------------------------------------------------

  /** Subscribe to changes of anything `status()` or `peerDigests()` reports. Returns an unsubscribe function. */
  subscribe(listener: (event: ReplicaEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  /** The engine instance (its descriptor in `registry` says what more it offers: a ledger, heads). */
  engine(name: EngineName): Engine {
    return this.engines.get(name);
  }

  view(name: EngineName): WorkspaceView {
    this.assertOpen();
    return this.engines.view(name);
  }

  /** An engine's view with every text empty: O(the fields besides text), for readers following the text deltas. */
  viewWithoutText(name: EngineName): WorkspaceView {
    this.assertOpen();
    // An engine not built yet (a progressive open) is empty: its view has no text either.
    return this.engines.isBuilt(name) ? this.engines.get(name).viewWithoutText() : this.engines.view(name);
  }

  digest(name: EngineName): string {
    this.assertOpen();
    return this.engines.digest(name);
  }

  /** A text field's length in an engine (O(1)). */
  textLength(name: EngineName, field = 'text'): number {
    this.assertOpen();
    if (!this.engines.isBuilt(name)) return this.hostedText(name, field).length;
    return this.engines.get(name).textLength(field);
  }

  /**
   * Code units [from, to) of an engine's text (O(log n + to − from)); the whole text without a range.
   * With the 'text' events, a view of the text needs this once and the deltas after.
   */
  textSlice(name: EngineName, field = 'text', from?: number, to?: number): string {
    this.assertOpen();
    if (!this.engines.isBuilt(name)) return this.hostedText(name, field).slice(from, to);
    return this.engines.get(name).textSlice(field, from, to);
  }

  /** The text of an engine not built yet (a progressive open): empty, if the engine and field exist. */
  private hostedText(name: EngineName, field: string): string {
    if (!this.engines.has(name)) throw new ReplicaError(`engine ${name} is not hosted by replica ${this.id}`);
    const text = (this.engines.view(name) as unknown as Record<string, unknown>)[field];
    if (typeof text !== 'string') throw new ReplicaError(`no text field ${field} in the workspace`);
    return text;
  }

  /**
   * Per engine, our digest and which linked peers hold the same state (by their announced digests). Cached
   * until an engine changes or a peer announces; a 'convergence' event says when it changed.
   */
  convergence(): Readonly<Partial<Record<EngineName, EngineConvergence>>> {
    this.assertOpen();
    this.convergenceState ??= this.computeConvergence();
    return this.convergenceState;
  }

  private computeConvergence(): Partial<Record<EngineName, EngineConvergence>> {
    const peers = this.gossip.peerDigests();
    const result: Partial<Record<EngineName, EngineConvergence>> = {};
    for (const name of this.engines.readyNames) {
      const digest = this.engines.digest(name);
      const agree: string[] = [];
      const differ: string[] = [];
      for (const [peer, digests] of peers) {
        const theirs = digests[name];
        if (theirs === undefined) continue;
        (theirs === digest ? agree : differ).push(peer);
      }
      result[name] = { digest, agree, differ };
    }
    return result;
  }

  /**
   * Forget the convergence state, and announce it if it changed, once per burst (after `digestDelayMs`,
   * like the digests to peers): computing it takes every engine's digest.
   */
  private convergenceChanged(): void {
    this.convergenceState = undefined;
    if (!this.events.subscribed) {
      // Nobody to tell: nothing to compute. Whoever subscribes reads `convergence()` and hears of the
      // next change whatever it is (nothing counts as announced).
      this.announcedConvergence = undefined;
      return;
    }
    if (this.cancelConvergence !== undefined || this.closed) return;
    this.cancelConvergence = this.timers.setTimeout(() => {
      this.cancelConvergence = undefined;
      if (this.closed) return;
      const now = JSON.stringify(this.convergence());
      if (now === this.announcedConvergence) return;
      this.announcedConvergence = now;
      this.events.emit({ type: 'convergence' });
    }, this.digestDelayMs);
  }

  version(name: EngineName): EngineVersion {
    this.assertOpen();
    return this.engines.get(name).version();
  }

  connection(): ConnectionState {
    return this.closed ? 'offline' : this.transport.state();
  }

  /** Peers with open sync sessions, sorted. */
  peers(): string[] {
    return this.sessions.peers();
  }

  /**
   * The digests reachable peers announced, per engine, by peer id (sorted). Only peers whose link is up
   * and that announced something are listed; equal to our own `digest(engine)` means the same state.
   * The same object is returned until something in it changes (a 'peer-digests' event).
   */
  peerDigests(): ReadonlyMap<string, PeerDigests> {
    return this.gossip.peerDigests();
  }

  trafficOf(name: EngineName): TrafficCounters {
    return this.sessions.trafficOf(name);
  }

  /** Store writes not yet durable; 0 means everything this replica holds is on disk. */
  pendingWriteCount(): number {
    return this.persistence.pendingCount;
  }

  /** Recent problems (malformed payloads, engine or store errors, load damage), oldest first. */
  problems(): readonly ReplicaProblem[] {
    return this.problemLog.list();
  }

  /**
   * Everything about the replica at once. `withoutText`: every view's texts empty (`viewWithoutText`), for
   * readers that follow the text deltas instead: a view with its texts reads each engine's whole text
   * after every change. `withoutDigest`: every digest undefined (a window's first status, posted before
   * its texts' hashes are taken).
   */
  status(options?: { readonly withoutText?: boolean; readonly withoutDigest?: boolean }): ReplicaStatus {
    const withoutText = options?.withoutText === true;
    const withoutDigest = options?.withoutDigest === true;
    const engines: Partial<Record<EngineName, EngineStatus>> = {};
    for (const name of this.engines.names) {
      // Not built yet (a progressive open, still loading; `loading` lists it): nothing to report.
      if (!this.engines.isBuilt(name)) continue;
      engines[name] = {
        view: withoutText ? this.viewWithoutText(name) : this.view(name),
        digest: withoutDigest ? undefined : this.digest(name),
        version: this.version(name),
        peerVersions: this.sessions.peerVersions(name),
        traffic: this.trafficOf(name),
      };
    }
    return {
      id: this.id,
      connection: this.connection(),
      peers: this.peers(),
      skewMs: this.skewMs,
      primary: this.primary,
      offline: this.isOffline,
      engines,
      loading: this.loading(),
      behind: this.behind(),
      problems: this.problems(),
    };
  }

  /** Engines still loading (a progressive open), in display order; empty once `loaded` resolved. */
  loading(): readonly EngineName[] {
    return this.backlogNames(true);
  }

  /** Engines behind on a large edit, catching up (in the order they fell behind). */
  behind(): readonly EngineName[] {
    return this.backlogNames(false);
  }

  private backlogNames(loading: boolean): readonly EngineName[] {
    if (this.backlog.size === 0) return NO_ENGINES;
    const names: EngineName[] = [];
    for (const [name, backlog] of this.backlog) if (backlog.loading === loading) names.push(name);
    return names.length === 0 ? NO_ENGINES : names;
  }

  private anyLoading(): boolean {
    for (const backlog of this.backlog.values()) if (backlog.loading) return true;
    return false;
  }

  // ---- lifecycle ------------------------------------------------------------------------------------

  /**
   * Disconnect and stop. Local edits already made are first forwarded to the peers still linked, once
   * their writes settle (the transport sends what it was handed before its connection closes); then it
   * disconnects, waits for appends already issued, and closes every engine (releasing what it holds;
   * reading the replica's state afterwards throws). The store stays open (its owner closes it),
   * so a new Replica can be opened on it. Idempotent: every call resolves once the replica is closed.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // An acknowledged edit still being stored would otherwise never leave: its forward would find the
    // sessions closed, and the room would lack it until this replica came back.
    this.leaving = true;
    if (this.unforwarded > 0)
      await new Promise<void>((resolve) => {
        this.allForwarded = resolve;
      });
    this.closed = true;
    this.primarySynced?.(); // nothing more to wait for: the background load ends
    for (const done of [...this.handshakeWaiters]) done();
    this.cancelCatchUp?.(); // what the engines behind still lack is stored with its deferrals
    if (this.anyLoading())
      this.rejectLoaded(
        new ReplicaError(`replica ${this.id} closed while ${this.loading().join(', ')} loaded`),
      );
    this.cancelAntiEntropy();
    this.cancelConvergence?.();
    this.gossip.stop();
    this.presenceOf.stop();
    this.sessions.closeAll(false);
    this.transport.close();
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    await this.persistence.settled();
    this.engines.close();
    this.gossip.close();
    this.events.clear();
  }

  /**
   * Read the store, then load the primary engine (and, unless the open is progressive, every other one).
   * The engines left to load each get a backlog, which holds what reaches them before they have loaded.
   */
  private async load(options: ReplicaOptions): Promise<StoreLoad> {
    const { settings } = this;
    let saved: ReplicaMetadata | undefined;
    const load = await this.persistence.read(options.onLoadProgress, (metadata) => {
      if (metadata !== undefined && metadata.replicaId !== this.id) {
        throw new ReplicaError(`the store belongs to replica ${metadata.replicaId}, not ${this.id}`);
      }
      saved = metadata;
      settings.skewMs = options.skewMs ?? metadata?.skewMs ?? 0;
      if (
        options.primary === undefined &&
        metadata?.primary !== undefined &&
        this.engines.has(metadata.primary)
      ) {
        settings.primary = metadata.primary;
      }
    });
    this.persistence.holdCompaction(true);
    const primary = this.primary;
    const now = options.progressive === true ? [primary] : [primary, ...this.engines.names];
    for (const name of this.engines.names)
      if (!now.includes(name)) this.backlog.set(name, { entries: [], heldBytes: 0, loading: true });
    for (const name of new Set(now)) {
      // Built before its store loads, outside the load's guards: an engine that cannot be built fails the open.
      await this.registry.load(name);
      this.engines.build(name);
      await this.persistence.loadEngine(load, name, false);
      this.engineLoaded(name, load);
    }
    this.engines.invalidate();
    if (saved?.offline === true) {
      this.problemLog.guard({ kind: 'store-error' }, 'stored offline setting ignored', () =>
        settings.setOffline(true),
      );
    }
    if (settings.differsFrom(saved))
      await this.persistence.persist({ kind: 'metadata', metadata: settings.metadata() });
    return load;
  }

  /** Load the engines left, one by one, each in tasks of its own (the host answers its page between). */
  private async loadInBackground(load: StoreLoad): Promise<void> {
    try {
      if (!load.holds(this.primary)) await this.primaryFirstSync();
      for (const name of this.loading()) {
        await load.pause();
        await this.handshakeSettled();
        if (this.closed) return;
        // Its code only now (Yjs's, Automerge's, Loro's libraries: a chunk each), after the primary's text.
        await this.registry.load(name);
        if (this.closed) return;
        this.engines.build(name); // a failure is caught below: the engine stays loading, `loaded` rejects
        await this.persistence.loadEngine(load, name, true);
        if (this.closed) return;
        this.engineLoaded(name, load);
      }
      this.allLoaded();
    } catch (error) {
      // Nothing above throws by design (every engine call is guarded); a bug must not go unseen.
      this.problemLog.failed({ kind: 'engine-error' }, 'loading the engines failed', error);
      this.rejectLoaded(error instanceof Error ? error : new ReplicaError(String(error)));
    }
  }

  /**
   * An engine has loaded its store: it follows its changes from now on, takes the intents deferred for it
   * (stored ones first, then those made since the open, with peers' messages in the order they came)
   * and syncs with every linked peer.
   */
  private engineLoaded(name: EngineName, load: StoreLoad): void {
    this.unsubscribers.push(this.engines.get(name).onChange((change) => this.engineChanged(name, change)));
    this.engines.markReady(name);
    this.engines.invalidate(name);
    const backlog = this.backlog.get(name);
    this.backlog.delete(name);
    this.sessions.engineReady(name);
    // Stored ones were made in an earlier session: no undo step of this one holds them.
    for (const { id, intent } of load.deferredFor(name)) this.realiseNow(name, id, intent, undefined);
    if (backlog === undefined) return; // loaded before the replica opened
    this.takeBacklog(name, backlog, undefined);
    this.gossip.enginesChanged();
    this.gossip.changed();
    this.convergenceChanged();
    this.events.emit({ type: 'loading', engines: this.loading() });
  }

  /**
   * Until the transport is no longer connecting, or it has been for HANDSHAKE_WAIT_MS. A relay transport
   * says hello when its socket opens, which it cannot while the thread is in an engine's load (seconds
   * for a 1 MB document): the relay would refuse it after its hello timeout. Loading waits for the
   * handshake (normally a round trip) instead.
   */
  private handshakeSettled(): Promise<void> {
    if (this.closed || this.transport.state() !== 'connecting') return Promise.resolve();
    const since = this.connectingSince ?? this.timers.now();
    const left = since + HANDSHAKE_WAIT_MS - this.timers.now();
    if (left <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.handshakeWaiters.delete(done);
        cancel();
        resolve();
      };
      const cancel = this.timers.setTimeout(done, left);
      this.handshakeWaiters.add(done);
    });
  }

  private connectionChanged(state: ConnectionState): void {
    if (state !== 'connecting') {
      this.connectingSince = undefined;
      for (const done of [...this.handshakeWaiters]) done();
    } else {
      this.connectingSince ??= this.timers.now();
    }
  }

  /** Until a peer holds what the primary holds (or PRIMARY_SYNC_WAIT_MS passed). */
  private primaryFirstSync(): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.timers.setTimeout(() => this.primarySynced?.(), PRIMARY_SYNC_WAIT_MS);
      this.primarySynced = () => {
        this.primarySynced = undefined;
        cancel();
        resolve();
      };
      this.checkPrimarySynced();
    });
  }

  /** While the other engines wait for the primary's first sync: whether some peer now holds the same. */
  private checkPrimarySynced(): void {
    const synced = this.primarySynced;
    if (synced === undefined) return;
    const ours = this.closed ? undefined : this.engines.digest(this.primary);
    let same = ours === undefined;
    for (const digests of this.gossip.peerDigests().values()) same ||= digests[this.primary] === ours;
    if (same) synced();
  }

  /**
   * Every engine has loaded: compaction may run (unless engines are behind), and `loaded` resolves. The
   * undo steps made meanwhile are whole: each loading engine added its part to them as it took them.
   */
  private allLoaded(): void {
    if (this.backlog.size === 0) this.persistence.holdCompaction(false);
    this.resolveLoaded();
    this.events.emit({ type: 'history' }); // undo is possible again
  }

  /** A deferral of `intent` for the engines still loading, made against the primary's text as it is now. */
  private deferral(intent: Intent): DeferredIntent {
    const primary = this.engines.get(this.primary);
    return {
      id: `${this.deferralPrefix}.${++this.deferrals}`,
      engines: [...this.backlog.keys()],
      intent: encodeDeferredIntent(this.schema, intent, (field) => ({
        length: primary.textLength(field),
        slice: (from, to) => primary.textSlice(field, from, to),
      })),
    };
  }

  /**
   * The primary took the intent: it is stored with the deferral, and waits for each engine loading or
   * behind, with `step`, the undo step it belongs to (their parts of it join the step when they take it).
   */
  private defer(pending: PendingIntent, deferred: DeferredIntent, step: UndoStep | undefined): void {
    pending.deferred = deferred;
    for (const name of deferred.engines)
      this.backlog
        .get(name)
        ?.entries.push({ kind: 'intent', id: deferred.id, intent: deferred.intent, step });
  }

  /** A peer's sync message for an engine still loading: kept for it, up to MAX_HELD_BYTES. */
  private hold(name: EngineName, from: string, payload: Uint8Array): void {
    const backlog = this.backlog.get(name);
    if (backlog === undefined) return;
    if (backlog.heldBytes + payload.length > MAX_HELD_BYTES) {
      // Its sessions start with a handshake once it has loaded: the peer sends what it lacks again.
      this.problemLog.report({
        kind: 'rejected-payload',
        engine: name,
        peer: from,
        message: `dropped a ${payload.length}-byte payload while ${name} loads (its handshake repairs it)`,
      });
      return;
    }
    backlog.heldBytes += payload.length;
    backlog.entries.push({ kind: 'frame', from, payload });
  }

  // ---- engines behind on a large edit ----------------------------------------------------------------

  /**
   * A large text edit is about to be applied: every loaded engine but the primary that is expected to take
   * longer than BEHIND_ABOVE_MS on it falls behind (it takes this edit, and every one after it until it
   * caught up, as deferred intents, in pieces: `catchUp`), so the others acknowledge and forward it now.
   */
  private fallBehindOn(edit: TextEdit): void {
    let fell = false;
    for (const name of this.engines.readyNames) {
      if (name === this.primary || !this.costs.behindOn(name, edit)) continue;
      this.engines.markBehind(name);
      this.backlog.set(name, { entries: [], heldBytes: 0, loading: false });
      fell = true;
    }
    if (!fell) return;
    // Its snapshot would hold half an intent, or lack what waits for it.
    this.persistence.holdCompaction(true);
    this.gossip.enginesChanged();
    this.convergenceChanged();
    this.events.emit({ type: 'behind', engines: this.behind() });
  }

  /** `watch`, and each engine's time on each intent measured (a large edit: what it costs the engine). */
  private measured(watch: PlanWatch): PlanWatch {
    let started = 0;
    return {
      before: (name, intent) => {
        watch.before?.(name, intent);
        started = this.monotonicNow();
      },
      after: (name, intent) => {
        const edit = this.schema.edit(intent);
        if (edit.kind === 'text') this.costs.measured(name, edit, this.monotonicNow() - started);
        watch.after?.(name, intent);
      },
    };
  }

  /** Start catching up (a task of its own), unless a piece is already scheduled. */
  private readonly catchUpSoon = (): void => this.scheduleCatchUp(0);
  /** The same, once peers had CATCH_UP_START_MS to take in the edit the engines behind are to take. */
  private readonly catchUpLater = (): void => this.scheduleCatchUp(CATCH_UP_START_MS);

  private scheduleCatchUp(delayMs: number): void {
    if (this.cancelCatchUp !== undefined || this.closed || this.behind().length === 0) return;
    this.cancelCatchUp = this.timers.setTimeout(() => {
      this.cancelCatchUp = undefined;
      this.catchUp();
    }, delayMs);
  }

  /**
   * One piece of catching up: the engines behind take what waits for them, in order, for about
   * CATCH_UP_PIECE_MS (a large deferred edit in parts sized by what the engine is measured to take);
   * the next piece comes after a turn of the host's (CATCH_UP_GAP_MS).
   */
  private catchUp(): void {
    if (this.closed) return;
    const deadline = this.monotonicNow() + CATCH_UP_PIECE_MS;
    for (const [name, backlog] of [...this.backlog]) {
      if (backlog.loading) continue;
      if (this.takeBacklog(name, backlog, deadline)) this.caughtUp(name);
      if (this.monotonicNow() >= deadline) break;
    }
    this.scheduleCatchUp(CATCH_UP_GAP_MS);
  }

  /** Every engine behind takes what waits for it, now (before an undo or redo, or becoming the primary). */
  private catchUpNow(): void {
    for (const [name, backlog] of [...this.backlog]) {
      if (backlog.loading) continue;
      this.takeBacklog(name, backlog, undefined);
      this.caughtUp(name);
    }
  }

  /** An engine behind took everything that waited for it: it takes edits and syncs as before. */
  private caughtUp(name: EngineName): void {
    this.backlog.delete(name);
    this.engines.markReady(name);
    this.engines.invalidate(name);
    this.sessions.engineReady(name); // peers linked up meanwhile
    if (this.backlog.size === 0) {
      this.cancelCatchUp?.();
      this.cancelCatchUp = undefined;
      this.persistence.holdCompaction(false);
    }
    this.gossip.enginesChanged();
    this.gossip.changed();
    this.convergenceChanged();
    this.events.emit({ type: 'behind', engines: this.behind() });
  }

  /**
   * An engine takes what waits for it, in order, until `deadline` (on the monotonic clock; undefined: all
   * of it). Returns whether nothing is left.
   */
  private takeBacklog(name: EngineName, backlog: Backlog, deadline: number | undefined): boolean {
    for (;;) {
      if (backlog.realising !== undefined) {
        if (!this.continueRealising(name, backlog.realising, deadline)) return false;
        backlog.realising = undefined;
      }
      const entry = backlog.entries.shift();
      if (entry === undefined) return true;
      if (entry.kind === 'frame') {
        backlog.heldBytes -= entry.payload.length;
        this.sessions.deliver(entry.from, name, entry.payload);
      } else backlog.realising = this.startRealising(name, entry.id, entry.intent, entry.step);
      if (deadline !== undefined && this.monotonicNow() >= deadline)
        return backlog.realising === undefined && backlog.entries.length === 0;
    }
  }

  /**
   * A loaded engine takes an intent deferred for it: placed in its own text by the alignment rule
   * (deferred-intent.ts), stored as one `realised` record (also when it changed nothing, so it is never
   * applied twice), and forwarded to peers once durable, like any local intent. What it changes joins
   * `step`, the undo step the intent was made in.
   */
  private realiseNow(name: EngineName, id: string, bytes: Uint8Array, step: UndoStep | undefined): void {
    this.continueRealising(name, this.startRealising(name, id, bytes, step), undefined);
  }

  private startRealising(
    name: EngineName,
    id: string,
    bytes: Uint8Array,
    step: UndoStep | undefined,
  ): Realisation {
    const engine = this.engines.get(name);
    const pending = pendingIntent();
    try {
      const { intent, context } = decodeDeferredIntent(this.schema, bytes);
      const edit = this.schema.edit(intent);
      this.problemLog.guard({ kind: 'engine-error', engine: name }, 'settle() failed', () =>
        engine.settle?.(),
      );
      const edits =
        edit.kind === 'text' && context !== undefined
          ? placeDeferredTextEdit(
              {
                length: engine.textLength(edit.field),
                slice: (from, to) => engine.textSlice(edit.field, from, to),
              },
              edit,
              context,
            ).map((e) => this.schema.intentOf(e) as Intent)
          : [intent];
      this.history.realisation.begin(step, name);
      const before =
        step !== undefined && edit.kind !== 'text' && engine.undo === undefined
          ? this.engines.view(name)
          : undefined;
      return { id, step, intent, edits, pending, before, applied: 0 };
    } catch (error) {
      this.problemLog.failed({ kind: 'engine-error', engine: name }, 'a deferred intent failed', error);
      return { id, step, intent: undefined, edits: [], pending, before: undefined, applied: 0 };
    }
  }

  /**
   * Apply what is left of a deferred intent until `deadline` (undefined: all of it; at least one piece
   * either way); a large text edit goes in pieces of what the engine takes in the time left. Once it is
   * all applied, the `realised` record is stored. Returns whether it is.
   */
  private continueRealising(name: EngineName, r: Realisation, deadline: number | undefined): boolean {
    const engine = this.engines.get(name);
    let pieces = 0;
    try {
      while (r.edits.length > 0) {
        const now = deadline === undefined ? 0 : this.monotonicNow();
        if (deadline !== undefined && pieces > 0 && now >= deadline) return false;
        const piece =
          deadline === undefined ? (r.edits.shift() as Intent) : this.nextPiece(name, r, deadline - now);
        const edit = this.schema.edit(piece);
        this.realising = { engine: name, pending: r.pending };
        const started = this.monotonicNow();
        this.history.realisation.before(name, piece);
        try {
          engine.apply(piece);
        } finally {
          this.realising = undefined;
        }
        if (edit.kind === 'text') this.costs.measured(name, edit, this.monotonicNow() - started);
        this.history.realisation.after(r.step, name, piece, r.applied > 0);
        r.applied++;
        pieces++;
      }
    } catch (error) {
      r.edits.length = 0; // what it did change is stored below
      this.problemLog.failed({ kind: 'engine-error', engine: name }, 'a deferred intent failed', error);
    }
    this.history.realisation.end(r.step, name, r.intent, r.before, r.pending.updates.length > 0);
    const { pending } = r;
    const durable = this.persistence.persist({
      kind: 'realised',
      id: r.id,
      engine: name,
      updates: pending.updates.map(({ update }) => update),
    });
    let bytesStored = 0;
    for (const { update } of pending.updates) bytesStored += update.length;
    this.persistence.counted(pending.updates.length, bytesStored);
    this.localWrites.issued++;
    // Peers' messages to the engine wait for this forward: a hello answered before it would carry the
    // edit, and the forward would carry it to that peer again (issue 19: a 1 MB paste twice on a link).
    this.sessions.deliverAfter(
      name,
      durable.then(() => this.forward(pending), this.neverForwarded),
    );
    return true;
  }

  /**
   * The next piece of a deferred intent's edits: the first edit whole, or, a large text edit, as many of
   * its characters as the engine takes in `budgetMs` (never splitting a surrogate pair); the rest stays.
   */
  private nextPiece(name: EngineName, r: Realisation, budgetMs: number): Intent {
    const first = r.edits[0] as Intent;
    const edit = this.schema.edit(first);
    if (edit.kind !== 'text') return r.edits.shift() as Intent;
    const chars = this.costs.charsWithin(name, edit, Math.max(1, budgetMs));
    if (editChars(edit) <= chars) return r.edits.shift() as Intent;
    if (edit.action === 'insert') {
      const cut = keepPairs(chars, (i) => edit.text.charCodeAt(i));
      r.edits[0] = this.schema.intentOf({
        ...edit,
        pos: edit.pos + cut,
        text: edit.text.slice(cut),
      }) as Intent;
      return this.schema.intentOf({ ...edit, text: edit.text.slice(0, cut) }) as Intent;
    }
    const engine = this.engines.get(name);
    const cut = keepPairs(chars, (i) =>
      engine.textSlice(edit.field, edit.pos + i, edit.pos + i + 1).charCodeAt(0),
    );
    r.edits[0] = this.schema.intentOf({ ...edit, len: edit.len - cut }) as Intent;
    return this.schema.intentOf({ ...edit, len: cut }) as Intent;
  }

  private connect(): void {
    this.transport.start({
      linkUp: (peer) => {
        this.sessions.open(peer);
        if (this.sessions.linked(peer)) this.presenceOf.linkUp(peer);
      },
      linkDown: (peer, reason) => {
        this.sessions.close(peer, true);
        this.presenceOf.linkDown(peer, reason);
      },
      message: (from, channel, payload) => {
        if (channel === PRESENCE_CHANNEL) this.presenceOf.receive(from, payload);
        else this.sessions.receive(from, channel, payload);
      },
      state: (state) => {
        this.connectionChanged(state);
        this.sessions.connectionChanged(state);
        this.presenceOf.connectionChanged(state);
        this.events.emit({ type: 'connection', state });
      },
    });
    this.connectionChanged(this.transport.state());
    if (this.antiEntropyMs > 0) {
      this.cancelAntiEntropy = every(this.timers, this.antiEntropyMs, () => this.antiEntropy());
    }
    this.presenceOf.start();
  }

  private antiEntropy(): void {
    if (this.closed) return;
    this.sessions.fanOut(() => {
      this.gossip.antiEntropy();
      this.sessions.antiEntropy();
    });
  }

  /**
   * An edit made from a listener while another is being applied (events are told synchronously) would land
   * in the middle of it: its updates in the other's record, the other's fan-out plan overwritten.
   */
  private assertNotApplying(): void {
    if (this.collecting !== undefined)
      throw new ReplicaError(
        'an edit cannot be made while another is being applied (from an event listener?)',
      );
  }

  private assertOpen(): void {
    if (this.closed) throw new ReplicaError(`replica ${this.id} is closed`);
  }

  /** Closing: reads still answer while earlier edits are forwarded, but no new edit is taken. */
  private assertTakingEdits(): void {
    // `closed` is only ever set after `leaving`.
    if (this.leaving) throw new ReplicaError(`replica ${this.id} is closed`);
  }
}

/** `chars`, or one less when the code unit before it (`codeUnitAt(chars - 1)`) opens a surrogate pair. */
function keepPairs(chars: number, codeUnitAt: (index: number) => number): number {
  const unit = codeUnitAt(chars - 1);
  return unit >= 0xd800 && unit <= 0xdbff ? chars - 1 : chars;
}

function nonNegative(value: number, name: string): number {
  if (!(Number.isSafeInteger(value) && value >= 0))
    throw new ReplicaError(`${name} must be a non-negative integer, got ${value}`);
  return value;
}
