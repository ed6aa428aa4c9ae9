/** Three windows; one is cut off through the link matrix, all edit, the links heal, all converge. */
import { expect, test } from '../support/fixtures.ts';
import { CRDT_ENGINES, ENGINES, expectAllConverged } from '../support/workbench.ts';

test('a partition through the link matrix, edits on both sides, heal: every replica converges', async ({
  windows,
}) => {
  const [alice, bob, carol] = await windows.openAll('alice', 'bob', 'carol');

  // Alice cuts carol off through the link matrix: every directed link from or to carol, one cell
  // at a time (a room's storage peer, where there is one, included: it would carry edits across).
  await alice.openTab('network');
  const matrix = alice.page.getByTestId('link-matrix');
  await expect(matrix.getByTestId('link-cell-carol-alice')).toBeVisible();
  const carolsLinks = matrix.locator('[data-testid^="link-cell-carol-"], [data-testid$="-carol"]');
  const cells = await carolsLinks.count();
  expect(cells, 'carol has links to and from alice and bob at least').toBeGreaterThanOrEqual(4);
  for (let i = 0; i < cells; i++) {
    const cell = carolsLinks.nth(i);
    await expect(cell).toHaveText(/^up/);
    await cell.click();
    // While the other links are still up, the cell also says through whom carol is still reached.
    await expect(cell).toHaveText(/^cut/);
  }
  await expect(carol.connection).toHaveText(`online · cut off from ${cells / 2} peers`);
  await expect(carol.connection).toHaveAttribute('title', /^Cannot reach: (?=.*\balice\b)(?=.*\bbob\b)/);
  for (const window of [alice, bob]) {
    await expect(window.connection).toHaveText('online · cut off from 1 peer');
    await expect(window.connection).toHaveAttribute('title', 'Cannot reach: carol');
  }

  await alice.typeAtEnd('alpha ');
  await bob.addToCart('milk', 2);
  await carol.typeAtEnd('charlie ');
  await carol.page.getByTestId('likes-inc').click();

  // Alice's side syncs; carol's edits stay on her side. A cut link carries no digest announcements,
  // so no window claims to have converged with the other side: its state is unknown, never a stale "same".
  await expect(bob.editor).toHaveText('alpha ');
  await expect(alice.cartQuantity('milk')).toHaveText('2');
  await expect(carol.editor).toHaveText('charlie ');
  await expect(carol.page.getByTestId('cart-line-milk')).toHaveCount(0);
  await expect(alice.page.getByTestId('counter-likes')).toHaveText('0');
  for (const engine of ENGINES) {
    for (const [window, others] of [
      [alice, ['carol']],
      [bob, ['carol']],
      [carol, ['alice', 'bob']],
    ] as const) {
      const badge = window.convergedBadge(engine);
      await expect(badge).toHaveAttribute('data-state', 'unknown');
      for (const other of others) {
        await expect(badge).toHaveAttribute('title', new RegExp(`^${other}: unknown \\(`, 'm'));
      }
    }
    await expect(alice.convergedBadge(engine)).toHaveAttribute('title', /^bob: same \(by digest\)$/m);
  }

  await alice.page.getByTestId('preset-heal').click();
  await expect(alice.page.getByTestId('link-cell-carol-alice')).toHaveText('up');
  for (const window of [alice, bob, carol]) {
    await window.expectSyncingWith(['alice', 'bob', 'carol'].filter((id) => id !== window.replicaId));
  }
  await expectAllConverged(alice, bob, carol);

  // Converged means the same state in every window, engine by engine, with every edit in it.
  await alice.openTab('compare');
  const merged = await alice.engineTexts();
  for (const engine of CRDT_ENGINES) {
    expect(merged[engine], `${engine} text`).toMatch(/^(alpha charlie |charlie alpha )$/);
  }
  for (const window of [bob, carol]) {
    expect(await window.engineTexts(), `${window.replicaId}'s engines`).toEqual(merged);
    await expect(window.editor).toHaveText(String(merged.converge));
    await expect(window.cartQuantity('milk')).toHaveText('2');
    await expect(window.page.getByTestId('counter-likes')).toHaveText('1');
  }
  // What the strip says (three windows, plus a storage peer where the relay runs one).
  for (const engine of ENGINES) {
    await expect(alice.convergedBadge(engine)).toHaveText(/^✓ converged with all \d+ replicas$/);
  }
});
