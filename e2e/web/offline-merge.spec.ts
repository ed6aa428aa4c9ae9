/** Two windows edit while both are offline; back online, every engine merges both sides. */
import { expect, test } from '../support/fixtures.ts';
import { CRDT_ENGINES, expectAllConverged } from '../support/workbench.ts';

test('both offline, both edit, both online: cart and text merge in every CRDT engine', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');

  await alice.goOffline();
  await bob.goOffline();
  await alice.typeAtEnd('Hello');
  await alice.addToCart('apple', 2);
  await bob.typeAtEnd('World');
  await bob.addToCart('apple', 1);
  await bob.addToCart('bread', 1);

  // Offline for real: neither window has the other's edits.
  await expect(alice.editor).toHaveText('Hello');
  await expect(bob.editor).toHaveText('World');
  await expect(alice.cartQuantity('apple')).toHaveText('2');
  await expect(alice.page.getByTestId('cart-line-bread')).toHaveCount(0);

  await alice.goOnline();
  await bob.goOnline();
  await alice.expectSyncingWith(['bob']);
  await bob.expectSyncingWith(['alice']);
  await expectAllConverged(alice, bob);

  // The edited engine (converge): both words, unmixed; the cart adds concurrent quantities.
  for (const window of [alice, bob]) {
    await expect(window.editor).toHaveText(/^(HelloWorld|WorldHello)$/);
    await expect(window.cartQuantity('apple')).toHaveText('3');
    await expect(window.cartQuantity('bread')).toHaveText('1');
  }
  await expect(bob.editor).toHaveText((await alice.editor.textContent()) as string);

  // Every CRDT engine kept both texts and both products, and the two windows agree engine by engine.
  for (const engine of CRDT_ENGINES) {
    const text = await alice.engineText(engine);
    expect(text, `${engine} text`).toMatch(/^(HelloWorld|WorldHello)$/);
    expect(await bob.engineText(engine), `${engine} text in bob`).toBe(text);
    await expect(alice.compareCart(engine)).toContainText(/apple ×\d/);
    await expect(alice.compareCart(engine)).toContainText('bread ×1');
    await expect(bob.compareCart(engine)).toHaveText((await alice.compareCart(engine).textContent()) ?? '');
  }
  await expect(alice.compareCart('converge')).toHaveText('apple ×3bread ×1');
});
