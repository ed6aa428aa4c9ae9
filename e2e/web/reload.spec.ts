/** A window keeps its replica (id and data, from IndexedDB) across a reload. */
import { expect, test } from '../support/fixtures.ts';
import { expectAllConverged } from '../support/workbench.ts';

test('a reloaded page still has its replica data, even with the relay down', async ({ windows, webApp }) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.typeAtEnd('Persist me');
  await alice.addToCart('coffee', 2);
  await alice.page.getByTestId('likes-inc').click();
  await bob.addToCart('bread', 1);
  await expectAllConverged(alice, bob);
  await expect(alice.cartQuantity('bread')).toHaveText('1');

  // Nobody else can hand the data back: bob's window closes and the relay stops.
  await bob.page.close();
  await webApp.stopRelay();
  await alice.page.reload();
  await alice.waitUntilLoaded();
  await expect(alice.connection).toHaveText(/^(connecting…|disconnected)$/);
  await expect(alice.editor).toHaveText('Persist me');
  await expect(alice.cartQuantity('coffee')).toHaveText('2');
  await expect(alice.cartQuantity('bread')).toHaveText('1');
  await expect(alice.page.getByTestId('counter-likes')).toHaveText('1');

  // Bob's replica, reopened in a new window, has its data too.
  const bobAgain = await windows.open('bob');
  await expect(bobAgain.editor).toHaveText('Persist me');
  await expect(bobAgain.cartQuantity('coffee')).toHaveText('2');

  // And once the relay is back, they sync on from there.
  await webApp.startRelay();
  await alice.expectSyncingWith(['bob']);
  await bobAgain.expectSyncingWith(['alice']);
  await bobAgain.typeAtEnd('!');
  await expect(alice.editor).toHaveText('Persist me!');
  await expectAllConverged(alice, bobAgain);
});

test('a page opened without ?replica= keeps its generated replica across a reload', async ({ windows }) => {
  const fresh = await windows.openNew();
  expect(fresh.replicaId).toMatch(/^r-[0-9a-z]{7}$/);
  expect(new URL(fresh.page.url()).searchParams.get('replica')).toBe(fresh.replicaId);
  await fresh.typeAtEnd('mine');
  await fresh.addToCart('milk', 3);
  await fresh.page.reload();
  await fresh.waitUntilLoaded();
  await expect(fresh.editor).toHaveText('mine');
  await expect(fresh.cartQuantity('milk')).toHaveText('3');
});
