/**
 * Known bugs, pinned: each test states the correct behaviour and is marked as failing. When a fix
 * lands the test passes, Playwright reports that as an error, and the mark (and the workaround it
 * names) must go.
 */
import { expect, test } from '../support/fixtures.ts';
import { SYNC_TIMEOUT_MS } from '../support/workbench.ts';

test('the yjs badge settles on "converged" in a room with a storage peer', async ({ windows }) => {
  test.fail(
    true,
    'KNOWN BUG: the storage peer announces no digest and Yjs state vectors leave deletions out, so the ' +
      'Yjs badge stays "? 1 of N unknown" (workaround: UNSETTLED_WITH_STORAGE_PEER in e2e/support/workbench.ts)',
  );
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.typeAtEnd('x');
  await expect(bob.editor).toHaveValue('x');
  await alice.expectConvergedWith([bob], ['converge', 'automerge', 'lww']);
  const badge = alice.convergedBadge('yjs');
  await expect(badge).toHaveAttribute('title', /^storage: /m, { timeout: SYNC_TIMEOUT_MS });
  await expect(badge).toHaveAttribute('data-state', 'converged', { timeout: 5_000 });
});
