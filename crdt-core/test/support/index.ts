// Shared helpers for randomized tests in every workspace (import from '@converge/crdt-core/testing').
export { budget, fcParams, longBudget, testSeed } from './budget.ts';
export { type FuzzOptions, type FuzzReport, fuzzDecoder, fuzzInput, hex } from './fuzz.ts';
