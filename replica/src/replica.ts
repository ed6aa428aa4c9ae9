/**
 * A replica: one id, a set of engines (converge, yjs, automerge, lww — whichever it hosts), a store and a
 * transport. A user intent enters once and is applied to every engine; each engine syncs with every
 * reachable peer through its own session; everything an engine changes is appended to the store.
 *
 * Flow of a local edit: validate → check it against the primary engine's text → align text positions for
 * the other engines → apply to the primary, then the others → each engine reports its update (onChange)
 * → all of them are appended to the store as ONE intent record, so a crash or reload leaves every engine
 * with the edit or none → `apply` resolves once that record is durable (the edit is acknowledged) → only
 * then is each update handed to its engine's open sessions. Updates that came from peers are appended one
 * record per engine and forwarded at once (they are already durable where they were made, so a crash
 * between two of them loses nothing the peers cannot send again).
 *
 * Settings (clock skew, primary engine, the Offline switch) are stored with the replica: a replica
 * reopened offline stays offline, so it pushes nothing until the user switches it back.
 *
 * Sessions: on linkUp one session per engine is opened and started (handshake); changes are forwarded to
 * open sessions (each session decides what its peer still lacks, and skips echoing a peer's own update);
 * linkDown closes them and nothing more is sent; a periodic anti-entropy round lets every session
 * re-advertise its version so whatever chaos dropped gets repaired.
 *
 * Digests: over the same links, a replica tells each reachable peer its state digest per engine (on
 * linkUp, shortly after a change — coalesced — and again every anti-entropy round, which repairs lost
 * announcements). What peers announced is `peerDigests()`: the strongest evidence that two replicas hold
 * the same state (a Yjs state vector, for one, leaves deletions out). A peer's digests are forgotten when
 * its link goes down, so they are never older than the link that carried them. On the wire every payload
 * is a replica message (protocol.ts): the Replica wraps the engines' sync messages and unwraps them
 * again, so engines never see announcements.
 *
 * Effects are injected: transport, store, timers and the wall clock.
 */

import {
  type Cancel,
  type ConnectionState,
  decodeReplicaMessage,
  encodeDigestMessage,
  encodeSyncMessage,
  errorMessage,
  every,
  type ReplicaMessage,
  realTimers,
  type Timers,
  type Transport,
} from '@converge/protocol';
import type { Engine, EngineChange, EngineContext, EngineVersion, SyncSession } from './engine.ts';
import type { EngineName } from './engine-name.ts';
import type { EngineRegistry } from './engine-registry.ts';
import { checkTextEdit, IntentError, type WorkspaceSchema } from './schema.ts';
import type { EngineUpdate, ReplicaMetadata, Store, StoreRecord } from './store.ts';
import { alignTextEdit } from './text-alignment.ts';
import { type Intent, WORKSPACE, type WorkspaceView } from './workspace.ts';

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
   * How long after a change the new digests are announced to peers, so a burst of changes (typing,
   * a peer's catch-up) makes one announcement (default 100 ms).
   */
  readonly digestDelayMs?: number;
  /** Compact the store after this many appended updates (default 1000; 0 never). */
  readonly compactAfter?: number;
}

export interface TrafficCounters {
  readonly framesSent: number;
  readonly bytesSent: number;
  readonly framesReceived: number;
  readonly bytesReceived: number;
  /** Received payloads refused: malformed replica messages, or ones the engine's session refused. */
  readonly framesRejected: number;
}

export type ProblemKind =
  | 'rejected-payload'
  | 'engine-error'
  | 'store-error'
  | 'load-damage'
  | 'unknown-engine';

/** Something that went wrong without stopping the replica, kept for the UI and logs. */
export interface ReplicaProblem {
  readonly kind: ProblemKind;
  readonly engine?: EngineName;
  readonly peer?: string;
  readonly message: string;
}

export type ReplicaEvent =
  | { readonly type: 'change'; readonly engine: EngineName; readonly origin: EngineChange['origin'] }
  | { readonly type: 'connection'; readonly state: ConnectionState }
  | { readonly type: 'peers'; readonly peers: readonly string[] }
  | {
      readonly type: 'settings';
      readonly skewMs: number;
      readonly primary: EngineName;
      readonly offline: boolean;
    }
  | { readonly type: 'traffic'; readonly engine: EngineName }
  /** What `peerDigests()` reports for the peer changed (a new digest, or forgotten on linkDown). */
  | { readonly type: 'peer-digests'; readonly peer: string }
  | { readonly type: 'problem'; readonly problem: ReplicaProblem };

export interface EngineStatus {
  readonly view: WorkspaceView;
  readonly digest: string;
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
  readonly engines: Readonly<Partial<Record<EngineName, EngineStatus>>>;
  readonly problems: readonly ReplicaProblem[];
}

export class ReplicaError extends Error {
  override readonly name = 'ReplicaError';
}

/** A transport that can take its node offline on request (SimTransport, RelayTransport). */
interface OfflineSwitch {
  setOffline(offline: boolean): void;
}

/** One local intent being applied: every engine's update, stored as one record, then forwarded. */
interface PendingIntent {
  readonly updates: EngineUpdate[];
  readonly changes: { readonly engine: EngineName; readonly change: EngineChange }[];
}

interface OpenSession {
  readonly session: SyncSession;
  /** Cleared on close so a late send from the session goes nowhere. */
  open: boolean;
}

/** Digests per engine, as one peer announced them (engines it did not announce are absent). */
export type PeerDigests = Readonly<Partial<Record<EngineName, string>>>;

interface HeardDigest {
  readonly seq: number;
  readonly digest: string;
}

interface MutableTraffic {
  framesSent: number;
  bytesSent: number;
  framesReceived: number;
  bytesReceived: number;
  framesRejected: number;
}

const DEFAULT_ANTI_ENTROPY_MS = 2000;
const DEFAULT_DIGEST_DELAY_MS = 100;
const DEFAULT_COMPACT_AFTER = 1000;
const MAX_PROBLEMS_KEPT = 100;

export class Replica {
  readonly id: string;
  /** The engines this replica hosts, with their descriptors (labels, wire codes, ledgers...). */
  readonly registry: EngineRegistry;
  /** The workspace's fields, which every engine holds. */
  readonly schema: WorkspaceSchema;
  private readonly transport: Transport;
  private readonly store: Store;
  private readonly timers: Timers;
  private readonly wallClock: () => number;
  private readonly antiEntropyMs: number;
  private readonly digestDelayMs: number;
  private readonly compactAfter: number;
  private readonly engines = new Map<EngineName, Engine>();
  private readonly cache = new Map<EngineName, { view?: WorkspaceView; digest?: string }>();
  private readonly traffic = new Map<EngineName, MutableTraffic>();
  /** peer → engine → session */
  private readonly sessions = new Map<string, Map<EngineName, OpenSession>>();
  /** peer → engine → the newest announcement heard from it since its link came up */
  private readonly heardDigests = new Map<string, Map<EngineName, HeardDigest>>();
  /** peer (with open sessions) → engine → the digest last announced to it */
  private readonly toldDigests = new Map<string, Map<EngineName, string>>();
  /** `peerDigests()` as last built; undefined once something changed. */
  private peerDigestsView: ReadonlyMap<string, PeerDigests> | undefined;
  /** Numbers our announcements, so peers keep the newest despite duplicates and reordering. */
  private announcementSeq = 0;
  private cancelDigestAnnouncement: Cancel | undefined;
  private readonly listeners = new Set<(event: ReplicaEvent) => void>();
  private readonly unsubscribers: (() => void)[] = [];
  private readonly pendingWrites = new Set<Promise<void>>();
  private readonly problemLog: ReplicaProblem[] = [];
  private skew = 0;
  private primaryName: EngineName;
  private offline = false;
  /** Set while `apply` runs the engines: their local changes become this intent's one record. */
  private collecting: PendingIntent | undefined;
  private updatesSinceCompaction = 0;
  private compacting = false;
  private compactionQueued = false;
  /** The store holds data of engines this replica does not host; compaction would drop it, so it is off. */
  private foreignData = false;
  private cancelAntiEntropy: Cancel = () => {};
  private closed = false;
  private closing: Promise<void> | undefined;

  /** Create a replica, load its store, then connect. Its own data is visible before any peer answers. */
  static async open(options: ReplicaOptions): Promise<Replica> {
    const replica = new Replica(options);
    try {
      await replica.load(options);
      replica.connect();
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
    this.transport = options.transport;
    this.store = options.store;
    this.timers = options.timers ?? realTimers;
    this.wallClock = options.now ?? (() => this.timers.now());
    this.antiEntropyMs = nonNegative(options.antiEntropyMs ?? DEFAULT_ANTI_ENTROPY_MS, 'antiEntropyMs');
    this.digestDelayMs = nonNegative(options.digestDelayMs ?? DEFAULT_DIGEST_DELAY_MS, 'digestDelayMs');
    this.compactAfter = nonNegative(options.compactAfter ?? DEFAULT_COMPACT_AFTER, 'compactAfter');
    this.registry = options.engines;
    this.schema = options.schema ?? WORKSPACE;
    this.primaryName = options.primary ?? (options.engines.names[0] as EngineName);
    const context: EngineContext = {
      replicaId: this.id,
      schema: this.schema,
      now: () => this.wallClock() + this.skew,
      skewMs: () => this.skew,
      ...(options.randomUint32 === undefined ? {} : { randomUint32: options.randomUint32 }),
    };
    try {
      for (const name of options.engines.names) this.addEngine(name, options.engines.create(name, context));
    } catch (error) {
      this.closeEngines();
      throw error;
    }
  }

  private addEngine(name: EngineName, engine: Engine): void {
    if (engine.name !== name) {
      engine.close();
      throw new ReplicaError(`the ${name} descriptor created the ${engine.name} engine`);
    }
    this.engines.set(name, engine);
    this.cache.set(name, {});
    this.traffic.set(name, {
      framesSent: 0,
      bytesSent: 0,
      framesReceived: 0,
      bytesReceived: 0,
      framesRejected: 0,
    });
  }

  // ---- local edits ----------------------------------------------------------------------------------

  /**
   * Apply a user intent to every engine. Text positions refer to the primary engine's text. Resolves once
   * every engine's resulting update is durable; rejects (IntentError) before touching anything if the
   * intent is invalid, and with a ReplicaError if some non-primary engine failed (the others keep the edit).
   */
  async apply(intent: Intent): Promise<void> {
    this.assertOpen();
    if (typeof intent !== 'object' || intent === null) throw new IntentError('an intent must be an object');
    this.schema.edit(intent);
    const primary = this.engine(this.primaryName);
    const plan = this.plan(intent);
    const pending: PendingIntent = { updates: [], changes: [] };
    const failures: string[] = [];
    this.collecting = pending;
    try {
      for (const edit of plan.get(this.primaryName) ?? []) primary.apply(edit);
      for (const [name, edits] of plan) {
        if (name === this.primaryName) continue;
        try {
          for (const edit of edits) this.engine(name).apply(edit);
        } catch (error) {
          failures.push(`${name}: ${errorMessage(error)}`);
          this.problem({
            kind: 'engine-error',
            engine: name,
            message: `apply ${intent.op} failed: ${errorMessage(error)}`,
          });
        }
      }
    } catch (error) {
      // The primary refused the edit: not acknowledged; whatever it did change is still stored.
      this.collecting = undefined;
      this.commitIntent(pending).catch(() => {});
      throw error;
    } finally {
      this.collecting = undefined;
    }
    await this.commitIntent(pending);
    if (failures.length > 0) {
      throw new ReplicaError(
        `${intent.op} was applied to ${this.primaryName} but failed on ${failures.join('; ')}`,
      );
    }
  }

  /**
   * Store an intent's updates as one record; once it is durable, hand each update to its engine's sessions.
   * A local edit leaves the replica only once it is durable: engines that number writes by replica id
   * (lww, converge) would otherwise reuse a number peers already hold after a crash.
   */
  private commitIntent(pending: PendingIntent): Promise<void> {
    if (pending.updates.length === 0) return Promise.resolve();
    const durable = this.persist({ kind: 'intent', updates: pending.updates });
    this.counted(pending.updates.length);
    durable.then(
      () => {
        for (const { engine, change } of pending.changes) this.forward(engine, change);
      },
      () => {}, // not acknowledged (reported by persist): it stays local
    );
    return durable;
  }

  /** Per engine, the edits that carry out `intent` (text edits aligned to each engine's own text). */
  private plan(intent: Intent): Map<EngineName, readonly Intent[]> {
    const plan = new Map<EngineName, readonly Intent[]>();
    const edit = this.schema.edit(intent);
    if (edit.kind !== 'text') {
      for (const name of this.engines.keys()) plan.set(name, [intent]);
      return plan;
    }
    const field = this.schema.field(edit.field);
    const textOf = (name: EngineName): string =>
      String(field === undefined ? '' : this.schema.valueIn(this.view(name), field));
    const source = textOf(this.primaryName);
    checkTextEdit(source, edit);
    for (const name of this.engines.keys()) {
      const edits = name === this.primaryName ? [edit] : alignTextEdit(source, textOf(name), edit);
      plan.set(
        name,
        edits.map((e) => this.schema.intentOf(e) as Intent),
      );
    }
    return plan;
  }

  // ---- settings -------------------------------------------------------------------------------------

  get skewMs(): number {
    return this.skew;
  }

  get primary(): EngineName {
    return this.primaryName;
  }

  get engineNames(): readonly EngineName[] {
    return [...this.engines.keys()];
  }

  /** Set the clock skew the engines see (LWW stamps writes with it); persisted with the replica. */
  async setSkew(ms: number): Promise<void> {
    this.assertOpen();
    if (!Number.isSafeInteger(ms)) throw new ReplicaError(`skew must be a safe integer of ms, got ${ms}`);
    this.skew = ms;
    this.emitSettings();
    await this.persist({ kind: 'metadata', metadata: this.metadata() });
  }

  /** Choose the engine whose text the user edits; persisted with the replica. */
  async setPrimary(name: EngineName): Promise<void> {
    this.assertOpen();
    if (!this.engines.has(name)) throw new ReplicaError(`engine ${name} is not hosted by replica ${this.id}`);
    this.primaryName = name;
    this.emitSettings();
    await this.persist({ kind: 'metadata', metadata: this.metadata() });
  }

  get isOffline(): boolean {
    return this.offline;
  }

  /**
   * Go offline (connection closed, edits keep working locally) or back online, if the transport can; throws
   * at once if it cannot. The switch takes effect now and is stored with the replica, so a restart keeps
   * it; the returned promise settles once it is durable (a failed write is reported as a store-error
   * problem, never thrown: the switch itself happened).
   */
  setOffline(offline: boolean): Promise<void> {
    this.assertOpen();
    this.switchTransport(offline);
    this.offline = offline;
    this.emitSettings();
    return this.persist({ kind: 'metadata', metadata: this.metadata() }).catch(() => {});
  }

  private switchTransport(offline: boolean): void {
    const transport = this.transport as Partial<OfflineSwitch>;
    if (typeof transport.setOffline !== 'function') {
      throw new ReplicaError('this transport cannot be switched offline');
    }
    transport.setOffline.call(this.transport, offline);
  }

  /** Start writing whatever the store has queued now (the page is going away). */
  flush(): void {
    this.store.flush();
  }

  // ---- observable state -----------------------------------------------------------------------------

  /** Subscribe to changes of anything `status()` or `peerDigests()` reports. Returns an unsubscribe function. */
  subscribe(listener: (event: ReplicaEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The engine instance (e.g. to read the lww engine's ledger). */
  engine(name: EngineName): Engine {
    const engine = this.engines.get(name);
    if (engine === undefined) throw new ReplicaError(`engine ${name} is not hosted by replica ${this.id}`);
    return engine;
  }

  view(name: EngineName): WorkspaceView {
    this.assertOpen();
    const entry = this.cacheOf(name);
    entry.view ??= this.engine(name).view();
    return entry.view;
  }

  digest(name: EngineName): string {
    this.assertOpen();
    const entry = this.cacheOf(name);
    entry.digest ??= this.engine(name).digest();
    return entry.digest;
  }

  version(name: EngineName): EngineVersion {
    this.assertOpen();
    return this.engine(name).version();
  }

  connection(): ConnectionState {
    return this.closed ? 'offline' : this.transport.state();
  }

  /** Peers with open sync sessions, sorted. */
  peers(): string[] {
    return [...this.sessions.keys()].sort();
  }

  /**
   * The digests reachable peers announced, per engine, by peer id (sorted). Only peers whose link is up
   * and that announced something are listed; equal to our own `digest(engine)` means the same state.
   * The same object is returned until something in it changes (a 'peer-digests' event).
   */
  peerDigests(): ReadonlyMap<string, PeerDigests> {
    if (this.peerDigestsView === undefined) {
      const view = new Map<string, PeerDigests>();
      for (const peer of [...this.heardDigests.keys()].sort()) {
        const heard = this.heardDigests.get(peer) as Map<EngineName, HeardDigest>;
        if (heard.size === 0) continue;
        const digests: Partial<Record<EngineName, string>> = {};
        for (const name of this.engines.keys()) {
          const digest = heard.get(name)?.digest;
          if (digest !== undefined) digests[name] = digest;
        }
        view.set(peer, digests);
      }
      this.peerDigestsView = view;
    }
    return this.peerDigestsView;
  }

  trafficOf(name: EngineName): TrafficCounters {
    const counters = this.traffic.get(name);
    if (counters === undefined) throw new ReplicaError(`engine ${name} is not hosted by replica ${this.id}`);
    return { ...counters };
  }

  /** Store writes not yet durable; 0 means everything this replica holds is on disk. */
  pendingWriteCount(): number {
    return this.pendingWrites.size;
  }

  /** Recent problems (malformed payloads, engine or store errors, load damage), oldest first. */
  problems(): readonly ReplicaProblem[] {
    return [...this.problemLog];
  }

  status(): ReplicaStatus {
    const engines: Partial<Record<EngineName, EngineStatus>> = {};
    for (const name of this.engines.keys()) {
      const peerVersions: Record<string, EngineVersion | undefined> = {};
      for (const [peer, byEngine] of this.sessions)
        peerVersions[peer] = byEngine.get(name)?.session.peerVersion();
      engines[name] = {
        view: this.view(name),
        digest: this.digest(name),
        version: this.version(name),
        peerVersions,
        traffic: this.trafficOf(name),
      };
    }
    return {
      id: this.id,
      connection: this.connection(),
      peers: this.peers(),
      skewMs: this.skew,
      primary: this.primaryName,
      offline: this.offline,
      engines,
      problems: this.problems(),
    };
  }

  // ---- lifecycle ------------------------------------------------------------------------------------

  /**
   * Disconnect and stop. Waits for appends already issued, then closes every engine (releasing what it
   * holds; reading the replica's state afterwards throws). The store stays open (its owner closes it),
   * so a new Replica can be opened on it. Idempotent: every call resolves once the replica is closed.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.cancelAntiEntropy();
    this.cancelDigestAnnouncement?.();
    this.cancelDigestAnnouncement = undefined;
    for (const peer of [...this.sessions.keys()]) this.closeSessions(peer, false);
    this.transport.close();
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    await Promise.allSettled([...this.pendingWrites]);
    this.closeEngines();
    for (const name of this.engines.keys()) this.cache.set(name, {});
    this.heardDigests.clear();
    this.peerDigestsView = undefined;
    this.listeners.clear();
  }

  /** Close every engine; one that fails to close does not keep the others open. */
  private closeEngines(): void {
    for (const [name, engine] of this.engines) {
      try {
        engine.close();
      } catch (error) {
        this.problem({
          kind: 'engine-error',
          engine: name,
          message: `close() failed: ${errorMessage(error)}`,
        });
      }
    }
  }

  private async load(options: ReplicaOptions): Promise<void> {
    const stored = await this.store.load();
    for (const damage of stored.damage) this.problem({ kind: 'load-damage', message: damage });
    const saved = stored.metadata;
    if (saved !== undefined && saved.replicaId !== this.id) {
      throw new ReplicaError(`the store belongs to replica ${saved.replicaId}, not ${this.id}`);
    }
    this.skew = options.skewMs ?? saved?.skewMs ?? 0;
    if (options.primary === undefined && saved?.primary !== undefined && this.engines.has(saved.primary)) {
      this.primaryName = saved.primary;
    }
    for (const [name, snapshot] of Object.entries(stored.snapshots) as [
      EngineName,
      Uint8Array | undefined,
    ][]) {
      if (snapshot !== undefined) this.loadInto(name, snapshot, 'snapshot');
    }
    stored.updates.forEach(({ engine, update }, index) => {
      this.loadInto(engine, update, `update ${index}`);
    });
    this.updatesSinceCompaction = stored.updates.length;
    for (const [name, engine] of this.engines) {
      this.cache.set(name, {});
      this.unsubscribers.push(engine.onChange((change) => this.engineChanged(name, change)));
    }
    if (saved?.offline === true) {
      try {
        this.switchTransport(true);
        this.offline = true;
      } catch (error) {
        this.problem({
          kind: 'store-error',
          message: `stored offline setting ignored: ${errorMessage(error)}`,
        });
      }
    }
    const metadata = this.metadata();
    if (
      saved === undefined ||
      saved.skewMs !== metadata.skewMs ||
      saved.primary !== metadata.primary ||
      (saved.offline === true) !== this.offline
    ) {
      await this.persist({ kind: 'metadata', metadata });
    }
    this.maybeCompact();
  }

  private loadInto(name: EngineName, bytes: Uint8Array, what: string): void {
    const engine = this.engines.get(name);
    if (engine === undefined) {
      this.foreignData = true;
      return;
    }
    try {
      engine.applyUpdate(bytes);
    } catch (error) {
      // Skipped, not fatal: the rest of the data still loads and peers can resend what this held.
      this.problem({
        kind: 'load-damage',
        engine: name,
        message: `stored ${what} unreadable: ${errorMessage(error)}`,
      });
    }
  }

  private connect(): void {
    this.transport.start({
      linkUp: (peer) => this.openSessions(peer),
      linkDown: (peer) => this.closeSessions(peer, true),
      message: (from, channel, payload) => this.receive(from, channel, payload),
      state: (state) => this.connectionChanged(state),
    });
    if (this.antiEntropyMs > 0) {
      this.cancelAntiEntropy = every(this.timers, this.antiEntropyMs, () => this.antiEntropy());
    }
  }

  // ---- engine changes -------------------------------------------------------------------------------

  private engineChanged(name: EngineName, change: EngineChange): void {
    this.cache.set(name, {});
    if (change.origin === 'local' && this.collecting !== undefined) {
      // Part of the intent `apply` is running: stored with the other engines' updates, in one record.
      this.collecting.updates.push({ engine: name, update: change.update });
      this.collecting.changes.push({ engine: name, change });
      this.scheduleDigestAnnouncement();
    } else if (change.origin === 'local') {
      // A local change outside `apply` (none of ours makes one): an intent of one engine.
      this.commitIntent({
        updates: [{ engine: name, update: change.update }],
        changes: [{ engine: name, change }],
      });
      this.scheduleDigestAnnouncement();
    } else if (change.origin === 'remote') {
      const durable = this.persist({ kind: 'update', engine: name, update: change.update });
      this.counted(1);
      durable.catch(() => {}); // reported as a problem by persist
      this.forward(name, change);
      this.scheduleDigestAnnouncement();
    }
    this.emit({ type: 'change', engine: name, origin: change.origin });
  }

  /** Count updates appended since the last compaction, and compact when there are enough. */
  private counted(updates: number): void {
    this.updatesSinceCompaction += updates;
    this.scheduleCompaction();
  }

  /** Hand a change to every open session of the engine; each ships what its peer lacks. */
  private forward(name: EngineName, change: EngineChange): void {
    if (this.closed) return;
    for (const byEngine of this.sessions.values()) {
      const open = byEngine.get(name);
      if (open?.open !== true) continue;
      try {
        open.session.changed(change);
      } catch (error) {
        this.problem({
          kind: 'engine-error',
          engine: name,
          peer: open.session.peer,
          message: `changed() failed: ${errorMessage(error)}`,
        });
      }
    }
  }

  private persist(record: StoreRecord): Promise<void> {
    const write = this.store.append(record).catch((error: unknown) => {
      this.problem({
        kind: 'store-error',
        ...(record.kind === 'update' ? { engine: record.engine } : {}),
        message: `append failed: ${errorMessage(error)}`,
      });
      throw error;
    });
    this.track(write);
    return write;
  }

  /** Compact outside the engine's change callback (an engine should not be asked to save mid-notification). */
  private scheduleCompaction(): void {
    if (this.compactAfter === 0 || this.updatesSinceCompaction < this.compactAfter || this.compactionQueued)
      return;
    this.compactionQueued = true;
    queueMicrotask(() => {
      this.compactionQueued = false;
      this.maybeCompact();
    });
  }

  /**
   * Replace the log with snapshots once it grew long. The snapshots are taken now, after every append
   * issued so far, and the store applies operations in order, so nothing is lost or doubled.
   */
  private maybeCompact(): void {
    if (this.compactAfter === 0 || this.updatesSinceCompaction < this.compactAfter) return;
    if (this.compacting || this.foreignData || this.closed) return;
    const engines: Partial<Record<EngineName, Uint8Array>> = {};
    try {
      for (const [name, engine] of this.engines) engines[name] = engine.save();
    } catch (error) {
      this.problem({ kind: 'engine-error', message: `save() for compaction failed: ${errorMessage(error)}` });
      return;
    }
    this.compacting = true;
    this.updatesSinceCompaction = 0;
    const done = this.store
      .compact({ engines, metadata: this.metadata() })
      .catch((error: unknown) =>
        this.problem({ kind: 'store-error', message: `compaction failed: ${errorMessage(error)}` }),
      )
      .finally(() => {
        this.compacting = false;
      });
    this.track(done);
  }

  private track(write: Promise<void>): void {
    this.pendingWrites.add(write);
    const settle = (): void => {
      this.pendingWrites.delete(write);
    };
    write.then(settle, settle);
  }

  // ---- sessions -------------------------------------------------------------------------------------

  private openSessions(peer: string): void {
    if (this.closed || peer === this.id) return;
    if (this.sessions.has(peer)) this.closeSessions(peer, false);
    const byEngine = new Map<EngineName, OpenSession>();
    this.sessions.set(peer, byEngine);
    for (const [name, engine] of this.engines) {
      const slot: { open: boolean } = { open: true };
      try {
        const session = engine.openSession(peer, (payload) => {
          if (slot.open) this.send(peer, name, encodeSyncMessage(payload));
        });
        byEngine.set(name, Object.assign(slot, { session }));
      } catch (error) {
        this.problem({
          kind: 'engine-error',
          engine: name,
          peer,
          message: `openSession failed: ${errorMessage(error)}`,
        });
      }
    }
    for (const [name, open] of byEngine) {
      try {
        open.session.start();
      } catch (error) {
        this.problem({
          kind: 'engine-error',
          engine: name,
          peer,
          message: `start() failed: ${errorMessage(error)}`,
        });
      }
    }
    this.toldDigests.set(peer, new Map());
    this.announceDigests(peer, true);
    this.emit({ type: 'peers', peers: this.peers() });
  }

  private closeSessions(peer: string, announce: boolean): void {
    const byEngine = this.sessions.get(peer);
    if (byEngine === undefined) return;
    this.sessions.delete(peer);
    this.toldDigests.delete(peer);
    this.forgetDigests(peer);
    for (const [name, open] of byEngine) {
      open.open = false;
      try {
        open.session.close();
      } catch (error) {
        this.problem({
          kind: 'engine-error',
          engine: name,
          peer,
          message: `close() failed: ${errorMessage(error)}`,
        });
      }
    }
    if (announce) this.emit({ type: 'peers', peers: this.peers() });
  }

  /** Put a replica message for one engine on the wire (counted in that engine's traffic). */
  private send(peer: string, name: EngineName, payload: Uint8Array): void {
    if (this.closed) return;
    const counters = this.traffic.get(name);
    if (counters !== undefined) {
      counters.framesSent++;
      counters.bytesSent += payload.length;
    }
    this.transport.send(peer, this.registry.get(name).wireCode, payload);
    this.emit({ type: 'traffic', engine: name });
  }

  private receive(from: string, channel: number, payload: Uint8Array): void {
    if (this.closed) return;
    const name = this.registry.byWireCode(channel)?.name;
    const counters = name === undefined ? undefined : this.traffic.get(name);
    if (name === undefined || counters === undefined) {
      this.problem({
        kind: 'unknown-engine',
        peer: from,
        message: `payload on channel ${channel}, which stands for no engine this replica hosts`,
      });
      return;
    }
    counters.framesReceived++;
    counters.bytesReceived += payload.length;
    // A frame can beat its linkUp event through an asynchronous transport; the peer is reachable, so sync.
    if (!this.sessions.has(from) && from !== this.id && this.transport.reachable().has(from))
      this.openSessions(from);
    let message: ReplicaMessage;
    try {
      message = decodeReplicaMessage(payload);
    } catch (error) {
      // Malformed: ignored, like a payload an engine refuses.
      counters.framesRejected++;
      this.problem({
        kind: 'rejected-payload',
        engine: name,
        peer: from,
        message: `rejected a malformed ${payload.length}-byte payload: ${errorMessage(error)}`,
      });
      this.emit({ type: 'traffic', engine: name });
      return;
    }
    if (message.kind === 'digest') {
      this.heardDigest(from, name, message);
      this.emit({ type: 'traffic', engine: name });
      return;
    }
    const open = this.sessions.get(from)?.get(name);
    if (open === undefined) return; // the link is down: the next linkUp resyncs
    let accepted: boolean;
    try {
      accepted = open.session.receive(message.payload);
    } catch (error) {
      accepted = false;
      this.problem({
        kind: 'engine-error',
        engine: name,
        peer: from,
        message: `receive() threw: ${errorMessage(error)}`,
      });
    }
    if (!accepted) {
      counters.framesRejected++;
      this.problem({
        kind: 'rejected-payload',
        engine: name,
        peer: from,
        message: `rejected a ${payload.length}-byte payload`,
      });
    }
    this.emit({ type: 'traffic', engine: name });
  }

  private antiEntropy(): void {
    if (this.closed) return;
    // Announcements are not acknowledged: repeating them repairs one that chaos dropped.
    for (const peer of this.toldDigests.keys()) this.announceDigests(peer, true);
    for (const byEngine of this.sessions.values()) {
      for (const [name, open] of byEngine) {
        try {
          open.session.antiEntropy();
        } catch (error) {
          this.problem({
            kind: 'engine-error',
            engine: name,
            peer: open.session.peer,
            message: `antiEntropy() failed: ${errorMessage(error)}`,
          });
        }
      }
    }
  }

  // ---- digests --------------------------------------------------------------------------------------

  /** Announce changed digests soon, once for a burst of changes (on the injected timers). */
  private scheduleDigestAnnouncement(): void {
    if (this.closed || this.cancelDigestAnnouncement !== undefined || this.toldDigests.size === 0) return;
    this.cancelDigestAnnouncement = this.timers.setTimeout(() => {
      this.cancelDigestAnnouncement = undefined;
      if (this.closed) return;
      for (const peer of [...this.toldDigests.keys()]) this.announceDigests(peer, false);
    }, this.digestDelayMs);
  }

  /** Tell a peer with open sessions our digest of every engine (`all`) or of those it was not told yet. */
  private announceDigests(peer: string, all: boolean): void {
    if (this.closed) return;
    const told = this.toldDigests.get(peer);
    if (told === undefined) return;
    for (const name of this.engines.keys()) {
      let payload: Uint8Array;
      let digest: string;
      try {
        digest = this.digest(name);
        if (!all && told.get(name) === digest) continue;
        payload = encodeDigestMessage(++this.announcementSeq, digest);
      } catch (error) {
        this.problem({
          kind: 'engine-error',
          engine: name,
          peer,
          message: `cannot announce the digest: ${errorMessage(error)}`,
        });
        continue;
      }
      told.set(name, digest);
      this.send(peer, name, payload);
    }
  }

  private heardDigest(from: string, name: EngineName, message: { seq: number; digest: string }): void {
    // Only within a link-up period: a digest must not outlive the link that carried it.
    if (!this.sessions.has(from)) return;
    let heard = this.heardDigests.get(from);
    if (heard === undefined) {
      heard = new Map();
      this.heardDigests.set(from, heard);
    }
    const previous = heard.get(name);
    if (previous !== undefined && previous.seq >= message.seq) return; // a duplicate, or overtaken
    heard.set(name, { seq: message.seq, digest: message.digest });
    if (previous?.digest === message.digest) return;
    this.peerDigestsView = undefined;
    this.emit({ type: 'peer-digests', peer: from });
  }

  private forgetDigests(peer: string): void {
    const heard = this.heardDigests.get(peer);
    if (heard === undefined) return;
    this.heardDigests.delete(peer);
    if (heard.size === 0) return;
    this.peerDigestsView = undefined;
    this.emit({ type: 'peer-digests', peer });
  }

  private connectionChanged(state: ConnectionState): void {
    if (state !== 'online') for (const peer of [...this.sessions.keys()]) this.closeSessions(peer, true);
    this.emit({ type: 'connection', state });
  }

  // ---- helpers --------------------------------------------------------------------------------------

  private metadata(): ReplicaMetadata {
    return {
      replicaId: this.id,
      skewMs: this.skew,
      primary: this.primaryName,
      ...(this.offline ? { offline: true } : {}),
    };
  }

  private cacheOf(name: EngineName): { view?: WorkspaceView; digest?: string } {
    const entry = this.cache.get(name);
    if (entry === undefined) throw new ReplicaError(`engine ${name} is not hosted by replica ${this.id}`);
    return entry;
  }

  private emitSettings(): void {
    this.emit({ type: 'settings', skewMs: this.skew, primary: this.primaryName, offline: this.offline });
  }

  private problem(problem: ReplicaProblem): void {
    this.problemLog.push(problem);
    if (this.problemLog.length > MAX_PROBLEMS_KEPT) this.problemLog.shift();
    this.emit({ type: 'problem', problem });
  }

  private emit(event: ReplicaEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing UI listener must not break replication.
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new ReplicaError(`replica ${this.id} is closed`);
  }
}

function nonNegative(value: number, name: string): number {
  if (!(Number.isSafeInteger(value) && value >= 0))
    throw new ReplicaError(`${name} must be a non-negative integer, got ${value}`);
  return value;
}
