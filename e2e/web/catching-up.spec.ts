/**
 * A large paste (issue 19): the window's slow engine (Automerge) falls behind and catches up in pieces,
 * its badge saying so meanwhile; the other window shows the paste without waiting for it; undoing the
 * paste takes it out of every engine in both windows.
 */
import { expect, test } from '../support/fixtures.ts';
import { ENGINES, SYNC_TIMEOUT_MS } from '../support/workbench.ts';

/**
 * 100,000 characters of numbered lines, the first one marked: Automerge takes seconds on them (long
 * enough for the page to show its badge while it catches up; it falls behind on edits over ~700).
 */
function largeText(): string {
  const lines = ['START of the pasted document'];
  for (let i = 1; lines.join('\n').length < 100_000; i++)
    lines.push(`${i}: the quick brown fox jumps over the lazy dog, then rests a while`);
  return lines.join('\n').slice(0, 100_000);
}

test('a large paste shows "catching up" for the slow engine, reaches the other window, and undoes whole', async ({
  windows,
}) => {
  test.setTimeout(240_000);
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.editor.click();
  // (A string: e2e is type-checked without DOM types.) The clipboard's paste event, as a user's paste sends it.
  await alice.page.evaluate(`(() => {
    const content = document.getElementById('text-editor').shadowRoot.querySelector('.cm-content');
    const data = new DataTransfer();
    data.setData('text/plain', ${JSON.stringify(largeText())});
    content.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  })()`);
  // Seen while it lasts (a second or so): the badge in its "behind" state, with its words.
  const behind = alice.page.locator('[data-testid="converged-automerge"][data-state="behind"]');
  await expect(behind).toHaveText('… catching up on a large edit', { timeout: SYNC_TIMEOUT_MS });
  await expect(bob.editor).toContainText('START of the pasted document', { timeout: SYNC_TIMEOUT_MS });
  await alice.expectConvergedWith([bob]); // Automerge too, once it caught up
  await expect(alice.convergedBadge('automerge')).toHaveAttribute('data-state', 'converged');

  await alice.editor.click();
  await alice.undo(); // a large deletion in every engine, Automerge's included, before it is acknowledged
  await expect(alice.editor).toHaveText('', { timeout: 3 * SYNC_TIMEOUT_MS });
  await expect(bob.editor).toHaveText('', { timeout: 3 * SYNC_TIMEOUT_MS });
  await alice.expectConvergedWith([bob]);
  await bob.expectConvergedWith([alice]);
  // The undo took the paste out of every engine, Automerge's part included.
  await alice.openTab('compare');
  const texts = await alice.engineTexts();
  for (const engine of ENGINES) expect(texts[engine], engine).toBe('');
});
