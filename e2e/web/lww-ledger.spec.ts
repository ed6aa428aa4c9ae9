/**
 * Last-writer-wins keeps one of two concurrent writes, and its Lost writes tab shows the one it lost,
 * telling wall time from a skewed clock (issue 17, item 11): the winner here wrote first in real time.
 */
import { expect, test } from '../support/fixtures.ts';
import { expectAllConverged } from '../support/workbench.ts';

test('last-writer-wins shows the lost concurrent write, with wall time and skewed clock apart', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  // Bob's clock runs a minute ahead (set from the header), so under last-writer-wins bob wins whatever
  // the real timing.
  await bob.setClockFromHeader(60);

  await alice.goOffline();
  await bob.goOffline();
  // Bob writes first in real time, alice a little later.
  await bob.setNote('Ring twice');
  await alice.page.waitForTimeout(300);
  await alice.setNote('Leave at the door');
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

  // Last-writer-wins: only the later-stamped write is left; the ledger lists alice's as lost to bob's.
  await alice.page.getByTestId('engine-select').selectOption('lww');
  await expect(alice.page.getByTestId('note-value')).toHaveText('Ring twice');
  await alice.openTab('ledger');
  await expect(alice.page.getByTestId('tab-ledger')).toHaveText(/^Lost writes/);
  await expect(alice.page.getByTestId('tab-ledger')).toContainText('1');
  const entry = alice.page.getByTestId('ledger-entry');
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText(/alice wrote note = "Leave at the door"/);
  await expect(entry).toContainText(/beaten by bob = "Ring twice"/);
  await expect(entry).toContainText('concurrent: neither writer had seen the other write');
  // Which time is which: alice's clock is exact; bob's is skewed, and bob wrote first in wall time.
  await expect(entry.getByTestId('ledger-lost-time')).toHaveText(
    /^at [\d:.]+ wall time \(its clock was not skewed\)$/,
  );
  await expect(entry.getByTestId('ledger-winner-time')).toHaveText(
    /^at [\d:.]+ wall time; its clock, skewed \+60 s, stamped it [\d:.]+$/,
  );
  await expect(entry.getByTestId('ledger-comparison')).toHaveText(
    /^bob's clock stamp is 5\d(\.\d)? s later than alice's\. Yet in wall time bob wrote [\d.]+ (s|ms) earlier: the skew decided\.$/,
  );

  // Bob's window lists the same loss.
  await bob.openTab('ledger');
  await expect(bob.page.getByTestId('ledger-entry')).toHaveCount(1);
  await expect(bob.page.getByTestId('ledger-entry')).toContainText(/alice wrote note = "Leave at the door"/);
});
