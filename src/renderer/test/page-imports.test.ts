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

  it('would see an engine library the replica host reaches', () => {
    const graph = pageImportGraph(root, 'replica/src/engines/automerge/code.ts');
    expect(graph.packages.has('@automerge/automerge')).toBe(true);
    for (const name of ['yjs', 'loro']) {
      const code = pageImportGraph(root, `replica/src/engines/${name}/code.ts`);
      expect(ENGINE_PACKAGES.filter((p) => code.packages.has(p)).length, name).toBeGreaterThan(0);
    }
  });
});

describe("the replica host's start", () => {
  it("loads only the primary engine's code: Yjs, Automerge and Loro are dynamic imports, loaded in turn", () => {
    const graph = pageImportGraph(root, 'src/renderer/worker/replica-host.ts');
    expect(graph.files.has('replica/src/engines/converge/converge-engine.ts')).toBe(true);
    const reached = ENGINE_PACKAGES.flatMap((name) => {
      const importer = graph.packages.get(name);
      return importer === undefined ? [] : [[...importChain(graph, importer), name].join(' → ')];
    });
    expect(reached).toEqual([]);
  });
});

describe("the replica worker's start", () => {
  it('loads no engine before its store is being read: the host and the engines are a dynamic import', () => {
    const entry = pageImportGraph(root, 'src/renderer/worker/replica-worker.ts');
    expect(entry.files.has('src/renderer/worker/early-store-read.ts')).toBe(true);
    const main = pageImportGraph(root, 'src/renderer/worker/replica-worker-main.ts');
    expect(main.files.has('src/renderer/worker/read-ahead.ts')).toBe(true);
    for (const graph of [entry, main]) {
      expect(ENGINE_PACKAGES.filter((name) => graph.packages.has(name))).toEqual([]);
      expect([...graph.files.keys()].filter((file) => ENGINE_FILES.test(file))).toEqual([]);
    }
  });
});
