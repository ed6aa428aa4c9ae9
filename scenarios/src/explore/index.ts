// The differential explorer (explorer.ts), and how it classifies a finished run (classify.ts).
export * from './classify.ts';
export * from './explorer.ts';
export * from './kinds.ts';
