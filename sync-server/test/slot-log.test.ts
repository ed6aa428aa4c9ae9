// An outside client's slot log: a client's update and the replica records its translation appended
// are stored as one record (durable together or not at all), what was cut off before its translation
// loads as untranslated, and a snapshot never hides an untranslated update.
import { type ByteLog, type ByteLogContents, MemoryByteLog } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { SlotLog } from '../src/interop/slot-log.ts';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** A byte log whose appends become durable only when the test says so (a crash: `lose` the rest). */
class HeldLog implements ByteLog {
  readonly inner = new MemoryByteLog();
  private held: { record: Uint8Array; resolve: () => void }[] = [];

  open(): Promise<ByteLogContents> {
    return this.inner.open();
  }
  append(record: Uint8Array): Promise<void> {
    return new Promise((resolve) => this.held.push({ record, resolve }));
  }
  compact(snapshot: Uint8Array): Promise<void> {
    return this.inner.compact(snapshot);
  }
  async close(): Promise<void> {}
  /** Make the first `n` held appends durable. */
  async release(n = this.held.length): Promise<void> {
    for (const { record, resolve } of this.held.splice(0, n)) {
      await this.inner.append(record);
      resolve();
    }
  }
  get heldCount(): number {
    return this.held.length;
  }
}

describe('a slot log', () => {
  it('stores a client update with the replica records of its translation as one record', async () => {
    const log = new HeldLog();
    const { log: slot } = await SlotLog.open(log);
    const acknowledged: string[] = [];
    slot.translate(bytes(1), () => {
      void slot.replicaLog.append(bytes(10)).then(() => acknowledged.push('first'));
      void slot.replicaLog.append(bytes(11)).then(() => acknowledged.push('second'));
    });
    expect(log.heldCount).toBe(1);
    await Promise.resolve();
    expect(acknowledged).toEqual([]); // not durable yet: not acknowledged
    await log.release();
    await slot.durable();
    expect(acknowledged).toEqual(['first', 'second']);

    const { loaded } = await SlotLog.open(log.inner);
    expect(loaded.translated).toEqual([bytes(1)]);
    expect(loaded.untranslated).toEqual([]);
    const { log: again } = await SlotLog.open(log.inner);
    expect((await again.replicaLog.open()).records).toEqual([bytes(10), bytes(11)]);
  });

  it('loads an update whose translation a crash cut off as untranslated, and the rest as translated', async () => {
    const log = new HeldLog();
    const { log: slot } = await SlotLog.open(log);
    await Promise.all([slot.setMeta({ replicaName: 'app@yjs.run1' }), log.release()]);
    slot.translate(bytes(1), () => void slot.replicaLog.append(bytes(10)));
    slot.written(bytes(2)); // the gateway's write-back: the engines hold it
    slot.untranslatedUpdate(bytes(3)); // a client's update while no bridge was open
    slot.translate(bytes(4), () => void slot.replicaLog.append(bytes(11)));
    // The crash: everything up to the untranslated update is durable, its translation is not.
    await log.release(3);

    const { log: reopened, loaded } = await SlotLog.open(log.inner);
    expect(loaded.meta).toEqual({ replicaName: 'app@yjs.run1' });
    expect(loaded.translated).toEqual([bytes(1), bytes(2)]);
    expect(loaded.untranslated).toEqual([bytes(3)]);
    expect((await reopened.replicaLog.open()).records).toEqual([bytes(10)]);

    // A later translation covers it.
    reopened.translate(undefined, () => void reopened.replicaLog.append(bytes(12)));
    await reopened.durable();
    const after = (await SlotLog.open(log.inner)).loaded;
    expect(after.translated).toEqual([bytes(1), bytes(2), bytes(3)]);
    expect(after.untranslated).toEqual([]);
  });

  it('compacts into the replica snapshot and the whole document, never over an untranslated update', async () => {
    const log = new MemoryByteLog();
    const { log: slot } = await SlotLog.open(log);
    await slot.setMeta({ replicaName: 'app@am.run1', documentId: 'doc1' });
    slot.outsideState = () => bytes(7, 7, 7);
    slot.untranslatedUpdate(bytes(3));
    await slot.replicaLog.compact(bytes(42));
    expect(log.recordCount()).toBe(2); // skipped: the log loads to the same state

    slot.translate(undefined, () => void slot.replicaLog.append(bytes(10)));
    await slot.replicaLog.compact(bytes(43));
    expect(log.recordCount()).toBe(0);
    const { log: reopened, loaded } = await SlotLog.open(log);
    expect(loaded.meta).toEqual({ replicaName: 'app@am.run1', documentId: 'doc1' });
    expect(loaded.translated).toEqual([bytes(7, 7, 7)]);
    expect(loaded.untranslated).toEqual([]);
    const replica = await reopened.replicaLog.open();
    expect(replica.snapshot).toEqual(bytes(43));
    expect(replica.records).toEqual([]);
  });

  it('reports a record it cannot read and loads the others', async () => {
    const log = new MemoryByteLog();
    const { log: slot } = await SlotLog.open(log);
    slot.written(bytes(1));
    await log.append(bytes(99, 1, 2));
    slot.written(bytes(2));
    await slot.durable();
    const { loaded } = await SlotLog.open(log);
    expect(loaded.translated).toEqual([bytes(1), bytes(2)]);
    expect(loaded.damage).toEqual([expect.stringContaining('slot record 1 unreadable')]);
  });
});
