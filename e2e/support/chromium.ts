/**
 * Which Chromium the web-mode tests drive: CHROMIUM_PATH, else Debian's /usr/bin/chromium, else
 * Playwright's own browser where one happens to be installed (never downloaded by these tests).
 */
import { existsSync } from 'node:fs';

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** Flags for a quiet, sandbox-less (containers run as root) headless Chromium. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The executable to launch, or undefined for Playwright's own browser. */
export function chromiumExecutable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env.CHROMIUM_PATH;
  if (configured !== undefined && configured !== '') {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH=${configured} does not exist`);
    return configured;
  }
  return existsSync(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : undefined;
}
