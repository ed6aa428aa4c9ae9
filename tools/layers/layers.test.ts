// Every import in the repository points down a layer, reaches other packages only through their exports,
// and stays inside its package when relative (layers.ts has the rule and the layers).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImport, importsOf, UNITS } from './layers.ts';

const root = join(import.meta.dirname, '../..');
const SKIP = new Set(['node_modules', 'dist', 'out', 'api-docs', 'test-results', 'playwright-report']);

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(ts|tsx|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

describe('the layers', () => {
  it('hold for every import of every package', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const dir of new Set(UNITS.map((u) => u.dir.split('/')[0] as string))) {
      for (const path of sources(join(root, dir))) {
        const file = relative(root, path).split(sep).join('/');
        for (const specifier of importsOf(readFileSync(path, 'utf8'))) {
          checked++;
          const problem = checkImport(file, specifier);
          if (problem !== undefined) problems.push(`${file}: '${specifier}' ${problem}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(problems).toEqual([]);
  });

  it('refuses an import up a layer', () => {
    expect(checkImport('replica/src/replica.ts', '@converge/scenarios')).toMatch(/not below replica/);
    expect(checkImport('crdt-core/src/rga.ts', '@converge/protocol')).toMatch(/not below crdt-core/);
    expect(checkImport('protocol/src/frames.ts', '@converge/replica')).toMatch(/not below protocol/);
    expect(checkImport('scenarios/src/runner.ts', '@converge/sync-server')).toMatch(/not below/);
    // The relay's core depends on the protocol alone; its storage peer hosts replicas.
    expect(checkImport('sync-server/src/relay.ts', '@converge/replica')).toMatch(/not below sync-server/);
    expect(checkImport('sync-server/src/storage/storage-peers.ts', '@converge/replica')).toBeUndefined();
    expect(checkImport('sync-server/src/interop/client-bridge.ts', '@converge/replica')).toBeUndefined();
    expect(checkImport('src/renderer/App.tsx', '@converge/replica')).toBeUndefined();
  });

  it("refuses an import into another package's src/ or test/", () => {
    expect(checkImport('src/renderer/a.ts', '@converge/scenarios/src/scenario.ts')).toMatch(
      /scenarios's src/,
    );
    expect(checkImport('sync-server/test/a.test.ts', '@converge/replica/test/support.ts')).toMatch(
      /replica's test/,
    );
    expect(checkImport('e2e/web/a.spec.ts', '../../scenarios/src/runner.ts')).toMatch(/relative path/);
    expect(checkImport('scenarios/test/a.ts', '../../replica/testing/toy-engine.ts')).toMatch(
      /into replica's files/,
    );
    expect(checkImport('sync-server/test/a.test.ts', '@converge/replica/testing')).toBeUndefined();
    expect(checkImport('replica/test/a.test.ts', '../src/replica.ts')).toBeUndefined();
    expect(checkImport('e2e/support/a.ts', '../../src/main/web-mode.ts')).toBeUndefined();
    expect(checkImport('replica/vitest.config.ts', '../vitest.shared.ts')).toBeUndefined();
  });

  it('reads static, type-only, re-exported and dynamic imports, not commented ones', () => {
    const source = [
      "import { a } from './a.ts';",
      "import type {\n  B,\n} from '@converge/b';",
      "export * from './c.ts';",
      "import './d.css';",
      "const e = await import('./e.ts');",
      "// import { f } from './f.ts';",
      "/* import { g } from './g.ts'; */",
    ].join('\n');
    expect(importsOf(source)).toEqual(['./a.ts', '@converge/b', './c.ts', './d.css', './e.ts']);
  });
});
