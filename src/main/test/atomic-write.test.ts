import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setAside, writeFileAtomically } from '../atomic-write.ts';

describe('writeFileAtomically', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-atomic-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('replaces the whole file and leaves no temporary file', async () => {
    const path = join(dir, 'sub', 'state.json');
    await writeFileAtomically(path, 'first');
    await writeFileAtomically(path, 'second');
    expect(await readFile(path, 'utf8')).toBe('second');
    expect(await readdir(join(dir, 'sub'))).toEqual(['state.json']);
  });

  it('is not disturbed by a temporary file left by a crash mid-write', async () => {
    const path = join(dir, 'state.json');
    await writeFileAtomically(path, 'good');
    await writeFile(join(dir, '.state.json.tmp'), 'half-written garb');
    expect(await readFile(path, 'utf8')).toBe('good');
    await writeFileAtomically(path, 'newer');
    expect(await readFile(path, 'utf8')).toBe('newer');
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('sets files aside without overwriting earlier evidence', async () => {
    const path = join(dir, 'x.json');
    await writeFile(path, 'one');
    expect(await setAside(path, 7)).toBe(`${path}.corrupt-7`);
    await writeFile(path, 'two');
    expect(await setAside(path, 7)).toBe(`${path}.corrupt-7-1`);
    expect(await readFile(`${path}.corrupt-7`, 'utf8')).toBe('one');
    expect(await readFile(`${path}.corrupt-7-1`, 'utf8')).toBe('two');
  });
});
