import { defineProject } from 'vitest/config';
import { sharedTestOptions } from '../../vitest.shared.ts';

// Pure renderer logic (text edits, caret, versions, scenarios...) runs in Node; components are checked in a browser.
export default defineProject({
  test: { ...sharedTestOptions, name: 'renderer', include: ['test/**/*.test.ts'], environment: 'node' },
});
