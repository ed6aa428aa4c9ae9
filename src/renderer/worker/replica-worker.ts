/**
 * The replica worker's entry. It starts reading the store the page guessed (early-read.ts) and only then
 * loads the rest of the worker (replica-worker-main.ts: the page protocol, whose schemas take tens of ms
 * to evaluate under load, and the host's import), so a reopened window's IndexedDB read runs while that
 * code loads and while the page still evaluates its own, instead of after the page's 'init'. It says
 * 'listening' at once and holds the page's messages ('init') until the main part has loaded and takes them
 * (early-listen.ts).
 */
import { earlyRead } from './early-read.ts';

import('./replica-worker-main.ts').catch((error: unknown) => {
  // The page's client waits for 'listening' or 'failed' (an error thrown here would only be logged).
  (globalThis as unknown as { postMessage(message: unknown): void }).postMessage({
    type: 'failed',
    message: `the replica worker's code could not load: ${String(error)}`,
  });
});
// A reopen needs the host (the primary engine's code) as soon as 'init' is in, which the page sends
// while the main part still loads: its import starts now, beside the main part's (which takes this one).
if (earlyRead !== undefined) import('./replica-host.ts').catch(() => {});
