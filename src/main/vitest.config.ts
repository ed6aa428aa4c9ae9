import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'main', include: ['test/**/*.test.ts'] },
});
