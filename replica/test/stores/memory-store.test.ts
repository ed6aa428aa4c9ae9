import { type ByteLog, MemoryByteLog } from '../../src/log-store.ts';
import { MemoryStore } from '../../src/store.ts';
import { storeContract } from './store-contract.ts';

storeContract('memory', () => {
  const log = new MemoryByteLog();
  let damaged = false;
  // The memory log's bytes are its own: the damage is applied to what it hands out, until replaced.
  const view: ByteLog = {
    open: async () => {
      const contents = await log.open();
      if (!damaged || contents.snapshot === undefined) return contents;
      const snapshot = contents.snapshot.slice();
      snapshot[snapshot.length - 2] = (snapshot[snapshot.length - 2] as number) ^ 0x40;
      return { ...contents, snapshot };
    },
    append: (record) => log.append(record),
    compact: (snapshot) => {
      damaged = false; // the damaged snapshot is replaced
      return log.compact(snapshot);
    },
    close: () => log.close(),
  };
  return {
    open: () => new MemoryStore(view as MemoryByteLog),
    damageSnapshot: async () => {
      damaged = true;
    },
  };
});
