/**
 * End-to-end tests (`npm run test:e2e`, which builds the web renderer first):
 *   e2e/web       web mode in Chromium (CHROMIUM_PATH, else Debian's /usr/bin/chromium, else Playwright's own);
 *                 each test starts its own relay + web server on free ports (e2e/support/fixtures.ts);
 *   e2e/electron  the desktop app through Playwright's Electron support, skipped where the Electron
 *                 binary is not installed.
 * Failures keep a trace and a screenshot in test-results/ and an HTML report in playwright-report/.
 */
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumExecutable } from './e2e/support/chromium.ts';

const executablePath = chromiumExecutable();
const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results',
  globalSetup: './e2e/support/global-setup.ts',
  // Two cores: one worker per core; each test runs its own relay and two or three pages.
  workers: 2,
  forbidOnly: ci,
  retries: ci ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['html', { outputFolder: 'playwright-report', open: 'never' }]],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'web',
      testDir: 'e2e/web',
      use: {
        browserName: 'chromium',
        viewport: { width: 1360, height: 940 },
        launchOptions: {
          args: [...CHROMIUM_ARGS],
          ...(executablePath !== undefined ? { executablePath } : {}),
        },
      },
    },
    { name: 'electron', testDir: 'e2e/electron' },
  ],
});
