import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  loadWindowState,
  parseWindowState,
  serializeWindowState,
  type WindowRecord,
  WindowStateStore,
  windowsToOpen,
} from '../window-state.ts';

const A: WindowRecord = {
  replicaId: 'alpha',
  bounds: { x: 10, y: 20, width: 800, height: 600 },
  maximized: false,
};
const B: WindowRecord = { replicaId: 'beta' };

describe('window state format', () => {
  it('round-trips through its JSON form', () => {
    expect(parseWindowState(serializeWindowState([A, B]))).toEqual({ ok: true, windows: [A, B] });
  });

  it('rejects malformed content with a reason', () => {
    const cases = [
      '',
      '{',
      'null',
      '[]',
      JSON.stringify({ version: 2, windows: [] }),
      JSON.stringify({ version: 1, windows: [{ replicaId: '../x' }] }),
      JSON.stringify({
        version: 1,
        windows: [{ replicaId: 'a', bounds: { x: 'left', y: 0, width: 1, height: 1 } }],
      }),
      JSON.stringify({
        version: 1,
        windows: [{ replicaId: 'a', bounds: { x: 0, y: 0, width: 0, height: 1 } }],
      }),
      JSON.stringify({ version: 1, windows: Array.from({ length: 65 }, (_, i) => ({ replicaId: `r${i}` })) }),
    ];
    for (const text of cases) {
      const parsed = parseWindowState(text);
      expect(parsed.ok, text).toBe(false);
      expect(parsed.ok === false && parsed.reason.length, text).toBeGreaterThan(0);
    }
    const traversal = parseWindowState(JSON.stringify({ version: 1, windows: [{ replicaId: '../x' }] }));
    expect(traversal.ok === false && traversal.reason).toMatch(/not a safe replica id/);
  });

  it('keeps one entry per replica', () => {
    const text = JSON.stringify({ version: 1, windows: [A, B, { replicaId: 'alpha' }] });
    expect(parseWindowState(text)).toEqual({ ok: true, windows: [A, B] });
  });

  it('opens the restored windows, or exactly one new replica on a first run', () => {
    expect(windowsToOpen([A, B], () => 'unused')).toEqual([A, B]);
    expect(windowsToOpen([], () => 'fresh')).toEqual([{ replicaId: 'fresh' }]);
  });
});

describe('loading and saving', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-windows-'));
    path = join(dir, 'window-state.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('restores what the store saved (restart)', async () => {
    const store = new WindowStateStore(path, []);
    store.opened(A);
    store.opened(B);
    store.updateBounds('beta', { x: 1, y: 2, width: 640, height: 480 }, true);
    await store.flush();
    const loaded = await loadWindowState({ path, warn: () => {} });
    expect(loaded).toEqual({
      windows: [A, { replicaId: 'beta', bounds: { x: 1, y: 2, width: 640, height: 480 }, maximized: true }],
    });
  });

  it('starts empty without warning when there is no file', async () => {
    const warnings: string[] = [];
    expect(await loadWindowState({ path, warn: (w) => warnings.push(w) })).toEqual({ windows: [] });
    expect(warnings).toEqual([]);
  });

  it('sets a corrupt file aside with a clear warning and starts as on a first run', async () => {
    await writeFile(path, '{"version":1,"windows":[{"replicaId":"alpha"');
    const warnings: string[] = [];
    const loaded = await loadWindowState({ path, warn: (w) => warnings.push(w), now: () => 1234 });
    expect(loaded.windows).toEqual([]);
    expect(loaded.recovered).toEqual({
      reason: expect.stringMatching(/not valid JSON/),
      preservedAs: `${path}.corrupt-1234`,
    });
    expect(warnings).toEqual([
      expect.stringMatching(
        /window state .* is corrupt \(not valid JSON.*\); kept it as .*corrupt-1234 and starting with a new window/,
      ),
    ]);
    expect(await readFile(`${path}.corrupt-1234`, 'utf8')).toBe(
      '{"version":1,"windows":[{"replicaId":"alpha"',
    );
    expect(windowsToOpen(loaded.windows, () => 'fresh')).toEqual([{ replicaId: 'fresh' }]);

    // A second corruption at the same instant keeps both pieces of evidence.
    await writeFile(path, 'garbage');
    const again = await loadWindowState({ path, warn: () => {}, now: () => 1234 });
    expect(again.recovered?.preservedAs).toBe(`${path}.corrupt-1234-1`);
    expect((await readdir(dir)).sort()).toEqual([
      'window-state.json.corrupt-1234',
      'window-state.json.corrupt-1234-1',
    ]);
  });

  it('forgets a closed window but keeps the last one, and keeps every window once quitting', async () => {
    const store = new WindowStateStore(path, [A, B]);
    store.closed('alpha');
    expect(store.list()).toEqual([B]);
    store.closed('beta');
    expect(store.list()).toEqual([B]);
    store.opened(A);
    store.beginQuit();
    store.closed('alpha');
    store.closed('beta');
    expect(store.list()).toEqual([B, A]);
    await store.flush();
    expect((await loadWindowState({ path, warn: () => {} })).windows).toEqual([B, A]);
  });

  it('ignores updates for windows it does not know', async () => {
    const store = new WindowStateStore(path, [A]);
    store.updateBounds('ghost', { x: 0, y: 0, width: 10, height: 10 }, false);
    store.closed('ghost');
    await store.flush();
    expect(store.list()).toEqual([A]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('writes atomically: a burst of changes ends with the last state and no temp file', async () => {
    const store = new WindowStateStore(path, [A]);
    for (let i = 0; i < 200; i++) store.updateBounds('alpha', { x: i, y: i, width: 800, height: 600 }, false);
    await store.flush();
    expect(await readdir(dir)).toEqual(['window-state.json']);
    const parsed = parseWindowState(await readFile(path, 'utf8'));
    expect(parsed).toEqual({
      ok: true,
      windows: [
        { replicaId: 'alpha', bounds: { x: 199, y: 199, width: 800, height: 600 }, maximized: false },
      ],
    });
  });

  it('reports a failed write instead of throwing', async () => {
    const errors: unknown[] = [];
    const store = new WindowStateStore(join(dir, 'missing-parent', 'file-as-dir', 'x.json'), [], (e) =>
      errors.push(e),
    );
    await writeFile(join(dir, 'missing-parent'), 'a file where a folder should be');
    store.opened(A);
    await store.flush();
    expect(errors).toHaveLength(1);
  });
});
