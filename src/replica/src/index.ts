export type * from './engine.ts';
export * from './engine-name.ts';
export type * from './transport.ts';
export * from './workspace.ts';
