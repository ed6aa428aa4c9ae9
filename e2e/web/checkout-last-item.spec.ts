/**
 * The last-item race across two windows (issue 20). Alice and bob cannot see each other's carts (their
 * links, and alice's to the storage peer, are cut) but both reach the room's authority. Each puts the
 * last kiwi in the cart — eventual, so both carts keep it — and both check out at once: the authority
 * sells it once. One order is confirmed, the other refused with a clear reason and nothing charged.
 * Healed, the merged cart holds two kiwis: the oversell the CRDT alone would have allowed.
 */
import { expect, test } from '../support/fixtures.ts';
import type { Workbench } from '../support/workbench.ts';

const orders = (window: Workbench) => window.page.getByTestId('checkout-orders').locator(':scope > li');
const withStatus = (window: Workbench, status: string) =>
  window.page.getByTestId('checkout-orders').locator(`:scope > li[data-status="${status}"]`);

test('two windows buy the last item: one confirmed, the other refused', async ({ windows }) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await bob.openTab('checkout');
  await alice.openTab('checkout');

  // Stock at the authority: one kiwi (the operator control, through the admin API).
  await alice.page.getByTestId('stock-product').fill('kiwi');
  await alice.page.getByTestId('stock-quantity').fill('1');
  await alice.page.getByTestId('set-stock').click();
  await expect(bob.page.getByTestId('stock-kiwi')).toContainText('1 available');

  // Cut alice off from bob and from the storage peer (it would carry the carts across).
  await alice.openTab('network');
  const matrix = alice.page.getByTestId('link-matrix');
  for (const cell of ['alice-bob', 'bob-alice', 'alice-storage', 'storage-alice']) {
    await matrix.getByTestId(`link-cell-${cell}`).click();
    await expect(matrix.getByTestId(`link-cell-${cell}`)).toHaveText(/^cut/);
  }

  // Offline, bob's cart stays editable and checkout says why it cannot run.
  await bob.goOffline();
  await expect(bob.page.getByTestId('checkout-unavailable')).toContainText('checkout needs the authority');
  await expect(bob.page.getByTestId('checkout-button')).toBeDisabled();
  await bob.addToCart('kiwi', 1);
  await bob.goOnline();
  await alice.addToCart('kiwi', 1);
  await expect(alice.cartQuantity('kiwi')).toHaveText('1');
  await expect(bob.cartQuantity('kiwi')).toHaveText('1');

  await alice.openTab('checkout');
  await expect(alice.page.getByTestId('checkout-button')).toBeEnabled();
  await expect(bob.page.getByTestId('checkout-button')).toBeEnabled();
  await Promise.all([
    alice.page.getByTestId('checkout-button').click(),
    bob.page.getByTestId('checkout-button').click(),
  ]);

  for (const window of [alice, bob]) {
    await expect(orders(window)).toHaveCount(2, { timeout: 20_000 });
    await expect(withStatus(window, 'confirmed')).toHaveCount(1, { timeout: 20_000 });
    await expect(withStatus(window, 'refused')).toHaveCount(1);
  }
  await expect(withStatus(alice, 'refused')).toContainText('out of stock');
  await expect(withStatus(alice, 'confirmed')).toContainText('charge: done');
  await expect(withStatus(alice, 'refused')).not.toContainText('charge');
  await expect(alice.page.getByTestId('stock-kiwi')).toContainText('0 available · 0 reserved · 1 sold');

  // Healed, the carts merge: two kiwis, one more than ever existed.
  await alice.openTab('network');
  await alice.page.getByTestId('preset-heal').click();
  await expect(alice.cartQuantity('kiwi')).toHaveText('2');
  await alice.openTab('checkout');
  await expect(alice.page.getByTestId('stock-kiwi')).toContainText('oversell 1');
});
