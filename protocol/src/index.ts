export * from './channels.ts';
export * from './error-message.ts';
export * from './frames.ts';
export * from './random.ts';
export * from './relay-credentials.ts';
export * from './replica-message.ts';
export * from './storage-placement.ts';
export * from './timers.ts';
export type * from './transport.ts';
