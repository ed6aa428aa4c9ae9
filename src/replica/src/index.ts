export * from './engine-name.ts';
export type * from './transport.ts';
