/**
 * A replica's store: loading it into the engines, appending records (each write tracked until durable,
 * a failure reported as a store-error problem), and compacting the log into snapshots once it grew long.
 *
 * Compaction takes every engine's snapshot after every append issued so far, and the store applies
 * operations in order, so nothing is lost or doubled. It never runs while the store holds data of
 * engines this replica does not host (a snapshot of only its own engines would drop that data).
 */
import type { Timers } from '@converge/protocol';
import { DURABLE } from '../durable.ts';
import type { EngineName } from '../engine-name.ts';
import type { DeferredIntent, ReplicaMetadata, Store, StoredState, StoreRecord } from '../store.ts';
import type { HostedEngines } from './hosted-engines.ts';
import type { Problems } from './problems.ts';

/** How far loading a replica's store got: `done` of `total` stored snapshots and updates applied. */
export interface LoadProgress {
  readonly done: number;
  readonly total: number;
}

/** Work between two turns handed to the host while loading with a progress listener. */
const LOAD_SLICE_MS = 16;
/** At most this many updates of one engine are loaded in one call (so progress still moves). */
const LOAD_BATCH = 256;

export class Persistence {
  /** Writes (appends, compactions) issued and settled so far, and who waits for how many to settle. */
  private issued = 0;
  private settledCount = 0;
  private readonly whenSettled: { readonly issued: number; readonly resolve: () => void }[] = [];
  private updatesSinceCompaction = 0;
  /** Bytes appended since the last compaction, and the size of the snapshots it wrote. */
  private bytesSinceCompaction = 0;
  private snapshotBytes = 0;
  private compacting = false;
  private compactionQueued = false;
  /** The store holds data of engines this replica does not host; compaction would drop it, so it is off. */
  private foreignData = false;
  /** Some engine has not loaded yet: a snapshot now would lose what it has still to load. */
  private compactionHeld = false;

  constructor(
    private readonly store: Store,
    /** Compact after this many appended updates (0: never). */
    private readonly compactAfter: number,
    private readonly engines: HostedEngines,
    private readonly problems: Problems,
    /** The settings a snapshot carries, as they are now. */
    private readonly metadata: () => ReplicaMetadata,
    private readonly closed: () => boolean,
    /** Where compaction is scheduled: a task of its own, after the edit that made it due. */
    private readonly timers: Timers,
  ) {}

  /**
   * Read the store (what cannot be read is reported and skipped: the rest still loads, and peers can
   * resend what it held); `accept` sees the stored settings first, and may refuse the store by throwing.
   * The engines load from what it returns, each when the replica says (`StoreLoad.loadEngine`).
   */
  async read(
    progress: ((progress: LoadProgress) => void) | undefined,
    accept: (saved: ReplicaMetadata | undefined) => void,
  ): Promise<StoreLoad> {
    const stored = await this.store.load();
    for (const damage of stored.damage) this.problems.report({ kind: 'load-damage', message: damage });
    accept(stored.metadata);
    const load = new StoreLoad(stored, this.timers, progress);
    for (const name of load.engineNames()) if (!this.engines.has(name)) this.foreignData = true;
    this.updatesSinceCompaction = stored.updates.length;
    this.bytesSinceCompaction = stored.updates.reduce((n, { update }) => n + update.length, 0);
    this.snapshotBytes = load.snapshotBytes;
    return load;
  }

  /**
   * Load one engine's snapshot and updates (each engine's updates in their order, in batches where the
   * engine takes them: an intent record interleaves every engine's update, and the engines are
   * independent, so only each one's order matters). `pace`: give the host a turn between slices of
   * work even without a progress listener (an engine loading in the background).
   */
  async loadEngine(load: StoreLoad, name: EngineName, pace: boolean): Promise<void> {
    const snapshot = load.snapshots.get(name);
    if (snapshot !== undefined) {
      this.loadInto(name, snapshot, 'snapshot');
      await load.advance(1, pace);
    }
    const list = load.updates.get(name) ?? [];
    for (let start = 0; start < list.length; start += LOAD_BATCH) {
      if (this.closed()) return;
      const batch = list.slice(start, start + LOAD_BATCH);
      if (
        batch.length === 1 ||
        !this.loadBatch(
          name,
          batch.map(({ update }) => update),
        )
      ) {
        for (const { update, index } of batch) this.loadInto(name, update, `update ${index}`);
      }
      await load.advance(batch.length, pace);
    }
  }

  /** While engines are loading (or intents wait for them), compaction waits: it saves every engine. */
  holdCompaction(held: boolean): void {
    this.compactionHeld = held;
    if (!held) this.maybeCompact();
  }

  /**
   * Append a record; resolves once it is durable (rejects, reported as a store-error problem, if not).
   * Returns `DURABLE` itself when the store says the record is durable on return and no earlier write is
   * still settling: it is settled now, in order, and the caller may act on it at once (no microtask).
   */
  persist(record: StoreRecord): Promise<void> {
    const append = this.store.append(record); // a store that throws here has nothing pending
    this.issued++;
    const idle = this.settledCount === this.issued - 1;
    if (append === DURABLE && idle) {
      this.written();
      this.lastAppend = DURABLE;
      return DURABLE;
    }
    // A local intent's or the settings' record fails as the store's; a peer's update names its engine.
    const failed =
      record.kind === 'update'
        ? (error: unknown): never => this.appendFailed(error, record.engine)
        : this.storeAppendFailed;
    // Settled in the order appended, whenever the store's promises settle: an append whose promise settles
    // sooner (one durable on return, behind writes still in flight) waits for the one before it.
    const before = this.lastAppend;
    const own =
      idle || before === DURABLE
        ? append
        : before.then(
            () => append,
            () => append,
          );
    const settled = own.then(this.written, failed);
    this.lastAppend = settled;
    return settled;
  }

  /** What the last append returned (settles after every append before it). */
  private lastAppend: Promise<void> = DURABLE;

  private appendFailed(error: unknown, engine?: EngineName): never {
    this.written();
    this.problems.caught(
      { kind: 'store-error', ...(engine === undefined ? {} : { engine }) },
      'append failed',
    )(error);
    throw error;
  }

  /** One bound handler for every record not of one engine (no closure per local intent). */
  private readonly storeAppendFailed = (error: unknown): never => this.appendFailed(error);

  /**
   * Count updates (and their bytes) appended since the last compaction, and compact (soon) when there are
   * enough: `compactAfter` updates, and at least half the last snapshot's size in bytes, so the work of
   * compacting (writing every engine's whole state) stays proportional to what was appended since.
   */
  counted(updates: number, bytes: number): void {
    this.updatesSinceCompaction += updates;
    this.bytesSinceCompaction += bytes;
    if (!this.due() || this.compactionQueued) return;
    // Outside the engine's change callback (an engine should not be asked to save mid-notification), and
    // off the keystroke's own task: saving every engine's whole state takes milliseconds (more in a large
    // document), which the edit that made it due should not wait for before it is acknowledged and shown.
    this.compactionQueued = true;
    this.timers.setTimeout(this.compactQueued, 0);
  }

  private readonly compactQueued = (): void => {
    this.compactionQueued = false;
    this.maybeCompact();
  };

  private due(): boolean {
    return (
      this.compactAfter > 0 &&
      this.updatesSinceCompaction >= this.compactAfter &&
      this.bytesSinceCompaction * 2 >= this.snapshotBytes
    );
  }

  /** Replace the log with snapshots if it grew long. */
  maybeCompact(): void {
    if (!this.due()) return;
    if (this.compacting || this.compactionHeld || this.foreignData || this.closed()) return;
    const engines = this.problems.guard({ kind: 'engine-error' }, 'save() for compaction failed', () => {
      const snapshots: Partial<Record<EngineName, Uint8Array>> = {};
      for (const [name, engine] of this.engines.entries()) snapshots[name] = engine.save();
      return snapshots;
    });
    if (engines === undefined) return;
    this.compacting = true;
    this.updatesSinceCompaction = 0;
    this.bytesSinceCompaction = 0;
    this.snapshotBytes = Object.values(engines).reduce((n, bytes) => n + (bytes?.length ?? 0), 0);
    let compaction: Promise<void>;
    try {
      compaction = this.store.compact({ engines, metadata: this.metadata() });
    } catch (error) {
      this.compacting = false;
      this.problems.caught({ kind: 'store-error' }, 'compaction failed')(error);
      return;
    }
    this.issued++;
    compaction.catch(this.problems.caught({ kind: 'store-error' }, 'compaction failed')).finally(() => {
      this.compacting = false;
      this.written();
    });
  }

  /** Store writes not yet durable. */
  get pendingCount(): number {
    return this.issued - this.settledCount;
  }

  /** Resolves once every write issued so far has settled (writes settle in the order they were issued). */
  settled(): Promise<void> {
    if (this.settledCount >= this.issued) return Promise.resolve();
    return new Promise((resolve) => this.whenSettled.push({ issued: this.issued, resolve }));
  }

  /** Start writing whatever the store has queued now (the page is going away). */
  flush(): void {
    this.store.flush();
  }

  /**
   * Several updates of one engine at once, if it takes batches: false when it does not, or when the
   * batch failed (some update is damaged), so the caller applies them one by one and reports which.
   */
  private loadBatch(name: EngineName, batch: readonly Uint8Array[]): boolean {
    if (!this.engines.has(name)) return false;
    const engine = this.engines.get(name);
    if (engine.applyUpdates === undefined) return false;
    try {
      engine.applyUpdates(batch);
      return true;
    } catch {
      return false;
    }
  }

  private loadInto(name: EngineName, bytes: Uint8Array, what: string): void {
    if (!this.engines.has(name)) return;
    this.problems.guard({ kind: 'load-damage', engine: name }, `stored ${what} unreadable`, () =>
      this.engines.get(name).applyUpdate(bytes),
    );
  }

  /** A write settled (one bound function for all of them: no closure per record). */
  private readonly written = (): void => {
    this.settledCount++;
    while (this.whenSettled.length > 0 && (this.whenSettled[0]?.issued ?? 0) <= this.settledCount)
      this.whenSettled.shift()?.resolve();
  };
}

/**
 * A store as read, waiting to be loaded into the engines one by one: each engine's snapshot and updates,
 * the deferred intents engines still need, and how far loading got (for the progress listener).
 */
export class StoreLoad {
  readonly snapshots = new Map<EngineName, Uint8Array>();
  readonly updates = new Map<EngineName, { readonly update: Uint8Array; readonly index: number }[]>();
  readonly deferred: readonly DeferredIntent[];
  readonly snapshotBytes: number;
  private readonly total: number;
  private done = 0;
  private sliceStart: number;

  constructor(
    stored: StoredState,
    private readonly timers: Timers,
    private readonly progress: ((progress: LoadProgress) => void) | undefined,
  ) {
    let snapshotBytes = 0;
    for (const [name, bytes] of Object.entries(stored.snapshots) as [EngineName, Uint8Array | undefined][]) {
      if (bytes === undefined) continue;
      this.snapshots.set(name, bytes);
      snapshotBytes += bytes.length;
    }
    this.snapshotBytes = snapshotBytes;
    for (const [index, { engine, update }] of stored.updates.entries()) {
      let list = this.updates.get(engine);
      if (list === undefined) {
        list = [];
        this.updates.set(engine, list);
      }
      list.push({ update, index });
    }
    this.deferred = stored.deferred ?? [];
    this.total = this.snapshots.size + stored.updates.length;
    this.sliceStart = timers.now();
    progress?.({ done: 0, total: this.total });
  }

  /** Every engine the store holds data for (snapshots, updates, deferred intents). */
  engineNames(): Set<EngineName> {
    const names = new Set<EngineName>([...this.snapshots.keys(), ...this.updates.keys()]);
    for (const { engines } of this.deferred) for (const name of engines) names.add(name);
    return names;
  }

  /** Whether the store holds anything of `name`'s (a snapshot or an update). */
  holds(name: EngineName): boolean {
    return this.snapshots.has(name) || this.updates.has(name);
  }

  /** The deferred intents `name` still needs, in the order they were made. */
  deferredFor(name: EngineName): DeferredIntent[] {
    return this.deferred.filter(({ engines }) => engines.includes(name));
  }

  /**
   * `count` more snapshots or updates applied. With a listener (or `pace`), the host gets a turn between
   * slices of LOAD_SLICE_MS of work, so it can paint (or answer its page).
   */
  async advance(count: number, pace: boolean): Promise<void> {
    this.done += count;
    const { done, total } = this;
    if (this.progress === undefined && !pace) return;
    if (done < total && this.timers.now() - this.sliceStart < LOAD_SLICE_MS) return;
    this.progress?.({ done, total });
    if (done >= total && !pace) return;
    await this.pause();
  }

  /** Give the host a turn (a 0 ms timer). */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => this.timers.setTimeout(resolve, 0));
    this.sliceStart = this.timers.now();
  }
}
