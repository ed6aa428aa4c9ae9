/**
 * Reproducible screenshots of the app in web mode, for docs/screenshots:
 *   1. two windows (alice, bob) after offline edits, before they sync;
 *   2. the same two windows after going back online and merging;
 *   3. the compare panel (four engines side by side, differences from the edited engine, how each
 *      merges cart steps and set quantities);
 *   4. the Lost writes tab with the last-writer-wins engine edited (wall time and skewed clock apart,
 *      lost text struck through);
 *   5. the network panel with a cut link;
 *   6. presence: who is here, and the other window's caret and selection with its name;
 *   7. the Compare panel after an undo the engines carry out differently;
 *   8. the History tab, scrubbed back to an earlier state.
 * Also fails (exit code 1) if any page logs a console error or throws.
 *
 *   npx tsx e2e/screenshots.ts [--no-build] [--out docs/screenshots]
 *
 * Needs Chromium: CHROMIUM_PATH, else /usr/bin/chromium (Debian's package; never `npx playwright install`).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { startWebMode } from '../src/main/web-mode.ts';
import { CHROMIUM_ARGS, chromiumExecutable } from './support/chromium.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ENGINES = ['converge', 'yjs', 'automerge', 'lww'] as const;
const VIEWPORT = { width: 1360, height: 940 };

interface Options {
  readonly build: boolean;
  readonly out: string;
}

function parseArgs(argv: readonly string[]): Options {
  let build = true;
  let out = join(ROOT, 'docs/screenshots');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--no-build') build = false;
    else if (arg === '--out' && argv[i + 1] !== undefined) out = resolve(argv[++i] as string);
    else throw new Error(`unknown argument ${arg} (use --no-build, --out <dir>)`);
  }
  return { build, out };
}

async function buildRenderer(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'vite.web.config.ts'), logLevel: 'warn' });
}

/** Console errors and uncaught exceptions of every page, to fail the run on. */
const problems: string[] = [];

async function openReplica(context: BrowserContext, base: string, id: string): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${id}: console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${id}: uncaught: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${id}: HTTP ${response.status()} for ${response.url()}`);
  });
  // `base` carries web mode's launch key after #key=; the replica id goes before it.
  const url = new URL(base);
  url.searchParams.set('replica', id);
  await page.goto(url.href);
  await page.getByTestId('text-editor').waitFor();
  await expectText(page, 'connection-state', /online/);
  return page;
}

async function expectText(page: Page, testId: string, pattern: RegExp, timeout = 15_000): Promise<void> {
  await page.getByTestId(testId).filter({ hasText: pattern }).waitFor({ timeout });
}

async function waitConverged(page: Page): Promise<void> {
  for (const engine of ENGINES) {
    await page.waitForSelector(`[data-testid="converged-${engine}"][data-state="converged"]`, {
      timeout: 20_000,
    });
  }
}

async function typeText(page: Page, text: string): Promise<void> {
  await page.getByTestId('text-editor').click();
  await page.keyboard.press('End');
  await page.keyboard.type(text, { delay: 15 });
}

async function addToCart(page: Page, product: string, qty: number): Promise<void> {
  await page.getByTestId('cart-product').fill(product);
  await page.getByTestId('cart-qty-input').fill(String(qty));
  await page.getByTestId('cart-add').click();
  await page.getByTestId(`cart-line-${product}`).waitFor();
}

async function setNote(page: Page, value: string): Promise<void> {
  await page.getByTestId('note-input').fill(value);
  await page.getByTestId('note-set').click();
}

async function shot(page: Page, out: string, name: string): Promise<void> {
  // Let the last animation-frame flush land, and take the caret out of the picture.
  // (A string: this file is type-checked without DOM types.)
  await page.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur()');
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, name) });
  process.stdout.write(`  wrote ${join(out, name)}\n`);
}

/** Alice's caret sits after "Hello"; Bob types at the start; Alice's caret must still follow "Hello". */
async function checkCaretStaysPut(alice: Page, bob: Page): Promise<void> {
  const aliceText = alice.getByTestId('text-editor');
  await aliceText.click();
  await alice.keyboard.press('Control+Home');
  for (let i = 0; i < 5; i++) await alice.keyboard.press('ArrowRight');
  await bob.getByTestId('text-editor').click();
  await bob.keyboard.press('Control+Home');
  await bob.keyboard.type('>> ', { delay: 15 });
  await aliceText.filter({ hasText: /^>> / }).waitFor({ timeout: 15_000 });
  // Where alice types now shows where her caret is.
  await alice.keyboard.type('|');
  const text = (await aliceText.textContent()) ?? '';
  if (!text.startsWith('>> Hello|')) {
    throw new Error(`caret moved: expected alice's "|" after ">> Hello", found ${JSON.stringify(text)}`);
  }
  process.stdout.write('  caret stayed after "Hello" while bob typed before it\n');
  // Take the extra text out again so the screenshots show the merge itself.
  await alice.keyboard.press('Backspace');
  for (let i = 0; i < 3; i++) await bob.keyboard.press('Backspace');
  await aliceText.filter({ hasText: /^Hello/ }).waitFor({ timeout: 15_000 });
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.build) {
    process.stdout.write('building the web renderer…\n');
    await buildRenderer();
  }
  await mkdir(options.out, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'converge-shots-'));
  const web = await startWebMode({ port: 0, dataDir, room: 'demo' });
  const executablePath = chromiumExecutable();
  const browser = await chromium.launch({
    ...(executablePath !== undefined ? { executablePath } : {}),
    args: [...CHROMIUM_ARGS],
  });
  try {
    process.stdout.write(`web mode at ${web.url}\n`);
    // Two tabs of one browser, as in web mode: each its own replica (own IndexedDB database).
    const context = await browser.newContext({ viewport: VIEWPORT });
    const alice = await openReplica(context, web.url, 'alice');
    const bob = await openReplica(context, web.url, 'bob');
    await waitConverged(alice);
    // Bob's clock runs 5 s ahead (the header's clock control): the ledger tells wall time from it.
    await bob.getByTestId('skew-select').selectOption('5000');
    await expectText(bob, 'skew-badge', /\+5 s/);

    // 1. Both offline, both edit the same things.
    for (const page of [alice, bob]) {
      await page.getByTestId('offline-toggle').click();
      await expectText(page, 'connection-state', /offline/);
    }
    await typeText(alice, 'Hello World');
    await addToCart(alice, 'apple', 2);
    await setNote(alice, 'Leave at the door');
    await alice.getByTestId('likes-inc').click();
    await bob.waitForTimeout(50); // bob's writes carry later clocks, so bob wins under last-writer-wins
    await typeText(bob, 'Goodbye');
    await addToCart(bob, 'apple', 1);
    await addToCart(bob, 'bread', 1);
    await setNote(bob, 'Ring twice');
    await bob.getByTestId('stock-dec').click();
    await shot(alice, options.out, '01-offline-alice.png');
    await shot(bob, options.out, '01-offline-bob.png');

    // 2. Back online: every engine merges.
    for (const page of [alice, bob]) await page.getByTestId('offline-toggle').click();
    await waitConverged(alice);
    await waitConverged(bob);
    await shot(alice, options.out, '02-merged-alice.png');
    await shot(bob, options.out, '02-merged-bob.png');

    // Along the way: the caret stays put when a remote edit arrives, and Alt+O toggles Offline.
    await checkCaretStaysPut(alice, bob);
    await alice.keyboard.press('Alt+KeyO');
    await expectText(alice, 'connection-state', /offline/);
    await alice.keyboard.press('Alt+KeyO');
    await expectText(alice, 'connection-state', /online/);
    await waitConverged(alice);

    // 3. The compare panel, against the converge text.
    await alice.getByTestId('tab-compare').click();
    for (const engine of ENGINES) {
      await alice.getByTestId(`version-${engine}`).locator('summary').click();
    }
    await alice.getByTestId('panel-compare').screenshot({ path: join(options.out, '03-compare.png') });
    process.stdout.write(`  wrote ${join(options.out, '03-compare.png')}\n`);

    // 4. The last-writer-wins engine and its Lost writes tab.
    await alice.getByTestId('engine-select').selectOption('lww');
    await alice.getByTestId('tab-ledger').click();
    await alice.getByTestId('ledger-entry').first().waitFor();
    await shot(alice, options.out, '04-lww-ledger.png');

    // 5. Network panel with bob → alice cut.
    await alice.getByTestId('tab-network').click();
    await alice.getByTestId('link-cell-bob-alice').click();
    await expectText(alice, 'connection-state', /cut off from 1 peer/);
    await shot(alice, options.out, '05-network.png');
    await alice.getByTestId('preset-heal').click(); // bob and the room's storage peer
    await expectText(alice, 'connection-state', /^online · 2 peers$/);
    await alice.getByTestId('engine-select').selectOption('converge');

    // 6. Presence: names, and alice's selection of "Hello" drawn in bob's text.
    await alice.getByTestId('display-name').fill('Alice');
    await bob.getByTestId('display-name').fill('Bob');
    const aliceEditor = alice.getByTestId('text-editor');
    await aliceEditor.click();
    await aliceEditor.press('Control+Home');
    for (let i = 0; i < 5; i++) await aliceEditor.press('Shift+ArrowRight');
    await bob.locator('[data-testid="remote-caret-alice"][data-head="5"]').waitFor({ state: 'attached' });
    await expectText(bob, 'presence-alice', /Alice/);
    await bob.waitForTimeout(300);
    await bob.screenshot({ path: join(options.out, '06-presence.png') });
    process.stdout.write(`  wrote ${join(options.out, '06-presence.png')}\n`);

    // 7. Undo a like: Y.UndoManager takes it back, a grow-only counter cannot; the Compare panel says so.
    await alice.getByTestId('likes-inc').click();
    await alice.waitForTimeout(700);
    await alice.keyboard.press('Control+z');
    await alice.getByTestId('tab-compare').click();
    await alice.getByTestId('undo-differs').waitFor();
    await alice.getByTestId('undo-effects').screenshot({ path: join(options.out, '07-undo-compare.png') });
    process.stdout.write(`  wrote ${join(options.out, '07-undo-compare.png')}\n`);

    // 8. The history scrubber, a few steps back.
    await alice.getByTestId('tab-history').click();
    const slider = alice.getByTestId('history-slider');
    await slider.focus();
    for (let i = 0; i < 6; i++) await slider.press('ArrowLeft');
    await shot(alice, options.out, '08-history.png');
  } finally {
    await browser.close();
    await web.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    process.stderr.write(`console problems:\n  ${problems.join('\n  ')}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write('no console errors\n');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `screenshots failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
