import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'crdt-core', include: ['test/**/*.test.ts'] },
});
