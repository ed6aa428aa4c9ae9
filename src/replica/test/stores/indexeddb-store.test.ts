import 'fake-indexeddb/auto';
import { IndexedDbStore } from '../../src/browser/indexeddb-store.ts';
import { storeContract } from './store-contract.ts';

let n = 0;
storeContract('IndexedDB', () => {
  const replica = `contract-${n++}`;
  return {
    open: () => new IndexedDbStore(replica),
    dispose: () =>
      new Promise<void>((resolve) => {
        const request = indexedDB.deleteDatabase(`converge-replica-${replica}`);
        request.onsuccess = request.onerror = request.onblocked = () => resolve();
      }),
  };
});
