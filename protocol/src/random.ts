/**
 * The seeded random source every edge that must replay (the relay's chaos, the simulated network) draws
 * from: the one in crdt-core, handed on so that packages above the protocol need no other dependency.
 */
export { SeededRandom } from '@converge/crdt-core';
