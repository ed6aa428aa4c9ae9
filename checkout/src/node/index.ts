// Node-only parts of checkout (file system); never imported by the browser bundle.
export * from './durable-persistence.ts';
export * from './file-checkout.ts';
