/**
 * The storage peers: one replica per room living in the relay's process, with no user of its own and
 * a durable file store under the data directory. It joins its room like any node (so the link table can
 * partition it too) and syncs every engine with every reachable window, so a window that joins alone
 * receives what others wrote while it was away. At start every room found on disk is restored.
 *
 * The storage peer's node id is reserved: a window cannot take it over (the room refuses the join).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  availableEngines,
  createEngine,
  type EngineName,
  type EngineStatus,
  errorMessage,
  Replica,
} from '@converge/replica';
import { FileStore } from '@converge/replica/node';
import { isValidId } from '@converge/replica/protocol';
import { STORAGE_NODE_ID } from '@converge/replica/storage-placement';
import type { LocalNodeOptions, LocalTransport } from './local-node.ts';
import type { Logger } from './log.ts';

export { STORAGE_NODE_ID };

/** What the storage peers need from the relay. */
export interface StorageHost {
  openLocalNode(options: LocalNodeOptions): LocalTransport;
}

export interface StorageStatus {
  readonly room: string;
  /** Store writes not yet on disk; 0 means every edit the peer holds is durable. */
  readonly pendingWrites: number;
  readonly engines: Readonly<Partial<Record<EngineName, Pick<EngineStatus, 'digest' | 'version'>>>>;
}

export class StoragePeers {
  private readonly peers = new Map<string, Promise<Replica | undefined>>();
  private closed = false;

  private constructor(
    private readonly host: StorageHost,
    private readonly dataDir: string,
    private readonly log: Logger,
  ) {}

  /** Start the storage peers of every room stored in `dataDir`. */
  static async start(host: StorageHost, dataDir: string, log: Logger): Promise<StoragePeers> {
    const peers = new StoragePeers(host, dataDir, log);
    for (const entry of await readdir(dataDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const room = roomOfDirectory(entry.name);
      if (room === undefined) log.warn('storage-skipped-directory', { name: entry.name });
      else await peers.ensure(room);
    }
    return peers;
  }

  /** The room's storage peer, started (and restored from disk) on first use. */
  ensure(room: string): Promise<Replica | undefined> {
    let peer = this.peers.get(room);
    if (peer === undefined) {
      peer = this.open(room);
      this.peers.set(room, peer);
    }
    return peer;
  }

  rooms(): string[] {
    return [...this.peers.keys()].sort();
  }

  async status(room: string): Promise<StorageStatus | undefined> {
    const replica = await this.peers.get(room);
    if (replica === undefined) return undefined;
    const status = replica.status();
    const engines: Partial<Record<EngineName, Pick<EngineStatus, 'digest' | 'version'>>> = {};
    for (const [name, engine] of Object.entries(status.engines) as [EngineName, EngineStatus][]) {
      engines[name] = { digest: engine.digest, version: engine.version };
    }
    return { room, pendingWrites: replica.pendingWriteCount(), engines };
  }

  /** Close every peer after its pending writes are durable. */
  async close(): Promise<void> {
    this.closed = true;
    const replicas = await Promise.all(this.peers.values());
    await Promise.all(replicas.map((replica) => replica?.close()));
  }

  private async open(room: string): Promise<Replica | undefined> {
    if (this.closed) return undefined;
    try {
      const replica = await Replica.open({
        id: STORAGE_NODE_ID,
        transport: this.host.openLocalNode({ room, nodeId: STORAGE_NODE_ID, role: 'storage' }),
        store: new FileStore(join(this.dataDir, directoryOfRoom(room)), {
          onDamage: (damage) => this.log.warn('storage-damage', { room, ...damage }),
        }),
        engines: availableEngines(),
        createEngine,
      });
      replica.subscribe((event) => {
        if (event.type === 'problem') this.log.warn('storage-problem', { room, ...event.problem });
      });
      this.log.info('storage-peer-started', { room });
      return replica;
    } catch (error) {
      // A room whose storage cannot open (e.g. the room limit) still works; it just has no storage peer.
      this.log.error('storage-peer-failed', {
        room,
        error: errorMessage(error),
      });
      this.peers.delete(room);
      return undefined;
    }
  }
}

/** Room ids are already a safe charset; encoding also covers ':' and '@' on every file system. */
export function directoryOfRoom(room: string): string {
  return encodeURIComponent(room);
}

export function roomOfDirectory(name: string): string | undefined {
  let room: string;
  try {
    room = decodeURIComponent(name);
  } catch {
    return undefined;
  }
  return isValidId(room) && directoryOfRoom(room) === name ? room : undefined;
}
