/**
 * Persistence of a replica: per-engine snapshots, then every record in the order it happened (a local
 * intent as one record holding every engine's update, a peer's update per engine), plus the replica's own
 * settings. Implementations live at the edges (files in Electron main and the relay,
 * IndexedDB in web mode, memory in tests); most are a byte log (see log-store.ts) wrapped by `LogStore`.
 *
 * Contract:
 * - `append` resolves only once the record is durable: that is what makes a local edit acknowledged.
 *   Records become durable in the order they were appended. A store whose record is durable as the call
 *   returns (memory) may return `DURABLE` (durable.ts): the replica then acknowledges it at once.
 * - `compact` atomically replaces every snapshot and record so far with the given snapshot; records
 *   appended after the call land after it.
 * - `append` writes one record atomically: after a crash it is there whole or not at all. That is what
 *   makes a local intent reach every engine or none (one `intent` record holds all their updates).
 * - Every record and snapshot carries a checksum; `load` never fails on damaged data: what it cannot read
 *   is skipped and described in `damage` (nothing is dropped silently).
 */
import type { EngineName } from './engine-name.ts';
import { LogStore, MemoryByteLog } from './log-store.ts';

export { DURABLE } from './durable.ts';
export { StoreError } from './log-store.ts';

/** The replica's own settings, kept with its data. */
export interface ReplicaMetadata {
  readonly replicaId: string;
  /** Clock skew the replica applies to its wall clock (demonstrates LWW under skew). */
  readonly skewMs: number;
  /** The engine whose text the user edits. */
  readonly primary?: EngineName;
  /** The user took the replica offline: it stays offline across restarts until they switch it back. */
  readonly offline?: boolean;
}

/** One engine's incremental update (its own format), as reported by `Engine.onChange`. */
export interface EngineUpdate {
  readonly engine: EngineName;
  readonly update: Uint8Array;
}

/**
 * A local intent made while some engines were still loading (a progressive open): those engines get it
 * when they have loaded, from this (the runtime's encoding of the intent and where it was made).
 */
export interface DeferredIntent {
  /** Names the deferral in the `realised` records that settle it (unique within a store). */
  readonly id: string;
  /** The engines that still need it. */
  readonly engines: readonly EngineName[];
  readonly intent: Uint8Array;
}

export type StoreRecord =
  /** One engine's update (a peer's change; already durable where it was made). */
  | ({ readonly kind: 'update' } & EngineUpdate)
  /**
   * One local intent: every engine's update for it, stored (and lost) together; for engines not loaded
   * yet, the intent itself (`deferred`), which they apply once loaded.
   */
  | { readonly kind: 'intent'; readonly updates: readonly EngineUpdate[]; readonly deferred?: DeferredIntent }
  /**
   * An engine applied a deferred intent (`id`) once it had loaded: its updates for it. From here on the
   * store holds the engine's copy of that intent, and loading never applies the intent to it again.
   */
  | {
      readonly kind: 'realised';
      readonly id: string;
      readonly engine: EngineName;
      readonly updates: readonly Uint8Array[];
    }
  | { readonly kind: 'metadata'; readonly metadata: ReplicaMetadata };

/** Everything a compaction keeps: one snapshot per engine (from `Engine.save`) and the settings. */
export interface StoreSnapshot {
  readonly engines: Readonly<Partial<Record<EngineName, Uint8Array>>>;
  readonly metadata?: ReplicaMetadata;
}

export interface StoredState {
  readonly snapshots: Readonly<Partial<Record<EngineName, Uint8Array>>>;
  /** Updates appended since the snapshot, in append order (an intent's updates one after another). */
  readonly updates: readonly EngineUpdate[];
  /**
   * Deferred intents some engine still needs (no `realised` record settled them for it), in the order they
   * were made, each listing only those engines. An engine's updates in `updates` all come before them.
   */
  readonly deferred?: readonly DeferredIntent[];
  /** The latest settings written (from a metadata record or the snapshot), if any. */
  readonly metadata: ReplicaMetadata | undefined;
  /** Human-readable descriptions of data that could not be read and was skipped. */
  readonly damage: readonly string[];
}

export interface Store {
  load(): Promise<StoredState>;
  append(record: StoreRecord): Promise<void>;
  compact(snapshot: StoreSnapshot): Promise<void>;
  /**
   * Start writing whatever is queued now, without waiting for writes in flight (the page is going away:
   * pagehide, visibilitychange). Stores that queue nothing have nothing to do.
   */
  flush(): void;
  close(): Promise<void>;
}

/**
 * A store in memory for tests and throwaway replicas. It goes through the same binary codec as the durable
 * stores, so a replica reopened from it sees exactly what a reopened file store would. Reopening (another
 * `load`) after `close` is allowed: the data lives as long as this object.
 */
export class MemoryStore extends LogStore {
  constructor(readonly log: MemoryByteLog = new MemoryByteLog()) {
    super(log);
  }
}
