/**
 * The packages' layers, and the check every import passes: it points down a layer (or within its own
 * package), reaches another package only through that package's exports (never its src/ or test/), and
 * never climbs out of its package by a relative path.
 *
 *   crdt-core ← protocol ← replica ← checkout ← {relay's storage peer and checkout authority, scenarios,
 *   bench} ← app (src/, and e2e/)
 *
 * The relay's core depends on the protocol alone; only its plugins that host replicas (its storage peer
 * in src/storage, its gateways for stock Yjs and Automerge clients in src/interop), its tests and its benchmarks use the
 * replica runtime; its checkout authority (src/checkout) hosts the checkout domain. The example apps (examples/) use the stock libraries, and the relay in their test. The app is the repository's root package: its code in src/, its end-to-end tests in
 * e2e/; files at the repository's root (shared Vite and Vitest settings) are everyone's.
 */
import { posix } from 'node:path';

export type PackageName =
  | 'crdt-core'
  | 'protocol'
  | 'replica'
  | 'checkout'
  | 'sync-server'
  | 'scenarios'
  | 'bench'
  | 'app'
  | 'examples'
  | 'api-docs';

/** A part of the repository whose imports follow one rule: its files, its package, what it may import. */
export interface Unit {
  /** Repository-relative folder (posix). */
  readonly dir: string;
  readonly pkg: PackageName;
  /** The other packages it may import (through their exports). */
  readonly uses: readonly PackageName[];
}

const BELOW_REPLICA: readonly PackageName[] = ['crdt-core', 'protocol'];
const BELOW_RUNNERS: readonly PackageName[] = [...BELOW_REPLICA, 'replica'];
/** The strongly consistent checkout (issue 20) sits on the runtime: its authority keeps a durable log. */
const WITH_CHECKOUT: readonly PackageName[] = [...BELOW_RUNNERS, 'checkout'];

/** Most specific folder first: a file belongs to the first unit whose folder holds it. */
export const UNITS: readonly Unit[] = [
  { dir: 'crdt-core', pkg: 'crdt-core', uses: [] },
  { dir: 'protocol', pkg: 'protocol', uses: ['crdt-core'] },
  { dir: 'replica', pkg: 'replica', uses: BELOW_REPLICA },
  { dir: 'checkout', pkg: 'checkout', uses: BELOW_RUNNERS },
  { dir: 'sync-server/src/storage', pkg: 'sync-server', uses: BELOW_RUNNERS },
  { dir: 'sync-server/src/checkout', pkg: 'sync-server', uses: WITH_CHECKOUT },
  { dir: 'sync-server/src/interop', pkg: 'sync-server', uses: BELOW_RUNNERS },
  { dir: 'sync-server/test', pkg: 'sync-server', uses: WITH_CHECKOUT },
  // Its benchmarks run windows (replicas) against it, as its tests do.
  { dir: 'sync-server/bench', pkg: 'sync-server', uses: BELOW_RUNNERS },
  { dir: 'sync-server', pkg: 'sync-server', uses: BELOW_REPLICA },
  { dir: 'scenarios/test', pkg: 'scenarios', uses: [...WITH_CHECKOUT, 'sync-server'] },
  { dir: 'scenarios', pkg: 'scenarios', uses: WITH_CHECKOUT },
  { dir: 'bench', pkg: 'bench', uses: [...BELOW_RUNNERS, 'sync-server'] },
  { dir: 'src', pkg: 'app', uses: [...WITH_CHECKOUT, 'sync-server', 'scenarios'] },
  { dir: 'e2e', pkg: 'app', uses: [...WITH_CHECKOUT, 'sync-server', 'scenarios'] },
  { dir: 'examples', pkg: 'examples', uses: [...BELOW_RUNNERS, 'sync-server'] },
  { dir: 'tools/api-docs', pkg: 'api-docs', uses: [] },
];

/** Where each package lives (the folders relative imports must stay in). */
const PACKAGE_DIRS: Readonly<Record<PackageName, readonly string[]>> = {
  'crdt-core': ['crdt-core'],
  protocol: ['protocol'],
  replica: ['replica'],
  checkout: ['checkout'],
  'sync-server': ['sync-server'],
  scenarios: ['scenarios'],
  bench: ['bench'],
  app: ['src', 'e2e'],
  examples: ['examples'],
  'api-docs': ['tools/api-docs'],
};

const WORKSPACE_PACKAGE = /^@converge\/([a-z-]+)(\/.*)?$/;

export function unitOf(file: string): Unit | undefined {
  return UNITS.find((u) => file === u.dir || file.startsWith(`${u.dir}/`));
}

/** What is wrong with importing `specifier` from `file` (repository-relative), if anything. */
export function checkImport(file: string, specifier: string): string | undefined {
  const unit = unitOf(file);
  if (unit === undefined) return undefined;
  if (specifier.startsWith('.')) {
    const target = posix.normalize(posix.join(posix.dirname(file), specifier));
    if (PACKAGE_DIRS[unit.pkg].some((home) => target.startsWith(`${home}/`))) return undefined;
    if (!target.includes('/') && !target.startsWith('..')) return undefined; // a file at the root
    const into = unitOf(target);
    return into === undefined
      ? `leaves its package ${unit.pkg} by a relative path`
      : `reaches into ${into.pkg}'s files by a relative path: import @converge/${into.pkg} instead`;
  }
  const match = WORKSPACE_PACKAGE.exec(specifier);
  if (match === null) return undefined;
  const [, name, subpath = ''] = match;
  if (/^\/(src|test)(\/|$)/.test(subpath))
    return `reaches into ${name}'s ${subpath.split('/')[1]}/: import what its package exports instead`;
  if (name === unit.pkg) return undefined;
  if (!(unit.uses as readonly string[]).includes(name as string))
    return `imports ${name}, which is not below ${unit.pkg} (${unit.dir} may import ${unit.uses.join(', ') || 'no other package'})`;
  return undefined;
}

/** The module specifiers a TypeScript source imports or re-exports (static and dynamic). */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.push(m[1] as string);
  return found;
}
