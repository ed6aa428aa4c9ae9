/**
 * A Vitest setup file (vitest.shared.ts, `loadEnginesFirst`): every engine's code loaded before a test
 * file runs, so tests may build engines synchronously (`descriptor.create`, `ENGINES.create`). A test of
 * code loading on demand imports a fresh registry after `vi.resetModules()`.
 */
import { ENGINES } from '../src/engines/index.ts';

await ENGINES.loadAll();
