/**
 * One durable log per replica, under <root>/<replicaId>/ (root = <userData>/replicas).
 *
 * Logs open lazily on first use and stay open while their window lives; `close` releases one when
 * its window closes (its data stays on disk) and `closeAll` releases everything on quit. Calls for
 * one replica run strictly in order, so a reopen (window reload) never races an append.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { DurableLog, describeDamage, type LoadedLog, type LogDamage } from '@converge/replica/node';
import type { StoredLog } from '../preload/api.ts';
import { assertSafeReplicaId, isSafeReplicaId } from './replica-id.ts';

export interface ReplicaStoresOptions {
  /** The folder holding one sub-folder per replica. */
  readonly root: string;
  /** Called for every damage a log repairs on open (the app logs it as a warning). */
  readonly onDamage?: (replicaId: string, damage: LogDamage) => void;
}

interface Slot {
  log: DurableLog | undefined;
  /** Tail of this replica's operation chain: every call waits for the one before it. */
  tail: Promise<unknown>;
}

export class ReplicaStores {
  private readonly root: string;
  private readonly slots = new Map<string, Slot>();
  private closedForGood = false;

  constructor(private readonly options: ReplicaStoresOptions) {
    this.root = resolve(options.root);
  }

  /** The folder a replica's log lives in; rejects ids that are unsafe or would leave the root. */
  folderOf(replicaId: string): string {
    assertSafeReplicaId(replicaId);
    const dir = resolve(this.root, replicaId);
    const rel = relative(this.root, dir);
    // Belt and braces: the charset already forbids separators and dots-only names.
    if (rel === '' || rel.startsWith('..') || rel.includes(sep)) {
      throw new Error(`replica folder for ${replicaId} escapes ${this.root}`);
    }
    return dir;
  }

  /**
   * Everything durable in the replica's log. If the log is already open (the window reloaded) it is
   * closed after its pending writes and read again, so the result includes every acknowledged record.
   */
  open(replicaId: string): Promise<StoredLog> {
    return this.run(replicaId, async (slot) => {
      if (slot.log !== undefined) {
        const old = slot.log;
        slot.log = undefined;
        await old.close();
      }
      const loaded = await this.openLog(replicaId, slot);
      return toStoredLog(loaded);
    });
  }

  /** Append one record; resolves once it is durable. */
  append(replicaId: string, record: Uint8Array): Promise<void> {
    return this.run(replicaId, async (slot) => {
      const log = slot.log ?? (await this.openLogOnly(replicaId, slot));
      // Not awaited inside the chain: consecutive appends then share one fsync (group commit).
      return { durable: log.append(record) };
    }).then((r) => r.durable);
  }

  /** Replace the snapshot and every record appended before this call. */
  compact(replicaId: string, snapshot: Uint8Array): Promise<void> {
    return this.run(replicaId, async (slot) => {
      const log = slot.log ?? (await this.openLogOnly(replicaId, slot));
      return { durable: log.compact(snapshot) };
    }).then((r) => r.durable);
  }

  /** Release one replica's log after its pending writes (its window closed). Its data stays. */
  async close(replicaId: string): Promise<void> {
    if (!this.slots.has(replicaId)) return;
    await this.run(replicaId, async (slot) => {
      const log = slot.log;
      slot.log = undefined;
      await log?.close();
    });
  }

  /** Release every log after its pending writes; later calls are refused (the app is quitting). */
  async closeAll(): Promise<void> {
    const ids = [...this.slots.keys()];
    await Promise.allSettled(ids.map((id) => this.close(id)));
    this.closedForGood = true;
  }

  /** Ids of every replica with a folder on disk, sorted (open windows or not). */
  async list(): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return entries
      .filter((e) => e.isDirectory() && isSafeReplicaId(e.name))
      .map((e) => e.name)
      .sort();
  }

  private run<T>(replicaId: string, op: (slot: Slot) => Promise<T>): Promise<T> {
    if (this.closedForGood)
      return Promise.reject(new Error('replica stores are closed (the app is quitting)'));
    try {
      this.folderOf(replicaId);
    } catch (error) {
      return Promise.reject(error);
    }
    let slot = this.slots.get(replicaId);
    if (slot === undefined) {
      slot = { log: undefined, tail: Promise.resolve() };
      this.slots.set(replicaId, slot);
    }
    const current = slot;
    const result = current.tail.then(() => op(current));
    // The chain continues whatever this call's outcome; the caller sees its own error.
    current.tail = result.catch(() => undefined);
    return result;
  }

  private async openLog(replicaId: string, slot: Slot): Promise<LoadedLog> {
    const { log, loaded } = await DurableLog.open(this.folderOf(replicaId), {
      onDamage: (damage) => this.options.onDamage?.(replicaId, damage),
    });
    slot.log = log;
    return loaded;
  }

  private async openLogOnly(replicaId: string, slot: Slot): Promise<DurableLog> {
    await this.openLog(replicaId, slot);
    return slot.log!;
  }
}

function toStoredLog(loaded: LoadedLog): StoredLog {
  return {
    ...(loaded.snapshot !== undefined ? { snapshot: loaded.snapshot } : {}),
    records: loaded.records,
    damage: loaded.damage.map(describeDamage),
  };
}

/** The folder that holds every replica's log under the app's user-data folder. */
export function replicasRoot(userData: string): string {
  return join(userData, 'replicas');
}
