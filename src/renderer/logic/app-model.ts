/**
 * The state of one window, for React: the replica's status, the LWW ledger, the wire log, the session
 * recorder and what went wrong, behind `subscribe` / `getSnapshot` (useSyncExternalStore).
 *
 * Replica events can come by the hundred per second (every frame is a traffic event), so they only mark
 * the model dirty; one flush per `schedule` tick (an animation frame in the app) builds a new snapshot.
 * Actions never throw: failures become notices, so no click can end in an unhandled rejection.
 */
import { errorMessage } from '@converge/protocol';
import {
  checkTextEditIn,
  type EngineName,
  type EngineStatus,
  type FieldEdit,
  type Intent,
  type LedgerWrite,
  type LocalPresence,
  type LostWrite,
  type NamedField,
  type PeerDigests,
  type PeerPresence,
  type Replica,
  type ReplicaStatus,
  type WorkspaceSchema,
  type WorkspaceView,
} from '@converge/replica';
import { FIRST_SYNC_DONE, type FirstSync, firstSync, isEmptyVersion } from './first-sync.ts';
import { type HistoryEntry, HistoryLog } from './history-log.ts';
import type { RelayProblemText } from './relay-problem.ts';
import { restoreEdits } from './restore-edits.ts';
import type { SessionRecorder } from './session-recorder.ts';
import { replicaTextFeed, type TextFeed } from './text-feed.ts';
import { timed } from './timing.ts';
import { type UndoEffects, undoEffects } from './undo-effects.ts';
import type { EngineWireTotals, WireFrame, WireLog } from './wire-log.ts';

export interface Notice {
  readonly id: number;
  readonly level: 'error' | 'info';
  readonly message: string;
  readonly at: number;
}

export interface AppSnapshot {
  readonly status: ReplicaStatus;
  /** Per hosted engine that keeps a ledger (last-writer-wins): the writes it lost. */
  readonly ledgers: Readonly<Record<EngineName, readonly LostWrite[]>>;
  readonly wireFrames: readonly WireFrame[];
  readonly wireTotals: EngineWireTotals;
  /** The user's Offline toggle, stored with the replica (the connection may still say 'connecting'). */
  readonly offline: boolean;
  readonly notices: readonly Notice[];
  /** Steps recorded for the scenario export. */
  readonly recordedSteps: number;
  /** The digests reachable peers announced over the network, per engine (Replica.peerDigests). */
  readonly peerDigests: ReadonlyMap<string, PeerDigests>;
  /** The last thing the relay connection reported (closed, refused...), if any. */
  readonly relayProblem: RelayProblemText | undefined;
  /** A window opened with nothing stored waits for the room's document: how far it is. */
  readonly firstSync: FirstSync;
  /** Whether this window has an edit to undo / an undone edit to redo. */
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  /** Who else is in the room (Replica.presence). */
  readonly presence: readonly PeerPresence[];
  /** The room's history as this window saw it (the scrubber's entries), oldest first. */
  readonly history: readonly HistoryEntry[];
  /** What the last undo or redo did in each engine (the Compare panel), if there was one. */
  readonly lastUndo: UndoEffects | undefined;
}

export interface AppModelOptions {
  readonly replica: Replica;
  readonly wire: WireLog;
  readonly recorder: SessionRecorder;
  /** Runs `flush` soon (once per animation frame in the app, synchronously in tests). */
  readonly schedule: (flush: () => void) => void;
  readonly now: () => number;
  /**
   * At least this long between two snapshots (default 0). The snapshot reads every engine's whole state
   * (views, digests, versions); the editor and the Compare panel's texts follow the text feed instead, so
   * the app rebuilds it a few times a second while typing, not on every keystroke.
   */
  readonly minRebuildMs?: number;
  /**
   * The snapshot's views without their texts (default false), for a reader that follows the text feed:
   * a view with its texts reads every changed engine's whole text (O(document) per engine per snapshot).
   * The history's entries still hold every engine's whole view: they are then taken at most every
   * `historyMinMs` (default 0) while changes keep coming, the changes between going into one entry.
   */
  readonly statusWithoutText?: boolean;
  readonly historyMinMs?: number;
  /**
   * The first snapshot (built as the model is made) without digests (default false): a reopened window's
   * worker posts it with its texts, and a 1 MB text's hash (~50–90 ms) would come before them. The
   * snapshot with the digests is built at once after it, in a task of its own (`schedule`).
   */
  readonly firstSnapshotWithoutDigest?: boolean;
  /** Runs `run` after `ms` (default setTimeout). */
  readonly delay?: (run: () => void, ms: number) => void;
}

const MAX_NOTICES = 5;

export class AppModel {
  readonly replica: Replica;
  readonly recorder: SessionRecorder;
  /** How each engine's texts change, change by change (the editor and the Compare panel follow it). */
  readonly texts: TextFeed;
  private readonly wire: WireLog;
  private readonly schedule: (flush: () => void) => void;
  private readonly now: () => number;
  private readonly minRebuildMs: number;
  private readonly delay: (run: () => void, ms: number) => void;
  private readonly statusWithoutText: boolean;
  private readonly historyMinMs: number;
  private lastHistoryAt = Number.NEGATIVE_INFINITY;
  private historyTimer = false;
  private lastBuild = Number.NEGATIVE_INFINITY;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: (() => void)[] = [];
  private snapshot: AppSnapshot;
  private scheduled = false;
  /** Engines whose ledger may have changed since the last snapshot. */
  private readonly ledgersDirty = new Set<EngineName>();
  private wireSeen = -1;
  private ledgers: Readonly<Record<EngineName, readonly LostWrite[]>> = {};
  private wireFrames: readonly WireFrame[] = [];
  private notices: Notice[] = [];
  private noticeId = 0;
  private relayProblem: RelayProblemText | undefined;
  /** Latched: once the first sync is done (or there was nothing to wait for), it stays done. */
  private firstSync: FirstSync;
  private readonly history: HistoryLog;
  private lastUndo: UndoEffects | undefined;
  private closed = false;

  constructor(options: AppModelOptions) {
    this.replica = options.replica;
    this.recorder = options.recorder;
    this.wire = options.wire;
    this.schedule = options.schedule;
    this.now = options.now;
    this.minRebuildMs = options.minRebuildMs ?? 0;
    this.delay = options.delay ?? ((run, ms) => setTimeout(run, ms));
    this.statusWithoutText = options.statusWithoutText === true;
    this.historyMinMs = options.historyMinMs ?? 0;
    this.texts = replicaTextFeed(this.replica);
    this.history = new HistoryLog(this.replica.id);
    this.history.mark('as this window opened');
    this.unsubscribe.push(
      this.replica.subscribe((event) => {
        if (event.type === 'change' && event.origin === 'remote') this.history.remote(event.peer);
        if (event.type === 'change' && this.replica.registry.get(event.engine).ledger !== undefined)
          this.ledgersDirty.add(event.engine);
        if (event.type === 'peers') for (const peer of event.peers) this.recorder.sawPeer(peer);
        // A working connection makes the last relay complaint history.
        if (event.type === 'connection' && event.state === 'online') this.relayProblem = undefined;
        this.invalidate();
      }),
    );
    this.firstSync = isEmptyVersion(this.replica.version(this.replica.primary))
      ? { phase: 'waiting', offline: this.replica.isOffline }
      : FIRST_SYNC_DONE;
    this.reportStoredDamage();
    for (const descriptor of this.replica.registry.descriptors)
      if (descriptor.ledger !== undefined) this.ledgersDirty.add(descriptor.name);
    const withoutDigest = options.firstSnapshotWithoutDigest === true;
    this.snapshot = this.build(withoutDigest);
    this.startViews = Object.fromEntries(
      this.replica.engineNames.map((engine) => [engine, this.replica.view(engine)]),
    );
    if (withoutDigest) this.invalidate();
  }

  /** Each engine's view when this window opened (its replica as loaded from its store). */
  readonly startViews: Readonly<Partial<Record<EngineName, WorkspaceView>>>;

  /** The history entry `seq` with every engine's view, while it is kept. */
  historyEntry(seq: number): HistoryEntry | undefined {
    return this.history.entries().find((entry) => entry.seq === seq);
  }

  /** Per engine with a ledger, every write it holds: the Compare export's wall-time check. */
  ledgerWrites(): Readonly<Record<EngineName, readonly LedgerWrite[]>> {
    const writes: Record<EngineName, readonly LedgerWrite[]> = {};
    for (const descriptor of this.replica.registry.descriptors) {
      if (descriptor.ledger !== undefined)
        writes[descriptor.name] = descriptor.ledger.writes(this.replica.engine(descriptor.name));
    }
    return writes;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): AppSnapshot => this.snapshot;

  get primary(): EngineName {
    return this.replica.primary;
  }

  /** The workspace's fields, as the replica holds them. */
  get schema(): WorkspaceSchema {
    return this.replica.schema;
  }

  /** A text field's text in the primary engine (the one the user edits). */
  textOf(field: string): string {
    const declared = this.schema.field(field);
    return declared === undefined
      ? ''
      : String(this.schema.valueIn(this.replica.view(this.primary), declared));
  }

  /** A field's value in the primary engine. */
  valueOf(field: NamedField): unknown {
    return this.schema.valueIn(this.replica.view(this.primary), field);
  }

  /** Carry out an edit of one field (as `apply` does its intent). */
  applyEdit(edit: FieldEdit): Promise<boolean> {
    return this.apply(this.schema.intentOf(edit) as Intent);
  }

  /**
   * Apply a user edit to every engine (text positions against the primary engine's text). Invalid edits
   * are refused before anything changes; resolves false (with a notice) when the edit was not accepted.
   */
  async apply(intent: Intent): Promise<boolean> {
    try {
      const edit = this.schema.edit(intent);
      // Checked against the primary's text by its length and the code units at the edit's ends: O(1),
      // never the whole text per keystroke.
      if (edit.kind === 'text') {
        const { primary, replica } = this;
        checkTextEditIn(
          replica.textLength(primary, edit.field),
          (i) => replica.textSlice(primary, edit.field, i, i + 1).charCodeAt(0),
          edit,
        );
      }
    } catch (error) {
      this.notify('error', errorMessage(error));
      return false;
    }
    this.recorder.edit(intent);
    this.history.local(intent.op);
    const applied = this.replica.apply(intent);
    this.invalidate();
    try {
      await applied;
      return true;
    } catch (error) {
      this.notify('error', `${intent.op} not fully applied: ${errorMessage(error)}`);
      return false;
    }
  }

  /** Undo (or redo) this window's newest step of edits in every engine; resolves false when there is none. */
  async undo(): Promise<boolean> {
    return this.revert('undo');
  }

  async redo(): Promise<boolean> {
    return this.revert('redo');
  }

  private async revert(op: 'undo' | 'redo'): Promise<boolean> {
    try {
      const before = this.views();
      const reverting = op === 'undo' ? this.replica.undo() : this.replica.redo();
      // The engines changed synchronously; what each did is known before the step is durable.
      const after = this.views();
      const done = await reverting;
      if (done) {
        this.recorder.history(op);
        this.history.local(op);
        this.lastUndo = undoEffects(this.schema, op, this.replica.engineNames, before, after);
      }
      return done;
    } catch (error) {
      this.notify('error', `${op} failed: ${errorMessage(error)}`);
      return false;
    } finally {
      this.invalidate();
    }
  }

  /**
   * Restore the version a history entry shows (as the primary engine showed it): new edits that take
   * every field there, never a rewrite of history. Resolves false when some edit was refused.
   */
  async restore(entry: HistoryEntry): Promise<boolean> {
    const then = entry.views[this.primary];
    if (then === undefined) return false;
    const plan = restoreEdits(this.schema, this.replica.view(this.primary), then);
    for (const why of plan.unrestorable) this.notify('info', why);
    let ok = true;
    for (const intent of plan.intents) ok = (await this.apply(intent)) && ok;
    return ok;
  }

  private views(): Partial<Record<EngineName, WorkspaceView>> {
    return Object.fromEntries(this.replica.engineNames.map((name) => [name, this.replica.view(name)]));
  }

  /** Announce who is at this window and where its caret is (never stored; see Replica.setPresence). */
  setPresence(presence: LocalPresence): void {
    try {
      this.replica.setPresence(presence);
    } catch (error) {
      this.notify('error', errorMessage(error));
    }
  }

  setOffline(offline: boolean): void {
    try {
      // Stored with the replica; a failed write shows up as a replica problem.
      void this.replica.setOffline(offline);
      this.recorder.offline(offline);
    } catch (error) {
      this.notify('error', errorMessage(error));
    }
    this.invalidate();
  }

  async setPrimary(engine: EngineName): Promise<void> {
    try {
      await this.replica.setPrimary(engine);
    } catch (error) {
      this.notify('error', `cannot switch to ${engine}: ${errorMessage(error)}`);
    }
  }

  async setSkew(ms: number): Promise<void> {
    try {
      await this.replica.setSkew(ms);
      this.recorder.skew(ms);
    } catch (error) {
      this.notify('error', `cannot set clock skew: ${errorMessage(error)}`);
    }
  }

  /** Called by the platform when the relay connection reports a problem. */
  relayReported(message: RelayProblemText | undefined): void {
    this.relayProblem = message;
    this.invalidate();
  }

  /** Called when a frame was recorded in the wire log. */
  wireChanged(): void {
    this.invalidate();
  }

  notify(level: Notice['level'], message: string): void {
    this.notices = [...this.notices, { id: ++this.noticeId, level, message, at: this.now() }].slice(
      -MAX_NOTICES,
    );
    this.invalidate();
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
    this.invalidate();
  }

  close(): void {
    this.closed = true;
    for (const stop of this.unsubscribe.splice(0)) stop();
    this.texts.close();
    this.listeners.clear();
  }

  /** Damage found in the stored data when the replica opened: said up front, not only in the wire log. */
  private reportStoredDamage(): void {
    const damage = this.replica.problems().filter((p) => p.kind === 'load-damage');
    const first = damage[0];
    if (first === undefined) return;
    const more = damage.length > 1 ? ` (and ${damage.length - 1} more, listed in the Wire log tab)` : '';
    this.notify(
      'error',
      `This replica's stored data was damaged; everything still readable was kept: ${first.message}${more}`,
    );
  }

  private invalidate(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    const flush = (): void => {
      this.scheduled = false;
      if (this.closed) return;
      this.lastBuild = this.now();
      this.snapshot = timed('converge:snapshot', () => this.build());
      for (const listener of [...this.listeners]) listener();
    };
    const wait = this.lastBuild + this.minRebuildMs - this.now();
    if (wait > 0) this.delay(() => this.schedule(flush), wait);
    else this.schedule(flush);
  }

  /** Close the history's pending burst with every engine's whole view, at most every `historyMinMs`. */
  private settleHistory(status: ReplicaStatus): void {
    if (!this.history.pending) return;
    const now = this.now();
    const wait = this.lastHistoryAt + this.historyMinMs - now;
    if (wait > 0) {
      // A rebuild then, in case no other change asks for one: the burst is not left open.
      if (!this.historyTimer) {
        this.historyTimer = true;
        this.delay(() => {
          this.historyTimer = false;
          this.invalidate();
        }, wait);
      }
      return;
    }
    this.lastHistoryAt = now;
    const views: Partial<Record<EngineName, WorkspaceView | undefined>> = {};
    for (const [name, engine] of Object.entries(status.engines) as [EngineName, EngineStatus | undefined][])
      views[name] = this.statusWithoutText ? this.replica.view(name) : engine?.view;
    this.history.settle(now, views as Partial<Record<EngineName, WorkspaceView>>);
  }

  private build(withoutDigest = false): AppSnapshot {
    const status = this.replica.status({ withoutText: this.statusWithoutText, withoutDigest });
    this.settleHistory(status);
    if (this.ledgersDirty.size > 0) {
      const ledgers = { ...this.ledgers };
      for (const name of this.ledgersDirty) {
        const ledger = this.replica.registry.get(name).ledger;
        if (ledger !== undefined) ledgers[name] = ledger.lost(this.replica.engine(name));
      }
      this.ledgersDirty.clear();
      this.ledgers = ledgers;
    }
    if (this.wire.recorded !== this.wireSeen) {
      this.wireSeen = this.wire.recorded;
      this.wireFrames = this.wire.frames();
    }
    if (this.firstSync.phase !== 'done') {
      const primary = status.engines[status.primary];
      let bytesReceived = 0;
      for (const engine of Object.values(status.engines)) bytesReceived += engine?.traffic.bytesReceived ?? 0;
      this.firstSync = firstSync({
        primary: status.primary,
        ownDigest: primary?.digest,
        peerDigests: this.replica.peerDigests(),
        online: status.connection === 'online' && !this.replica.isOffline,
        offline: this.replica.isOffline,
        bytesReceived,
      });
    }
    return {
      status,
      ledgers: this.ledgers,
      wireFrames: this.wireFrames,
      wireTotals: this.wire.totals(),
      offline: this.replica.isOffline,
      notices: this.notices,
      recordedSteps: this.recorder.stepCount,
      peerDigests: this.replica.peerDigests(),
      relayProblem: this.relayProblem,
      firstSync: this.firstSync,
      canUndo: this.replica.canUndo,
      canRedo: this.replica.canRedo,
      presence: this.replica.presence(),
      history: this.history.entries(),
      lastUndo: this.lastUndo,
    };
  }
}
