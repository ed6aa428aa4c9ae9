/** Bad input is refused with a message next to its field, never quietly changed (issue 17, item 6). */
import { expect, test } from '../support/fixtures.ts';

test('the Add form refuses 0, −5, 1e9 and 2.5 as quantities, saying why next to the field', async ({
  windows,
}) => {
  const alice = await windows.open('alice');
  const qty = alice.page.getByTestId('cart-qty-input');
  for (const [typed, message] of [
    ['0', 'A quantity is at least 1; 0 is not.'],
    ['-5', 'A quantity is at least 1; −5 is not.'],
    ['1e9', 'A quantity is at most 999; 1,000,000,000 is more.'],
    ['2.5', 'A quantity is a whole number; 2.5 is not.'],
  ] as const) {
    await alice.page.getByTestId('cart-product').fill('pears');
    await qty.fill(typed);
    await alice.page.getByTestId('cart-add').click();
    const error = alice.page.getByTestId('cart-qty-error');
    await expect(error, typed).toHaveText(message);
    await expect(qty).toHaveAttribute('aria-invalid', 'true');
    await expect(qty).toHaveAttribute('aria-describedby', (await error.getAttribute('id')) ?? '');
    // Nothing was added, and what the user typed is still there to fix.
    await expect(alice.page.getByTestId('cart-line-pears')).toHaveCount(0);
    await expect(qty).toHaveValue(typed);
  }
  await qty.fill('3');
  await expect(alice.page.getByTestId('cart-qty-error')).toHaveCount(0);
  await alice.page.getByTestId('cart-add').click();
  await expect(alice.cartQuantity('pears')).toHaveText('3');
});

test('an empty note is refused instead of blanking the note', async ({ windows }) => {
  const alice = await windows.open('alice');
  await alice.setNote('ship Monday');
  await expect(alice.page.getByTestId('note-value')).toHaveText('ship Monday');
  for (const typed of ['', '   ']) {
    await alice.setNote(typed);
    await expect(alice.page.getByTestId('note-error')).toContainText('Write something first');
    await expect(alice.page.getByTestId('note-value')).toHaveText('ship Monday');
  }
});
