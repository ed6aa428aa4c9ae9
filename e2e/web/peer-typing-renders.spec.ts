/** A window whose peer types renders what changed (texts, counters, badges), not every panel again. */
import { expect, test } from '../support/fixtures.ts';

test('panels whose data did not change are not rendered again while a peer types', async ({ windows }) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.addToCart('apple', 2);
  await alice.setNote('shared note');
  await expect(bob.page.getByTestId('cart-line-apple')).toBeVisible();
  await expect(bob.page.getByTestId('note-value')).toHaveText('shared note');
  // React sets an input's attributes anew whenever it renders it: attribute changes on these inputs count
  // their renders. (A string: e2e is type-checked without DOM types.)
  await bob.page.evaluate(`(() => {
    window.__inputWrites = {};
    const ids = ['display-name', 'display-colour', 'room-link', 'cart-qty-input', 'note-input'];
    const observer = new MutationObserver((records) => {
      for (const record of records) {
        const id = record.target.getAttribute('data-testid');
        window.__inputWrites[id] = (window.__inputWrites[id] || 0) + 1;
      }
    });
    for (const id of ids)
      for (const input of document.querySelectorAll('[data-testid="' + id + '"]'))
        observer.observe(input, { attributes: true });
    window.__inputsWatched = ids.filter((id) => document.querySelector('[data-testid="' + id + '"]')).length;
  })()`);
  expect(await bob.page.evaluate('window.__inputsWatched')).toBe(5);
  const before = await bob.page.getByTestId('traffic-yjs').textContent();
  await alice.typeAtEnd('a peer typing while bob watches');
  await expect(bob.editor).toHaveText('a peer typing while bob watches');
  // What did change was rendered (the traffic counters), the inputs were not.
  await expect(bob.page.getByTestId('traffic-yjs')).not.toHaveText(before ?? '');
  expect(await bob.page.evaluate('window.__inputWrites')).toEqual({});
});
