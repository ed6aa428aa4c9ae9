/**
 * The per-engine "converged with every replica" badges learn every node's state digest over the relay,
 * the room's storage peer included, so they settle on "converged" for every engine — Yjs too, whose
 * state vectors leave deletions out and so cannot prove equal states by themselves.
 */
import { expect, test } from '../support/fixtures.ts';
import { ENGINES, SYNC_TIMEOUT_MS } from '../support/workbench.ts';

test('every badge settles on "converged" with the other window and the storage peer, by digest', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.typeAtEnd('xyz');
  await alice.editor.press('Backspace'); // a deletion: equal Yjs state vectors would prove nothing
  await expect(bob.editor).toHaveText('xy');
  for (const window of [alice, bob]) {
    await window.expectConvergedWith([alice, bob].filter((other) => other !== window));
    for (const engine of ENGINES) {
      const badge = window.convergedBadge(engine);
      await expect(badge).toHaveAttribute('title', /^storage: same \(by digest\)$/m, {
        timeout: SYNC_TIMEOUT_MS,
      });
      await expect(badge).toHaveAttribute('data-state', 'converged');
      await expect(badge).toHaveText(/^✓ converged with all 2 replicas$/);
    }
  }
});
