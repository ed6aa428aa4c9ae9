/**
 * Offline mode and clock skew are replica settings, stored with its data: a tab reloaded while offline
 * comes back offline and pushes none of its edits until the user switches it back; its skew stays.
 */
import { expect, test } from '../support/fixtures.ts';
import { expectAllConverged } from '../support/workbench.ts';

test('a reloaded offline tab stays offline, keeps its clock skew and pushes nothing until online', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.setSkewSeconds(5);
  await alice.goOffline();
  await alice.typeAtEnd('kept local');
  await alice.addToCart('secret', 1);

  await alice.page.reload();
  await alice.waitUntilLoaded();
  await expect(alice.page.getByTestId('offline-toggle')).toHaveAttribute('aria-pressed', 'true');
  await expect(alice.connection).toHaveText('offline');
  await expect(alice.page.getByTestId('skew-badge')).toHaveText('skewed +5 s');
  await expect(alice.page.getByTestId('skew-select')).toHaveValue('5000');
  await expect(alice.editor).toHaveText('kept local');

  // Give a wrongly online tab every chance to sync: bob must still have none of it.
  await bob.page.waitForTimeout(2500);
  await expect(bob.editor).toHaveText('');
  await expect(bob.page.getByTestId('cart-line-secret')).toHaveCount(0);

  await alice.goOnline();
  await expect(bob.editor).toHaveText('kept local');
  await expect(bob.cartQuantity('secret')).toHaveText('1');
  await expectAllConverged(alice, bob);

  // Back online is stored too.
  await alice.page.reload();
  await alice.waitUntilLoaded();
  await alice.expectOnline();
  await expect(alice.page.getByTestId('offline-toggle')).toHaveAttribute('aria-pressed', 'false');
});
