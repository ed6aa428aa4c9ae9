import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveStaticFile } from '../static-files.ts';

describe('resolveStaticFile', () => {
  let dir: string;
  let root: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-static-'));
    root = join(dir, 'web');
    await mkdir(join(root, 'assets'), { recursive: true });
    await writeFile(join(root, 'index.html'), '<!doctype html>');
    await writeFile(join(root, 'assets', 'app-1a2b.js'), 'console.log(1)');
    await writeFile(join(root, 'assets', 'automerge.wasm'), new Uint8Array([0, 97, 115, 109]));
    await writeFile(join(root, 'assets', 'with space.css'), 'body{}');
    await writeFile(join(dir, 'secret.txt'), 'top secret');
    await symlink(join(dir, 'secret.txt'), join(root, 'assets', 'link-out.txt'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves files under the root with their content type', async () => {
    expect(await resolveStaticFile(root, '/')).toMatchObject({
      kind: 'file',
      contentType: 'text/html; charset=utf-8',
      size: 15,
    });
    expect(await resolveStaticFile(root, '/assets/app-1a2b.js')).toMatchObject({
      kind: 'file',
      contentType: 'text/javascript; charset=utf-8',
    });
    expect(await resolveStaticFile(root, '/assets/automerge.wasm')).toMatchObject({
      contentType: 'application/wasm',
    });
    expect(await resolveStaticFile(root, '/assets/with%20space.css')).toMatchObject({ kind: 'file' });
  });

  it('refuses every way out of the root', async () => {
    const attempts = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/..%2fsecret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/assets\\..\\..\\secret.txt',
      '/./index.html',
      '/assets/link-out.txt',
      '/%00index.html',
      '/%E0%A4%A',
      'secret.txt',
      `/${'a/'.repeat(600)}`,
    ];
    for (const path of attempts) {
      expect((await resolveStaticFile(root, path)).kind, path).toBe('not-found');
    }
  });

  it('finds nothing for folders and missing files', async () => {
    expect(await resolveStaticFile(root, '/assets')).toMatchObject({
      kind: 'not-found',
      reason: 'not a file',
    });
    expect(await resolveStaticFile(root, '/assets/')).toMatchObject({ kind: 'not-found' });
    expect(await resolveStaticFile(root, '/nope.js')).toMatchObject({
      kind: 'not-found',
      reason: 'no such file',
    });
    expect(await resolveStaticFile(join(dir, 'missing-root'), '/')).toMatchObject({ kind: 'not-found' });
  });
});
