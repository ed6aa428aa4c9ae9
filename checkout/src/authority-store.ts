/**
 * Where the authority keeps stock and orders: the interface a holder writes through, with fencing part
 * of it (every write carries the holder's token; a stale one is refused), and the local implementation
 * (memory, or a crash-safe log on disk). A shared store for a cluster (Redis) implements the same
 * interface: it keeps the fence and the state together and decides each entry with the same pure
 * `decide`, atomically (a compare-and-set on the state, or a script), so every node agrees.
 */
import {
  type AuthorityEntry,
  type AuthoritySnapshot,
  type AuthorityState,
  type CommandKind,
  type CommandOf,
  type CommandResults,
  decide,
  emptyAuthorityState,
  type StoreReply,
  snapshotOf,
  stateOf,
} from './authority-state.ts';
import { type Machine, MachineStore, type MachineStoreOptions } from './machine-store.ts';
import { entrySchema, fromJsonBytes, jsonBytes, parseWith, snapshotSchema } from './schemas.ts';

export interface AuthorityStore {
  /**
   * Decide and apply one entry, linearizably. A token below the store's fence is refused (`fenced`)
   * before anything is looked at; an accepted larger one raises the fence.
   */
  execute<K extends CommandKind>(entry: AuthorityEntry<CommandOf<K>>): Promise<StoreReply<CommandResults[K]>>;
  /** Everything the store holds now; any node may read, no token needed. */
  snapshot(): Promise<AuthoritySnapshot>;
  close(): Promise<void>;
}

const authorityMachine: Machine<AuthorityState, AuthorityEntry> = {
  what: 'authority store',
  empty: emptyAuthorityState,
  decide: (state, entry) => decide(state, entry),
  encodeCommand: (entry) => jsonBytes(entry),
  decodeCommand: (bytes) => parseWith(entrySchema, fromJsonBytes(bytes, 'record'), 'authority record'),
  encodeState: (state) => jsonBytes(snapshotOf(state)),
  decodeState: (bytes) =>
    stateOf(parseWith(snapshotSchema, fromJsonBytes(bytes, 'snapshot'), 'authority snapshot')),
};

/** The authority store of one relay: in memory, or durable with `persistence` (see `openFileAuthorityStore`). */
export class LocalAuthorityStore implements AuthorityStore {
  private readonly machine: MachineStore<AuthorityState, AuthorityEntry>;

  constructor(options: MachineStoreOptions = {}) {
    this.machine = MachineStore.open(authorityMachine, options);
  }

  /** What could not be replayed when it was opened. */
  get damage(): readonly string[] {
    return this.machine.damage;
  }

  execute<K extends CommandKind>(
    entry: AuthorityEntry<CommandOf<K>>,
  ): Promise<StoreReply<CommandResults[K]>> {
    return this.machine.run(entry);
  }

  async snapshot(): Promise<AuthoritySnapshot> {
    return this.machine.read(snapshotOf);
  }

  close(): Promise<void> {
    return this.machine.close();
  }
}
