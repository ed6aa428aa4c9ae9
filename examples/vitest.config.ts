import { defineProject } from 'vitest/config';
import { workspaceSources } from '../vite.shared.ts';
import { sharedTestOptions } from '../vitest.shared.ts';

export default defineProject({
  ...workspaceSources,
  test: { ...sharedTestOptions, name: 'examples', include: ['test/**/*.test.ts'] },
});
