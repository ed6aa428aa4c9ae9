/**
 * A linearizable store over a pure state machine: commands run one at a time, each decided on the state
 * as it is, persisted (when the store is durable) before it changes the state, and replayed on open. The
 * authority's store and the simulated services' ledgers are all one of these, in memory or on disk.
 */

/** Where a durable store writes (a crash-safe log with snapshots; see `@converge/checkout/node`). */
export interface Persistence {
  /** Resolves once the record survives a crash. */
  append(record: Uint8Array): Promise<void>;
  /** Replace everything appended so far with `snapshot`, crash-safely. */
  compact(snapshot: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** What a durable store held when it was opened. */
export interface Restored {
  readonly snapshot: Uint8Array | undefined;
  readonly records: readonly Uint8Array[];
}

export interface MachineDecision<S> {
  readonly reply: unknown;
  /** The change to make once the command is durable; none: the command changes nothing. */
  readonly install?: (state: S) => void;
}

export interface Machine<S, C> {
  /** Names the store in errors ("authority store", "payment ledger"). */
  readonly what: string;
  empty(): S;
  decide(state: S, command: C): MachineDecision<S>;
  encodeCommand(command: C): Uint8Array;
  /** Throws on bytes that are not a command. */
  decodeCommand(bytes: Uint8Array): C;
  encodeState(state: S): Uint8Array;
  /** Throws on bytes that are not a state. */
  decodeState(bytes: Uint8Array): S;
}

export interface MachineStoreOptions {
  readonly restored?: Restored;
  readonly persistence?: Persistence;
  /** Compact after this many records (default 1000). */
  readonly compactEvery?: number;
}

export class MachineStoreClosedError extends Error {
  override readonly name = 'MachineStoreClosedError';
}

export class MachineStore<S, C> {
  private tail: Promise<unknown> = Promise.resolve();
  private sinceCompaction: number;
  private closed = false;

  private constructor(
    private readonly machine: Machine<S, C>,
    private state: S,
    /** What could not be replayed on open (damaged or unknown records), in words. */
    readonly damage: readonly string[],
    private readonly persistence: Persistence | undefined,
    private readonly compactEvery: number,
    records: number,
  ) {
    this.sinceCompaction = records;
  }

  /** A store holding what `restored` holds (nothing without it). */
  static open<S, C>(machine: Machine<S, C>, options: MachineStoreOptions = {}): MachineStore<S, C> {
    const damage: string[] = [];
    let state = machine.empty();
    const snapshot = options.restored?.snapshot;
    if (snapshot !== undefined) {
      try {
        state = machine.decodeState(snapshot);
      } catch (error) {
        damage.push(`${machine.what} snapshot unreadable: ${(error as Error).message}`);
      }
    }
    const records = options.restored?.records ?? [];
    for (const [index, bytes] of records.entries()) {
      try {
        const decision = machine.decide(state, machine.decodeCommand(bytes));
        if (decision.install === undefined)
          damage.push(`${machine.what} record ${index + 1} changes nothing now`);
        else decision.install(state);
      } catch (error) {
        damage.push(`${machine.what} record ${index + 1} unreadable: ${(error as Error).message}`);
      }
    }
    return new MachineStore(
      machine,
      state,
      damage,
      options.persistence,
      options.compactEvery ?? 1000,
      records.length,
    );
  }

  /** Run `command` after every command before it; resolves with its reply once its change is durable. */
  run<R>(command: C): Promise<R> {
    const result = this.tail.then(() => this.apply(command));
    this.tail = result.catch(() => {});
    return result as Promise<R>;
  }

  /** Read the current state (what every command before now has made of it). */
  read<T>(reader: (state: S) => T): T {
    return reader(this.state);
  }

  /** Wait for the commands under way, then release the persistence. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.persistence?.close();
  }

  private async apply(command: C): Promise<unknown> {
    if (this.closed) throw new MachineStoreClosedError(`${this.machine.what} is closed`);
    const decision = this.machine.decide(this.state, command);
    if (decision.install === undefined) return decision.reply;
    if (this.persistence !== undefined) {
      await this.persistence.append(this.machine.encodeCommand(command));
      this.sinceCompaction++;
    }
    decision.install(this.state);
    if (this.persistence !== undefined && this.sinceCompaction >= this.compactEvery) {
      await this.persistence.compact(this.machine.encodeState(this.state));
      this.sinceCompaction = 0;
    }
    return decision.reply;
  }
}
