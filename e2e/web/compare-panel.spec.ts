/** Concurrent inserts at one position: the compare panel marks where the engines' texts differ. */
import type { Locator } from '@playwright/test';
import { expect, test } from '../support/fixtures.ts';
import { CRDT_ENGINES, expectAllConverged } from '../support/workbench.ts';

const BOTH_ORDERS = /^\[(alphabravo|bravoalpha)\]$/;

test('the compare panel highlights an engine difference after concurrent inserts at one position', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.typeAtEnd('[]');
  await expect(bob.editor).toHaveText('[]');
  await bob.expectConvergedWith([alice]);
  // Bob's clock runs a minute ahead: LWW keeps bob's text, deterministically.
  await bob.setSkewSeconds(60);
  await bob.openTab('compare');

  await alice.goOffline();
  await bob.goOffline();
  await alice.typeAt(1, 'alpha');
  await bob.typeAt(1, 'bravo');
  await expect(alice.editor).toHaveText('[alpha]');
  await expect(bob.editor).toHaveText('[bravo]');
  await alice.goOnline();
  await bob.goOnline();
  await expectAllConverged(alice, bob);

  // The CRDT engines keep both words, each unbroken (their order is each engine's own tie-break).
  const texts = await alice.engineTexts();
  for (const engine of CRDT_ENGINES) expect(texts[engine], `${engine} text`).toMatch(BOTH_ORDERS);
  await expect(alice.editor).toHaveText(String(texts.converge));

  // LWW kept bob's whole text; against the edited converge text, alice's word is struck out.
  expect(texts.lww).toBe('[bravo]');
  const lww = alice.compareText('lww');
  await expect(lww.locator('del')).toHaveText(['alpha']);
  await expect(lww.locator('ins')).toHaveCount(0);
  await expect(lww.locator('del')).toBeVisible();
  await expect(lww.locator('del')).toHaveCSS('text-decoration-line', 'line-through');

  // A CRDT engine that ordered the words the other way is marked word by word, never mid-word.
  for (const engine of CRDT_ENGINES.filter((name) => name !== 'converge')) {
    const marked = alice.compareText(engine).locator('ins, del');
    if (texts[engine] === texts.converge) await expect(marked).toHaveCount(0);
    else await expectWholeWords(marked);
  }
  // Bob's window shows the same engine texts.
  expect(await bob.engineTexts()).toEqual(texts);
});

async function expectWholeWords(marked: Locator): Promise<void> {
  const segments = await marked.allTextContents();
  expect(segments.length).toBeGreaterThan(0);
  for (const segment of segments) expect(['alpha', 'bravo']).toContain(segment);
}
