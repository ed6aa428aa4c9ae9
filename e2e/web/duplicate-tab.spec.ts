/**
 * The browser's "Duplicate tab" opens the same URL, ?replica= included. Two live writers under one replica
 * id would number their edits alike (the converge and lww engines drop one side's as duplicates) and the
 * relay would take one tab's connection for the other's. The second tab must become a replica of its own,
 * say so, and put its new id in its URL; then both tabs' edits survive in every engine.
 */
import { expect, test } from '../support/fixtures.ts';
import { ENGINES, expectAllConverged, Workbench } from '../support/workbench.ts';

test('a duplicated tab becomes a new replica and every edit of both tabs survives', async ({
  context,
  windows,
}) => {
  // Four pages, ten clicks and a reload, each checked in five engines: about 50 s alone on two cores,
  // past the default minute under load.
  test.slow();
  const [alice, bob] = await windows.openAll('alice', 'bob');
  const likes = alice.page.getByTestId('likes-inc');
  for (let i = 0; i < 10; i++) await likes.click();
  await expect(alice.page.getByTestId('counter-likes')).toHaveText('10');
  await alice.addToCart('milk', 1);

  // Duplicate alice's tab: same URL, same ?replica=.
  const page = await context.newPage();
  await page.goto(alice.page.url());
  await expect(page.getByTestId('text-editor')).toBeVisible();
  const shownId = (await page.getByTestId('replica-id').textContent()) ?? '';
  const duplicate = new Workbench(page, shownId);
  await expect(duplicate.page.getByTestId('counter-likes')).not.toHaveText('0');
  // A new replica's other engines load and sync after its primary shows: last-writer-wins's counter
  // writes the total its own view holds (lossy by design), so the duplicate edits once it is caught up.
  await expectAllConverged(alice, duplicate, bob);

  // Both tabs edit, and neither is offline or replaced.
  await duplicate.page.getByTestId('likes-inc').click();
  await duplicate.addToCart('tea', 2);
  await alice.addToCart('bread', 3);
  await expectAllConverged(alice, duplicate, bob);

  for (const window of [alice, duplicate, bob]) {
    await window.openTab('compare');
    for (const engine of ENGINES) {
      const where = `${engine} in ${window.replicaId}`;
      await expect(window.page.getByTestId(`compare-counters-${engine}`), where).toContainText('likes 11');
      const cart = window.page.getByTestId(`compare-cart-${engine}`);
      await expect(cart, where).toContainText('milk ×1');
      await expect(cart, where).toContainText('tea ×2');
      await expect(cart, where).toContainText('bread ×3');
    }
  }

  // The duplicate is a replica of its own, says why, and keeps its new id across a reload.
  expect(shownId).not.toBe('alice');
  expect(new URL(duplicate.page.url()).searchParams.get('replica')).toBe(shownId);
  await expect(duplicate.page.getByTestId('notices')).toContainText(/alice.*already open/);
  await expect(alice.page.getByTestId('notices')).toHaveCount(0);
  await duplicate.page.reload();
  await duplicate.waitUntilLoaded();
  await expect(duplicate.cartQuantity('tea')).toHaveText('2');
});
