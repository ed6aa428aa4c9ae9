/** LWW mode keeps one of two concurrent writes, and its ledger shows the one it lost. */
import { expect, test } from '../support/fixtures.ts';
import { expectAllConverged } from '../support/workbench.ts';

test('LWW mode shows the lost concurrent write in the ledger', async ({ windows }) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  // Bob's clock runs a minute ahead, so under last-writer-wins bob wins whatever the real timing.
  await bob.setSkewSeconds(60);

  await alice.goOffline();
  await bob.goOffline();
  await alice.setNote('Leave at the door');
  await bob.setNote('Ring twice');
  await expect(alice.page.getByTestId('note-value')).toHaveText('Leave at the door');
  await alice.goOnline();
  await bob.goOnline();
  await expectAllConverged(alice, bob);

  // Converge keeps both concurrent notes as siblings.
  await expect(alice.page.getByTestId('note-value')).toContainText('2 concurrent values kept');
  const siblings = alice.page.getByTestId('note-value').locator('li');
  await expect(siblings).toHaveCount(2);
  await expect(siblings.filter({ hasText: 'Leave at the door' })).toHaveCount(1);
  await expect(siblings.filter({ hasText: 'Ring twice' })).toHaveCount(1);

  // LWW mode: only the later-stamped write is left; the ledger lists alice's as lost to bob's.
  await alice.page.getByTestId('engine-select').selectOption('lww');
  await expect(alice.page.getByTestId('note-value')).toHaveText('Ring twice');
  await alice.openTab('ledger');
  await expect(alice.page.getByTestId('tab-ledger')).toContainText('1');
  const entry = alice.page.getByTestId('ledger-entry');
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText(/alice wrote note = "Leave at the door"/);
  await expect(entry).toContainText(/beaten by bob = "Ring twice"/);
  await expect(entry).toContainText('concurrent: neither writer had seen the other write');

  // Bob's window lists the same loss.
  await bob.openTab('ledger');
  await expect(bob.page.getByTestId('ledger-entry')).toHaveCount(1);
  await expect(bob.page.getByTestId('ledger-entry')).toContainText(/alice wrote note = "Leave at the door"/);
});
