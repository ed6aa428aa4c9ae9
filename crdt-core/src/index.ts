export * from './encoding.ts';
export { SeededRandom } from './random.ts';
export * from './replica-id.ts';
