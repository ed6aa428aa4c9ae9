import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importChain, pageImportGraph } from './page-import-graph.ts';

const root = join(import.meta.dirname, '../../..');

/** The engines' libraries: the replica worker loads them; the page never does. */
const ENGINE_PACKAGES = ['yjs', 'y-protocols', '@automerge/automerge', 'loro-crdt'];
const ENGINE_FILES = /^replica\/src\/(engines\/|index\.ts$|replica\.ts$|engine-registry\.ts$)/;

describe("the page's start", () => {
  it('loads no engine library: its static imports never reach the engines (they run in the worker)', () => {
    const graph = pageImportGraph(root, 'src/renderer/main.tsx');
    expect(graph.files.size).toBeGreaterThan(50);
    const reached = [
      ...ENGINE_PACKAGES.flatMap((name) => {
        const importer = graph.packages.get(name);
        return importer === undefined ? [] : [[...importChain(graph, importer), name].join(' → ')];
      }),
      ...[...graph.files.keys()]
        .filter((file) => ENGINE_FILES.test(file))
        .map((file) => importChain(graph, file).join(' → ')),
    ];
    expect(reached).toEqual([]);
  });

  it('would see an engine library the worker entry reaches', () => {
    const graph = pageImportGraph(root, 'src/renderer/worker/replica-worker.ts');
    for (const name of ENGINE_PACKAGES) expect(graph.packages.has(name), name).toBe(true);
  });
});
