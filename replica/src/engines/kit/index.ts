// What engines are built from (every engine folder uses these; a new engine should too): the change feed
// and lifecycle, the session lifecycle and its answer throttle, what an engine holds until closed, the
// checksummed envelope, the view digest, the shared text-intent checks and the injectable random source.
export * from './answer-throttle.ts';
export * from './change-feed.ts';
export * from './code-on-demand.ts';
export * from './envelope.ts';
export * from './feed-engine.ts';
export * from './fnv1a64.ts';
export * from './held.ts';
export * from './peer-session.ts';
export * from './random-source.ts';
export * from './view-digest.ts';
