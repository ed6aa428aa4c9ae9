// Browser-only parts of the replica runtime (IndexedDB); never imported by Node code.
export * from './indexeddb-store.ts';
