// The storage peers' worker, run from the TypeScript sources (the CLI, web mode, tests and benchmarks
// run the relay under tsx or Vitest; a worker thread starts with neither): tsx's loader is registered for
// this thread, then the worker itself is loaded. A bundled build points the relay at its own worker file.
import { register } from 'tsx/esm/api';

register();
await import('./peer-worker.ts');
