/**
 * Collaboration as users of Yjs and Automerge expect it (issue 21): who is here and where they type,
 * undo that knows about the shared state, a history to look back at, and room links.
 */
import { expect, test } from '../support/fixtures.ts';
import {
  CRDT_ENGINES,
  ENGINES,
  expectAllConverged,
  SYNC_TIMEOUT_MS,
  Workbench,
} from '../support/workbench.ts';

test('two windows see each other’s name and caret; a cut-off window is listed as such', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.setDisplayName('Alice');
  await bob.setDisplayName('Bob');
  await alice.typeAtEnd('Hello shared world');
  await expect(bob.editor).toHaveText('Hello shared world', { timeout: SYNC_TIMEOUT_MS });
  // Alice puts her caret after "Hello", Bob his at the start.
  await alice.editor.press('Control+Home');
  for (let i = 0; i < 5; i++) await alice.editor.press('ArrowRight');
  await bob.editor.click();
  await bob.editor.press('Control+Home');

  await expect(bob.presenceOf('alice')).toHaveText('Alice', { timeout: SYNC_TIMEOUT_MS });
  await expect(alice.presenceOf('bob')).toHaveText('Bob', { timeout: SYNC_TIMEOUT_MS });
  await expect(bob.remoteCaret('alice')).toHaveAttribute('data-head', '5', { timeout: SYNC_TIMEOUT_MS });
  await expect(bob.remoteCaret('alice')).toContainText('Alice');
  await expect(alice.remoteCaret('bob')).toHaveAttribute('data-head', '0', { timeout: SYNC_TIMEOUT_MS });
  await expect(alice.remoteCaret('bob')).toContainText('Bob');
  // Bob goes offline: Alice lists him as offline, and his caret goes.
  await bob.goOffline();
  await expect(alice.presenceOf('bob')).toHaveAttribute('data-status', 'offline', {
    timeout: SYNC_TIMEOUT_MS,
  });
  await expect(alice.remoteCaret('bob')).toHaveCount(0);
});

test('undo reverts this window’s edit in every engine, the other’s concurrent edit stays; redo', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.typeAtEnd('Hello');
  await expectAllConverged(alice, bob);
  await alice.goOffline();
  await bob.goOffline();
  await alice.typeAtEnd(' world');
  await bob.typeAt(0, 'Hi ');
  await alice.goOnline();
  await bob.goOnline();
  await expectAllConverged(alice, bob);
  await expect(alice.editor).toHaveText('Hi Hello world');

  await alice.editor.click();
  await alice.undo();
  await expect(alice.editor).toHaveText('Hi Hello');
  await expectAllConverged(alice, bob);
  for (const window of [alice, bob]) {
    await window.openTab('compare');
    const texts = await window.engineTexts();
    for (const engine of ENGINES)
      expect(texts[engine], `${window.replicaId} ${engine}`).not.toContain('world');
    for (const engine of CRDT_ENGINES)
      expect(texts[engine], `${window.replicaId} ${engine}`).toBe('Hi Hello');
  }
  // The Compare panel says what the undo did in each engine.
  await expect(alice.page.getByTestId('undo-effect-text')).toBeVisible();

  await alice.redo();
  await expect(alice.editor).toHaveText('Hi Hello world');
  await expectAllConverged(alice, bob);
  for (const engine of CRDT_ENGINES) expect(await bob.engineText(engine), engine).toBe('Hi Hello world');
  await expect(bob.editor).toHaveText('Hi Hello world');
});

test('the history scrubber shows an earlier text in every engine, and restores it as a new edit', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.typeAtEnd('first');
  await expectAllConverged(alice, bob);
  // Bob's history takes an entry at most once a second while changes keep coming: wait for one that
  // closed with "first" everywhere, else " second" could land in the same burst.
  await bob.openTab('history');
  await expect(bob.page.getByTestId('history-position')).toContainText('(newest)');
  for (const engine of ENGINES)
    await expect(bob.page.getByTestId(`history-text-${engine}`), engine).toHaveText('first', {
      timeout: SYNC_TIMEOUT_MS,
    });
  await alice.typeAtEnd(' second');
  await expect(bob.editor).toHaveText('first second', { timeout: SYNC_TIMEOUT_MS });
  // And for an entry with " second" everywhere: until it closes, the newest is still the "first" one, and
  // stepping back from there would pass it.
  for (const engine of ENGINES)
    await expect(bob.page.getByTestId(`history-text-${engine}`), engine).toHaveText('first second', {
      timeout: SYNC_TIMEOUT_MS,
    });

  // Back one entry at a time until one shows "first" in every engine (each entry is a burst of changes
  // bob saw; the engines sync separately, so on the way some show more of the text than others). Each
  // entry's states come from the replica worker after the slider moves: read them once they are there,
  // never on a timer, or a slow answer would step past the entry sought.
  const slider = bob.page.getByTestId('history-slider');
  const position = bob.page.getByTestId('history-position');
  await slider.focus();
  const statesShown = async (): Promise<string[]> => {
    const texts = await Promise.all(
      ENGINES.map(
        async (engine) => (await bob.page.getByTestId(`history-text-${engine}`).textContent()) ?? '',
      ),
    );
    expect(texts, "the entry's states arrived").not.toContain('—');
    return texts;
  };
  const seen: string[] = [];
  for (;;) {
    const before = (await position.textContent()) ?? '';
    expect(before.startsWith('1 /'), `an entry with "first" everywhere, among ${seen.join(' | ')}`).toBe(
      false,
    );
    await slider.press('ArrowLeft');
    await expect(position).not.toHaveText(before);
    let texts: string[] = [];
    await expect(async () => {
      texts = await statesShown();
    }).toPass({ timeout: SYNC_TIMEOUT_MS });
    seen.push(`${await position.textContent()}: ${texts.join(', ')}`);
    if (texts.every((text) => text === 'first')) break;
  }
  // Received from alice, or from the room's storage peer when it relayed alice's edit first.
  await expect(bob.page.getByTestId('history-entry')).toContainText(/received from (alice|storage)/);
  await bob.page.getByTestId('history-restore').click();
  await expect(bob.editor).toHaveText('first', { timeout: SYNC_TIMEOUT_MS });
  await expect(alice.editor).toHaveText('first', { timeout: SYNC_TIMEOUT_MS });
  // Restoring was a new edit: the newest entry is bob's, and history still has "first second".
  await slider.press('End');
  await expect(bob.page.getByTestId('history-entry')).toContainText('by you', { timeout: SYNC_TIMEOUT_MS });
});

test('a room link opens the same room in a new window; reset makes a new room and keeps the old one', async ({
  windows,
  webApp,
  context,
  browser,
}) => {
  // Three pages in two browser contexts, two of them loading a room from scratch: more than one window's work.
  test.slow();
  const [alice] = await windows.openAll('alice');
  await alice.typeAtEnd('in the room');
  const link = await alice.page.getByTestId('room-link').inputValue();
  expect(link).toContain(`room=${webApp.room}`);
  expect(link).toContain('#key=');

  // Reset: alice moves to a new empty room; the old room keeps its text.
  await alice.page.getByTestId('reset-room').click();
  await expect(alice.page.getByTestId('room')).not.toHaveText(webApp.room);
  await expect(alice.page.getByTestId('room')).toHaveText(/^room-/);
  await expect(alice.editor).toHaveText('');

  // The link opens the old room in a new window, with a replica of its own and the room's text.
  const page = await context.newPage();
  await page.goto(link);
  await expect(page.getByTestId('room')).toHaveText(webApp.room);
  const replicaId = (await page.getByTestId('replica-id').textContent()) ?? '';
  expect(replicaId).not.toBe('alice');
  const carol = new Workbench(page, replicaId);
  await carol.waitUntilLoaded();
  await expect(carol.editor).toHaveText('in the room', { timeout: SYNC_TIMEOUT_MS });

  // A browser that never had the key, given the link without it, asks for it; the full link answers.
  const stranger = await browser.newContext();
  try {
    const page2 = await stranger.newPage();
    await page2.goto(link.slice(0, link.indexOf('#')));
    await expect(page2.getByTestId('key-prompt')).toBeVisible();
    await page2.getByTestId('key-input').fill('no key here');
    await page2.getByTestId('key-submit').click();
    await expect(page2.getByTestId('key-prompt')).toContainText('That holds no key');
    await page2.getByTestId('key-input').fill(link);
    await page2.getByTestId('key-submit').click();
    await expect(page2.getByTestId('key-prompt')).toHaveCount(0);
    await expect(page2.getByTestId('text-editor')).toHaveText('in the room', { timeout: SYNC_TIMEOUT_MS });
  } finally {
    await stranger.close();
  }
});
