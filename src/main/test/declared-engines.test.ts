import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/**
 * The repository's `engines` must be true for what it installs: every Node version the root
 * manifest admits must be one every installed package admits, or `npm ci` warns EBADENGINE (as it
 * did for Electron's installer, which needs Node 22.12, while the root said 20.19).
 */
const root = join(import.meta.dirname, '..', '..', '..');
const readJson = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));

interface LockEntry {
  engines?: { node?: string } | string[];
  link?: boolean;
}

/** Packages of the lockfile whose declared Node range leaves out part of `range`. */
function narrowerThan(range: string, packages: Record<string, LockEntry>): string[] {
  const narrower: string[] = [];
  for (const [path, entry] of Object.entries(packages)) {
    if (path === '' || entry.link || !entry.engines || Array.isArray(entry.engines)) continue;
    const wanted = entry.engines.node;
    if (wanted && !semver.subset(range, wanted)) narrower.push(`${path} wants node ${wanted}`);
  }
  return narrower;
}

describe('declared engines', () => {
  const manifest = readJson('package.json');
  const lock = readJson('package-lock.json');

  it('admit only Node versions every locked package supports', () => {
    expect(semver.validRange(manifest.engines.node)).not.toBeNull();
    expect(narrowerThan(manifest.engines.node, lock.packages)).toEqual([]);
  });

  it('would catch a root range wider than a package allows', () => {
    // The range the root declared before: Electron's installer and Vitest leave parts of it out.
    expect(narrowerThan('>=20.19', lock.packages).join('\n')).toMatch(/electron.*22\.12/);
  });

  it('keep electron a pinned development dependency', () => {
    expect(manifest.dependencies?.electron).toBeUndefined();
    expect(semver.valid(manifest.devDependencies.electron)).not.toBeNull();
  });
});
