/** The relay goes away and comes back: windows reconnect by themselves and resync what they did meanwhile. */
import { expect, test } from '../support/fixtures.ts';
import { CRDT_ENGINES, expectAllConverged } from '../support/workbench.ts';

test('after a relay restart the windows reconnect and resync', async ({ windows, webApp }) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.typeAtEnd('before ');
  await expect(bob.editor).toHaveText('before ');

  await webApp.stopRelay();
  for (const window of [alice, bob]) {
    await expect(window.connection).toHaveText(/^(connecting…|disconnected)$/);
  }
  // Both keep working locally while the relay is away.
  await alice.typeAtEnd('alpha');
  await alice.addToCart('tea', 2);
  await bob.page.getByTestId('likes-inc').click();
  await bob.addToCart('tea', 1);
  await expect(bob.editor).toHaveText('before ');

  await webApp.startRelay();
  await alice.expectSyncingWith(['bob']);
  await bob.expectSyncingWith(['alice']);
  await expectAllConverged(alice, bob);
  for (const window of [alice, bob]) {
    await expect(window.editor).toHaveText('before alpha');
    await expect(window.cartQuantity('tea')).toHaveText('3');
    await expect(window.page.getByTestId('counter-likes')).toHaveText('1');
  }
  const texts = await alice.engineTexts();
  for (const engine of CRDT_ENGINES) expect(texts[engine], engine).toBe('before alpha');
  expect(await bob.engineTexts()).toEqual(texts);
});
