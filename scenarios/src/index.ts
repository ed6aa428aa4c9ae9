// The scenario runner (Node): run a scenario file with headless replicas, in the simulation or over a relay.
// The file format (`@converge/scenarios/format`) and the merge report (`@converge/scenarios/report`) are
// exports of their own, free of Node, for the app.
export * from './checkout-report.ts';
export * from './compare-reports.ts';
export * from './report.ts';
export * from './runner.ts';
export * from './scenario.ts';
export * from './sync.ts';
export * from './topology.ts';
export * from './world.ts';
