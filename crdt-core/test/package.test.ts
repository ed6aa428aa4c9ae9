// The package as another project gets it: `npm pack`, install the tarball into an empty folder
// (offline: it has no dependencies), then run the README's example with plain `node` (no
// @converge/source condition, so dist/ it is) and type-check it with a stock nodenext tsconfig.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNode } from './support/node-run.ts';

const run = promisify(execFile);
const packageDir = join(import.meta.dirname, '..');
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');

/** The environment of a project that is not this repository: no npm settings, no source condition. */
function outsideEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith('npm_') && key !== 'NODE_OPTIONS') env[key] = value;
  }
  return env;
}

/** The README's example and the output it promises: the fenced blocks after the test's note. */
async function readmeExample(): Promise<{ code: string; output: string }> {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const note = readme.indexOf('<!-- The test crdt-core/test/package.test.ts runs this block');
  const code = /```js\n([\s\S]*?)```/.exec(readme.slice(note));
  const output = /```text\n([\s\S]*?)```/.exec(readme.slice(note));
  if (note < 0 || !code?.[1] || !output?.[1]) throw new Error('README.md lost its tested example');
  return { code: code[1], output: output[1] };
}

describe('the packed package', () => {
  let dir: string;
  let files: string[];
  const consumer = () => join(dir, 'consumer');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crdt-core-package-'));
    const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: packageDir,
      env: outsideEnv(),
    });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    if (!info) throw new Error(`npm pack printed no package: ${packed.stdout}`);
    files = info.files.map((file) => file.path).sort();
    await mkdir(consumer());
    await writeFile(
      join(consumer(), 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await run(
      'npm',
      ['install', join(dir, info.filename), '--offline', '--no-audit', '--no-fund', '--no-package-lock'],
      { cwd: consumer(), env: outsideEnv() },
    );
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('holds the build, the README, the byte formats and the license, and nothing of the sources or tests', () => {
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toEqual(expect.arrayContaining(['BINARY.md', 'LICENSE', 'README.md', 'package.json']));
    expect(files.filter((path) => !/^dist\/.+\.(js|d\.ts)$/.test(path))).toEqual([
      'BINARY.md',
      'LICENSE',
      'README.md',
      'package.json',
    ]);
  });

  it("runs the README's example with plain node", async () => {
    const { code, output } = await readmeExample();
    await writeFile(join(consumer(), 'example.mjs'), code);
    const { stdout, stderr } = await run(process.execPath, ['example.mjs'], {
      cwd: consumer(),
      env: outsideEnv(),
    });
    expect(stderr).toBe('');
    expect(stdout).toBe(output);
  });

  it('type-checks the example with a stock nodenext tsconfig, declarations included', async () => {
    const { code } = await readmeExample();
    await writeFile(join(consumer(), 'example.mts'), code);
    // What `tsc --init` writes (TypeScript 7), minus emit options, with the declarations checked too.
    const tsconfig = {
      compilerOptions: {
        module: 'nodenext',
        target: 'esnext',
        types: [],
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        strict: true,
        verbatimModuleSyntax: true,
        isolatedModules: true,
        noUncheckedSideEffectImports: true,
        moduleDetection: 'force',
        skipLibCheck: false,
        noEmit: true,
      },
      include: ['example.mts'],
    };
    await writeFile(join(consumer(), 'tsconfig.json'), JSON.stringify(tsconfig));
    const checked = await runNode([tsc, '-p', '.'], { cwd: consumer(), env: outsideEnv() });
    expect(checked).toEqual({ code: 0, output: '' });
  });

  it('keeps the test helpers to the monorepo', async () => {
    const attempt = run(process.execPath, ['-e', "import('@converge/crdt-core/testing')"], {
      cwd: consumer(),
      env: outsideEnv(),
    });
    await expect(attempt).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });
});
