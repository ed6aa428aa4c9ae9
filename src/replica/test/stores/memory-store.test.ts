import { MemoryByteLog } from '../../src/log-store.ts';
import { MemoryStore } from '../../src/store.ts';
import { storeContract } from './store-contract.ts';

storeContract('memory', () => {
  const log = new MemoryByteLog();
  return { open: () => new MemoryStore(log) };
});
