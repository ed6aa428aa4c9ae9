// Test support for whoever tests against the replica runtime (this package, the relay, the app): the
// seeded convergence harness, engines wired in memory, a simulated room, and a toy engine.
export * from './convergence-harness.ts';
export * from './engine-contract.ts';
export * from './engine-mesh.ts';
export * from './frame-counter.ts';
export * from './held-defers.ts';
export * from './sim-room.ts';
export * from './toy-engine.ts';
export * from './wrapped-transport.ts';
