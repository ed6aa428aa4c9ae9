import { defineProject } from 'vitest/config';
import { workspaceSources } from '../vite.shared.ts';
import { loadEnginesFirst, sharedTestOptions } from '../vitest.shared.ts';

export default defineProject({
  ...workspaceSources,
  test: { ...sharedTestOptions, ...loadEnginesFirst, name: 'bench', include: ['test/**/*.test.ts'] },
});
