/** Three windows; one is cut off through the link matrix, all edit, the links heal, all converge. */
import { expect, test } from '../support/fixtures.ts';
import {
  CRDT_ENGINES,
  ENGINES,
  expectAllConverged,
  UNSETTLED_WITH_STORAGE_PEER,
} from '../support/workbench.ts';

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
    await expect(cell).toHaveText('up');
    await cell.click();
    await expect(cell).toHaveText('cut');
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

  // Alice's side syncs; carol's edits stay on her side, and every window can tell it differs.
  await expect(bob.editor).toHaveValue('alpha ');
  await expect(alice.cartQuantity('milk')).toHaveText('2');
  await expect(carol.editor).toHaveValue('charlie ');
  await expect(carol.page.getByTestId('cart-line-milk')).toHaveCount(0);
  await expect(alice.page.getByTestId('counter-likes')).toHaveText('0');
  for (const window of [alice, bob, carol]) {
    await expect(window.convergedBadge('converge')).toHaveAttribute('data-state', 'diverged');
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
    await expect(window.editor).toHaveValue(merged.converge);
    await expect(window.cartQuantity('milk')).toHaveText('2');
    await expect(window.page.getByTestId('counter-likes')).toHaveText('1');
  }
  // What the strip says (three windows, plus a storage peer where the relay runs one).
  for (const engine of ENGINES.filter((e) => !UNSETTLED_WITH_STORAGE_PEER.has(e))) {
    await expect(alice.convergedBadge(engine)).toHaveText(/^✓ converged with all \d+ replicas$/);
  }
});
