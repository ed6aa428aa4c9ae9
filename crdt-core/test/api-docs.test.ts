// The API reference (`npm run docs`) builds, with a doc comment on every public item and no broken
// link: TypeDoc's validation turns any lapse into an error.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import { runNode } from './support/node-run.ts';

const packageDir = join(import.meta.dirname, '..');
// TypeDoc lives in the tools/api-docs workspace with the TypeScript it supports (see its package.json).
const docsTool = createRequire(join(packageDir, '../tools/api-docs/package.json'));
const typedoc = join(dirname(docsTool.resolve('typedoc/package.json')), 'bin/typedoc');

it('documents every public item of the package', async () => {
  const result = await runNode([typedoc, '--options', 'typedoc.json', '--emit', 'none'], { cwd: packageDir });
  expect(result).toEqual({ code: 0, output: '' });
});
