/**
 * Runs once before the e2e tests. It builds nothing (`npm run test:e2e` runs `build:web` first); it
 * only fails early, with the fix in the message, when the web build is missing, and says when the
 * Electron-mode tests will be skipped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { electronBinary } from '../../src/main/electron-binary.ts';
import { DEFAULT_WEB_ROOT } from '../../src/main/web-mode.ts';

export default function globalSetup(): void {
  const index = join(DEFAULT_WEB_ROOT, 'index.html');
  if (!existsSync(index)) {
    throw new Error(`${index} is missing: build the renderer first (npm run build:web, or npm run test:e2e)`);
  }
  // The list reporter does not print skip reasons; say it once, up front, so nobody mistakes a skip for a pass.
  if (electronBinary() === undefined) {
    console.log(
      'Electron binary not installed (cannot be downloaded here): Electron-mode e2e will be skipped.',
    );
  }
}
