// Committed benchmark results name files by paths relative to the repository, never by this machine's paths.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSource, portablePath } from '../src/workloads.ts';

const repoRoot = resolve(import.meta.dirname, '../..');

/** An absolute POSIX path (/home/…, /work/…) or a Windows drive path, as a token of its own. */
const ABSOLUTE_PATH = /(?:^|[\s"'(`=,[])(?:\/[\w.@-]+){2,}|\b[A-Za-z]:\\[\w.-]/m;

describe('paths in reports', () => {
  it('a trace is named relative to the repository, with forward slashes', () => {
    const file = resolve(repoRoot, '../shared/traces/automerge-paper.json.gz');
    expect(describeSource({ type: 'trace', name: 'automerge-paper', file }, repoRoot)).toBe(
      'Editing trace ../shared/traces/automerge-paper.json.gz.',
    );
    expect(portablePath(join(repoRoot, 'bench', 'x.json'), repoRoot)).toBe('bench/x.json');
    expect(portablePath('relative/x.json', repoRoot)).toBe('relative/x.json');
    expect(describeSource({ type: 'synthetic', name: 'B1.1-append', size: 10, seed: 2 }, repoRoot)).toBe(
      'Synthetic, 10 edits, seed 2.',
    );
  });

  it('the committed results in bench/results hold no absolute path', () => {
    const dir = join(repoRoot, 'bench', 'results');
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      const text = readFileSync(join(dir, name), 'utf8');
      const found = ABSOLUTE_PATH.exec(text.replaceAll(/https?:\/\/\S+/g, ''));
      expect(found?.[0] ?? null, `${name} contains an absolute path`).toBeNull();
    }
  });
});
