/**
 * The cart's "−" is one less in every engine, as "+" is one more (issue 17, item 7): pressed at the same
 * time in two windows, the steps add up where the engine has counters. Setting a quantity is its own
 * action, and the Compare tab says how each engine merges the two.
 */
import { expect, test } from '../support/fixtures.ts';
import { expectAllConverged } from '../support/workbench.ts';

test('concurrent "−" and "+" presses: every step counts in converge and Automerge', async ({ windows }) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.addToCart('apple', 6);
  await expect(bob.cartQuantity('apple')).toHaveText('6');
  await expectAllConverged(alice, bob);

  await alice.goOffline();
  await bob.goOffline();
  const more = alice.page.getByRole('button', { name: 'One apple more' });
  await more.click();
  await more.click();
  await expect(alice.cartQuantity('apple')).toHaveText('8');
  await bob.page.getByRole('button', { name: 'One apple less' }).click();
  await expect(bob.cartQuantity('apple')).toHaveText('5');
  await alice.goOnline();
  await bob.goOnline();
  await expectAllConverged(alice, bob);

  // 6 + 2 − 1: the counters keep every press (before, "−" set 5 and Automerge dropped the presses).
  await expect(alice.cartQuantity('apple')).toHaveText('7');
  await alice.openTab('compare');
  await expect(alice.compareCart('converge')).toHaveText('apple ×7');
  await expect(alice.compareCart('automerge')).toHaveText('apple ×7');
  // Yjs and last-writer-wins have no counter: each press wrote the number its window saw; one wins.
  for (const engine of ['yjs', 'lww'] as const) {
    await expect(alice.compareCart(engine)).toHaveText(/^apple ×(5|8)$/);
  }
  const rules = alice.page.getByTestId('cart-merge-rules');
  await expect(rules.getByTestId('cart-rule-automerge')).toContainText('concurrent presses all count');
  await expect(rules.getByTestId('cart-rule-automerge')).toContainText('replaces the Counter');
  await expect(rules.getByTestId('cart-rule-yjs')).toContainText('one wins');
});

test('"−" stops at one, and Set… puts an absolute quantity, checked like the Add form', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.addToCart('milk', 2);
  const less = alice.page.getByRole('button', { name: 'One milk less' });
  await less.click();
  await expect(alice.cartQuantity('milk')).toHaveText('1');
  await expect(less).toBeDisabled();

  await alice.page.getByRole('button', { name: 'Set the milk quantity' }).click();
  const input = alice.page.getByTestId('cart-set-input');
  await expect(input).toHaveValue('1');
  for (const [typed, message] of [
    ['0', '0 would take milk out of the cart: use Remove.'],
    ['2.5', 'A quantity is a whole number; 2.5 is not.'],
    ['1e9', 'A quantity is at most 999; 1,000,000,000 is more.'],
  ] as const) {
    await input.fill(typed);
    await alice.page.getByTestId('cart-set-apply').click();
    await expect(alice.page.getByTestId('cart-set-error')).toHaveText(message);
    await expect(input).toHaveAttribute('aria-invalid', 'true');
    await expect(alice.cartQuantity('milk')).toHaveText('1');
  }
  await input.fill('12');
  await alice.page.getByTestId('cart-set-apply').click();
  await expect(alice.cartQuantity('milk')).toHaveText('12');
  await expect(bob.cartQuantity('milk')).toHaveText('12');
  await expect(alice.page.getByTestId('cart-set-input')).toHaveCount(0);
});
