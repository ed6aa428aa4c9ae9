// What the app needs to replay a scenario across its windows as the runner's simulation runs it, free of
// Node: when replicas are in sync, the scenario's topology, and a chaos step as relay settings.
export * from './relay-chaos.ts';
export * from './sync.ts';
export * from './topology.ts';
