/**
 * `npm run web` stopped and started again on the same port: the open tabs come back by themselves (the
 * relay lives on the page's own origin, and the launch key and relay admin token are kept in the data
 * folder), with no reload, and sync what they did while it was down.
 */
import { expect, test } from '../support/fixtures.ts';
import { CRDT_ENGINES, expectAllConverged } from '../support/workbench.ts';

test('restarting web mode on the same port reconnects the open tabs without a reload', async ({
  windows,
  webApp,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.typeAtEnd('before ');
  await expect(bob.editor).toHaveText('before ');
  // A mark only this page load has: a reload would lose it.
  for (const window of [alice, bob]) {
    await window.page.evaluate(() => {
      (window as { loadMark?: string }).loadMark = 'same page';
    });
  }

  await webApp.restart(async () => {
    for (const window of [alice, bob]) {
      await expect(window.connection).toHaveText(/^(connecting…|disconnected)$/);
    }
    // Both keep working locally while web mode is down.
    await alice.typeAtEnd('alpha');
    await bob.addToCart('tea', 1);
  });

  await alice.expectSyncingWith(['bob']);
  await bob.expectSyncingWith(['alice']);
  await expectAllConverged(alice, bob);
  for (const window of [alice, bob]) {
    await expect(window.editor).toHaveText('before alpha');
    await expect(window.cartQuantity('tea')).toHaveText('1');
    expect(await window.page.evaluate(() => (window as { loadMark?: string }).loadMark)).toBe('same page');
  }
  const texts = await alice.engineTexts();
  for (const engine of CRDT_ENGINES) expect(texts[engine], engine).toBe('before alpha');
});
