// Node-only parts of the replica runtime (file system); never imported by the browser bundle.
export * from './durable-log.ts';
export * from './file-store.ts';
