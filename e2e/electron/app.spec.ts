/**
 * The desktop app through Playwright's Electron support: the built app (electron-vite build, done here
 * when the Electron binary exists) with a fresh user-data folder, so its embedded relay, window state and
 * replica logs start empty. Skipped, saying why, where the binary is not installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron, type ElectronApplication, expect, type Page, test } from '@playwright/test';
import { electronBinary } from '../../src/main/electron-binary.ts';
import { ConsoleGuard } from '../support/console-guard.ts';
import { expectAllConverged, Workbench } from '../support/workbench.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const binary = electronBinary();
const noDisplay =
  process.platform === 'linux' &&
  (process.env.DISPLAY ?? '') === '' &&
  (process.env.WAYLAND_DISPLAY ?? '') === '';

test.skip(
  binary === undefined,
  'Electron binary not installed (cannot be downloaded here): Electron-mode e2e skipped',
);
test.skip(noDisplay, 'no display for Electron windows (run under xvfb-run): Electron-mode e2e skipped');

let userData = '';
let app: ElectronApplication | undefined;
const guard = new ConsoleGuard();

test.beforeAll(async () => {
  test.setTimeout(240_000);
  // The app loads out/main, out/preload and out/renderer: build them from the current sources.
  const built = spawnSync('npx', ['electron-vite', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`electron-vite build failed:\n${built.stdout}\n${built.stderr}`);
  userData = await mkdtemp(join(tmpdir(), 'converge-electron-'));
  app = await _electron.launch({
    executablePath: binary as string,
    // --user-data-dir keeps the app's data (and its single-instance lock) in the temporary folder.
    args: ['--no-sandbox', `--user-data-dir=${userData}`, ROOT],
    cwd: ROOT,
    env: { ...process.env, XDG_CONFIG_HOME: userData } as Record<string, string>,
  });
  for (const page of app.windows()) guard.watchPage(page);
  app.on('window', (page) => guard.watchPage(page));
});

test.afterAll(async () => {
  await app?.close();
  if (userData !== '') await rm(userData, { recursive: true, force: true });
});

async function replicaWindow(page: Page): Promise<Workbench> {
  const id = page.getByTestId('replica-id');
  await expect(id).toHaveText(/^\S+$/, { timeout: 30_000 });
  const window = new Workbench(page, (await id.textContent()) ?? '');
  await window.waitUntilLoaded();
  return window;
}

test('a window opens with its replica; File > New Replica Window opens a second one that syncs', async () => {
  if (app === undefined) throw new Error('the app did not start');
  const first = await replicaWindow(await app.firstWindow());
  await first.expectOnline();
  await first.typeAtEnd('from the first window');
  await expect(first.editor).toHaveText('from the first window');

  const opened = app.waitForEvent('window');
  await app.evaluate(({ Menu }) => {
    const file = Menu.getApplicationMenu()?.items.find((item) => item.label === 'File');
    const item = file?.submenu?.items.find((entry) => entry.label === 'New Replica Window');
    if (item === undefined) throw new Error('File > New Replica Window is not in the menu');
    item.click();
  });
  const second = await replicaWindow(await opened);
  expect(second.replicaId).not.toBe(first.replicaId);
  await second.expectSyncingWith([first.replicaId]);
  await expect(second.editor).toHaveText('from the first window');

  await second.addToCart('apple', 2);
  await expect(first.cartQuantity('apple')).toHaveText('2');
  await expectAllConverged(first, second);
  expect(guard.problems, 'console errors in the app windows').toEqual([]);
});
