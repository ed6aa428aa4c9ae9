import { defineProject } from 'vitest/config';
import { workspaceSources } from '../../vite.shared.ts';
import { sharedTestOptions } from '../../vitest.shared.ts';

// Components rendered into a DOM (happy-dom): what renders again, and when. No engine's code is loaded
// here (Loro's WebAssembly does not load under happy-dom); these tests give the components engine facts.
export default defineProject({
  ...workspaceSources,
  test: {
    ...sharedTestOptions,
    name: 'renderer-dom',
    include: ['test/**/*.test.tsx'],
    environment: 'happy-dom',
  },
});
