/**
 * Issue 25: a minimal scenario the explorer found opens in the Session panel and replays across the
 * room's windows, one window per replica, showing the same difference between the engines.
 */
import { join } from 'node:path';
import { expect, test } from '../support/fixtures.ts';
import { expectAllConverged } from '../support/workbench.ts';

const examples = join(import.meta.dirname, '../../scenarios/examples');

test('an explorer example replays across two windows and shows its kind of difference', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.openTab('session');
  await alice.page.getByTestId('import-session').setInputFiles(join(examples, 'note-siblings.json'));
  await expect(alice.page.getByTestId('replay-description')).toContainText('siblings');
  await alice.page.getByTestId('replay-across-windows').click();
  await expect(alice.page.getByTestId('replay-windows-status')).toHaveText(
    /^Replayed across 2 windows \(a → alice, b → bob\)/,
    { timeout: 30_000 },
  );
  await expectAllConverged(alice, bob);
  // The two notes were written without either window seeing the other's: converge and Automerge keep
  // both as siblings, Yjs and last-writer-wins one.
  for (const window of [alice, bob]) {
    await window.openTab('compare');
    for (const [engine, values] of [
      ['converge', 2],
      ['automerge', 2],
      ['yjs', 1],
      ['lww', 1],
    ] as const) {
      await expect(window.page.getByTestId(`compare-note-${engine}`).locator('.fact'), engine).toHaveCount(
        values,
      );
    }
  }
});
