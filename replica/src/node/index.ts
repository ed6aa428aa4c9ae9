// Node-only parts of the replica runtime (file system); never imported by the browser bundle.

export { describeDamage } from '../log-store.ts';
export * from './atomic-file.ts';
export * from './durable-log.ts';
export * from './file-store.ts';
