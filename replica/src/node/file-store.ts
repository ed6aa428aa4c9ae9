/** The durable file store: a `LogStore` over a crash-safe `DurableLog` in one directory per replica. */
import { type ByteLog, type ByteLogContents, LogStore, StoreError } from '../log-store.ts';
import { DurableLog, type DurableLogOptions } from './durable-log.ts';

export class FileByteLog implements ByteLog {
  /** DurableLog frames a view's bytes into its write (it holds the record only until then). */
  readonly takesViews = true;
  private log: DurableLog | undefined;

  constructor(
    readonly dir: string,
    private readonly options: DurableLogOptions = {},
  ) {}

  async open(): Promise<ByteLogContents> {
    if (this.log !== undefined) throw new StoreError(`file store ${this.dir} is already open`);
    const { log, loaded } = await DurableLog.open(this.dir, this.options);
    this.log = log;
    return { snapshot: loaded.snapshot, records: loaded.records, damage: loaded.damage };
  }

  append(record: Uint8Array): Promise<void> {
    return this.opened().append(record);
  }

  compact(snapshot: Uint8Array): Promise<void> {
    return this.opened().compact(snapshot);
  }

  async close(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    await log?.close();
  }

  private opened(): DurableLog {
    if (this.log === undefined) throw new StoreError(`file store ${this.dir} is not open`);
    return this.log;
  }
}

/** A replica store in `dir`: every acknowledged record survives SIGKILL and power loss. */
export class FileStore extends LogStore {
  constructor(dir: string, options: DurableLogOptions = {}) {
    super(new FileByteLog(dir, options));
  }
}
