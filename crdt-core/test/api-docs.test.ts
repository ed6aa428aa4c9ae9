// The API reference (`npm run docs`) builds, with a doc comment on every public item and no broken
// link: TypeDoc's validation turns any lapse into an error.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = join(import.meta.dirname, '..');
// TypeDoc lives in the tools/api-docs workspace with the TypeScript it supports (see its package.json).
const docsTool = createRequire(join(packageDir, '../tools/api-docs/package.json'));
const typedoc = join(dirname(docsTool.resolve('typedoc/package.json')), 'bin/typedoc');

it('documents every public item of the package', async () => {
  const result = await run(process.execPath, [typedoc, '--options', 'typedoc.json', '--emit', 'none'], {
    cwd: packageDir,
  }).then(
    (done) => ({ code: 0, output: done.stdout + done.stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: error.stdout + error.stderr,
    }),
  );
  expect(result).toEqual({ code: 0, output: '' });
});
