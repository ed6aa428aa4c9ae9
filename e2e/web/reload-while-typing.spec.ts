/**
 * Reloading right after typing: an edit is one store record for every engine, so whatever the reload
 * cut short, every engine comes back with the same edits; and what the page had queued when it went
 * away was written on pagehide, so the typed text survives.
 */
import { expect, test } from '../support/fixtures.ts';
import { ENGINES } from '../support/workbench.ts';

test('a page reloaded right after typing comes back with every keystroke in every engine', async ({
  windows,
}) => {
  const [alice] = await windows.openAll('alice');
  for (let round = 0; round < 3; round++) {
    const typed = `round${round}-abcdefghij`;
    await alice.typeAtEnd(typed);
    await alice.page.reload();
    await alice.waitUntilLoaded();
    await alice.openTab('compare');
    const texts = await alice.engineTexts();
    for (const engine of ENGINES)
      expect(texts[engine], `${engine} after reload ${round}`).toBe(texts.converge);
    await expect(alice.editor).toHaveText(new RegExp(`${typed}$`));
  }
});
