import { defineProject } from 'vitest/config';
import { workspaceSources } from '../../vite.shared.ts';
import { loadEnginesFirst, sharedTestOptions } from '../../vitest.shared.ts';

// Pure renderer logic (text edits, caret, versions, scenarios...) runs in Node; components are checked in a browser.
export default defineProject({
  ...workspaceSources,
  test: {
    ...sharedTestOptions,
    ...loadEnginesFirst,
    name: 'renderer',
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
