import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepCopyAtomically, setAside, writeFileAtomically } from '../../src/node/atomic-file.ts';

describe('atomic files', () => {
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
    expect(await setAside(path, 7, 'corrupt')).toBe(`${path}.corrupt-7`);
    await writeFile(path, 'two');
    expect(await setAside(path, 7, 'corrupt')).toBe(`${path}.corrupt-7-1`);
    await writeFile(path, 'three');
    expect(await setAside(path, 7)).toBe(`${path}.damaged-7`);
    expect(await readFile(`${path}.corrupt-7`, 'utf8')).toBe('one');
    expect(await readFile(`${path}.corrupt-7-1`, 'utf8')).toBe('two');
  });

  it('verifies what it wrote before it replaces the old file, when asked to', async () => {
    const path = join(dir, 'snapshot.bin');
    await writeFileAtomically(path, Uint8Array.of(1, 2, 3), { verify: true });
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
  });

  it('keeps a copy that shares nothing with later replacements of the source', async () => {
    const source = join(dir, 'log.bin');
    const kept = join(dir, 'log.prev.bin');
    await writeFile(source, 'generation 1');
    await writeFile(kept, 'generation 0');
    await keepCopyAtomically(source, kept);
    expect(await readFile(kept, 'utf8')).toBe('generation 1');
    await writeFileAtomically(source, 'generation 2');
    expect(await readFile(kept, 'utf8')).toBe('generation 1');
    expect(await readFile(source, 'utf8')).toBe('generation 2');
    expect((await stat(source)).ino).not.toBe((await stat(kept)).ino);
    expect((await readdir(dir)).sort()).toEqual(['log.bin', 'log.prev.bin']);
  });
});
