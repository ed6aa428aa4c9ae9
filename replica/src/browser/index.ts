// Browser-only parts of the replica runtime (IndexedDB); never imported by Node code. Light: no engine
// (a window's worker opens its store with these before the engines' modules have loaded).

export { type ByteLog, type ByteLogContents, LogStore } from '../log-store.ts';
export * from './indexeddb-store.ts';
