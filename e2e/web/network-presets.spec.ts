/**
 * Issue 17 items 4 and 5: "split in halves" splits the windows and says where the room's storage peer
 * goes; the matrix shows when a cut pair still syncs through a third node; "Isolate me" cuts a window
 * off from everyone, the storage peer included.
 */
import { expect, test } from '../support/fixtures.ts';

test('split the windows in halves, with the storage peer alone or bridging, then isolate one', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.openTab('network');
  const panel = alice.page.getByTestId('panel-network');
  await expect(panel.getByTestId('link-cell-alice-storage')).toBeVisible();

  // Two windows: one on each side, the storage peer alone (the default), and the panel says so.
  await expect(panel.getByTestId('preset-split-plan')).toContainText(
    'alice | bob; the storage peer alone (cut off from both halves)',
  );
  await panel.getByTestId('preset-split').click();
  // The room's checkout authority goes with the first half (alice's): bob is cut off from it too.
  await expect(alice.connection).toHaveText('online · cut off from 2 peers');
  await expect(bob.connection).toHaveText('online · cut off from 3 peers');
  await expect(bob.connection).toHaveAttribute('title', 'Cannot reach: alice, authority, storage');
  await expect(panel.getByTestId('link-cell-alice-bob')).toHaveText('cut');
  await expect(panel.getByTestId('indirect-routes')).toHaveCount(0);
  await alice.typeAtEnd('alice alone ');
  await bob.typeAtEnd('bob alone ');
  await expect(bob.editor).toHaveText('bob alone ');

  // The storage peer linked to both halves: the windows' own links are cut, yet edits cross through it.
  await panel.getByTestId('preset-split-storage').selectOption('everywhere');
  await expect(panel.getByTestId('preset-split-plan')).toContainText('linked to both halves');
  await panel.getByTestId('preset-split').click();
  await expect(panel.getByTestId('link-cell-alice-bob')).toHaveText('cut via storage');
  await expect(panel.getByTestId('link-cell-alice-bob')).toHaveAttribute(
    'aria-label',
    /is cut, but alice still reaches bob through storage/,
  );
  await expect(panel.getByTestId('indirect-routes')).toContainText(
    'alice and bob still sync through storage',
  );
  await expect(bob.editor).toHaveText(/alice alone /, { timeout: 20_000 });

  // Isolate me: every link of alice is cut, the storage peer's and the authority's too; nothing goes round.
  await panel.getByTestId('preset-isolate').click();
  await expect(alice.connection).toHaveText('online · cut off from 3 peers');
  await expect(panel.getByTestId('indirect-routes')).toHaveCount(0);
  await expect(panel.getByTestId('link-cell-alice-storage')).toHaveText('cut');
  await bob.typeAtEnd('unseen');
  await expect(bob.editor).toHaveText(/unseen$/);
  await alice.page.waitForTimeout(1000);
  await expect(alice.editor).not.toHaveText(/unseen/);
});
