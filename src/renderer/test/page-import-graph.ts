/**
 * The modules a page entry loads before anything else: its static value imports, followed through the
 * renderer and the workspace packages (by their package.json exports), never into node_modules (a bare
 * package is recorded by name). Type-only imports are left out, as the bundler leaves them out; dynamic
 * imports and workers are separate chunks, loaded later, so they are not followed either.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

export interface ImportGraph {
  /** Repository files reached (relative to the root, '/'-separated), each with the file that first imports it. */
  readonly files: ReadonlyMap<string, string | undefined>;
  /** Bare npm packages imported (by package name), with a file that imports each. */
  readonly packages: ReadonlyMap<string, string>;
}

export function pageImportGraph(root: string, entry: string): ImportGraph {
  const files = new Map<string, string | undefined>();
  const packages = new Map<string, string>();
  const pending: [string, string | undefined][] = [[join(root, entry), undefined]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [path, importer] = next;
    const file = relative(root, path).split(sep).join('/');
    if (files.has(file)) continue;
    files.set(file, importer);
    if (!/\.(ts|tsx|mts|js|mjs)$/.test(path)) continue;
    for (const specifier of valueImportsOf(path)) {
      if (specifier.startsWith('.')) pending.push([join(dirname(path), specifier), file]);
      else if (specifier.startsWith('@converge/')) pending.push([workspaceEntry(root, specifier), file]);
      else {
        const name = specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : specifier.split('/')[0];
        if (name !== undefined && !packages.has(name)) packages.set(name, file);
      }
    }
  }
  return { files, packages };
}

/** Specifiers of a module's static imports and re-exports, except `import type` / `export type` ones. */
function valueImportsOf(path: string): string[] {
  const code = readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found: string[] = [];
  for (const m of code.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm))
    if (m[1] === undefined) found.push(m[2] as string);
  for (const m of code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) found.push(m[1] as string);
  return found;
}

/** `@converge/replica/browser` → replica/src/browser/index.ts, by the package's exports. */
function workspaceEntry(root: string, specifier: string): string {
  const [scope, name, ...rest] = specifier.split('/');
  const dir = [join(root, name ?? ''), join(root, 'tools', name ?? '')].find((d) =>
    existsSync(join(d, 'package.json')),
  );
  if (dir === undefined) throw new Error(`no workspace package ${scope}/${name}`);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    exports?: Record<string, string | Record<string, string>>;
    main?: string;
  };
  const subpath = rest.length === 0 ? '.' : `./${rest.join('/')}`;
  const exports = manifest.exports ?? {};
  // The sources, as the app's build resolves them (the '@converge/source' condition).
  const target = (entry: string | Record<string, string> | undefined): string | undefined =>
    typeof entry === 'string' ? entry : entry?.['@converge/source'];
  const exact = target(exports[subpath]);
  if (exact !== undefined) return join(dir, exact);
  for (const [pattern, entry] of Object.entries(exports)) {
    const matched = target(entry);
    if (matched === undefined || !pattern.endsWith('/*') || !subpath.startsWith(pattern.slice(0, -1)))
      continue;
    return join(dir, matched.replace('*', subpath.slice(pattern.length - 1)));
  }
  throw new Error(`${specifier} is not among ${name}'s exports`);
}

/** How `file` is reached: the entry first, `file` last. */
export function importChain(graph: ImportGraph, file: string): string[] {
  const chain: string[] = [];
  for (let at: string | undefined = file; at !== undefined && !chain.includes(at); at = graph.files.get(at))
    chain.unshift(at);
  return chain;
}
