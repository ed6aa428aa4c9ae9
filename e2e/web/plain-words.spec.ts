/**
 * Words a person understands, with the technical detail on hover (issue 17, items 10 and 11): engine
 * and window names, versions, relay trouble, and what the converged badge says while offline.
 */
import { expect, test } from '../support/fixtures.ts';
import { expectAllConverged } from '../support/workbench.ts';

test('the header, engines and versions speak plainly; the detail is in the tooltips', async ({ windows }) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  const page = alice.page;
  await expect(page.locator('.identity')).toContainText('This tab alice');
  await expect(page.getByTestId('engine-select').locator('option[value="lww"]')).toHaveText(
    'last-writer-wins',
  );
  await expect(page.locator('body')).not.toContainText('LWW mode');
  await alice.typeAtEnd('hello');
  await expectAllConverged(alice, bob);
  await alice.openTab('compare');
  const version = page.getByTestId('version-converge').locator('summary');
  await expect(version).toHaveText(/^What it has: \d+ steps? from \d+ writers?$/);
  await expect(version).toHaveAttribute('title', /^version vector: \d+ entr(y|ies), sum \d+/);
  // The per-peer table is rendered once the details are opened.
  await version.click();
  await expect(page.getByTestId('version-converge-bob')).toContainText('same version');
  // The clock skew is set from the header, where demonstrators look.
  await bob.setClockFromHeader(-5);
  await bob.setClockFromHeader(0);
});

test('while offline, the badge says it cannot check its peers, not "1 of 1 unknown"', async ({ windows }) => {
  const [alice, bob, carol] = await windows.openAll('alice', 'bob', 'carol');
  await alice.typeAtEnd('x');
  await expectAllConverged(alice, bob, carol);
  await bob.goOffline();
  await alice.goOffline();
  // bob, carol and the room's storage peer: three replicas it cannot hear.
  for (const engine of ['converge', 'lww'] as const) {
    const badge = alice.convergedBadge(engine);
    await expect(badge).toHaveAttribute('data-state', 'offline');
    await expect(badge).toHaveText('? offline: 3 replicas not checked');
    await expect(badge).toHaveAttribute('title', /bob, carol, storage/);
  }
  await alice.goOnline();
  await bob.goOnline();
  await expectAllConverged(alice, bob, carol);
});

test('relay trouble is said in words; the close code is only in the tooltip', async ({ windows, webApp }) => {
  const alice = await windows.open('alice');
  await alice.expectOnline();
  await webApp.stopRelay();
  const problem = alice.page.locator('.header-problem');
  await expect(problem).toBeVisible();
  await expect(problem).not.toHaveText(/\(\d{3,4}\)|\b\d{4}\b/);
  await expect(problem).toHaveAttribute('title', /.+/);
  await webApp.startRelay();
  await alice.expectOnline();
});
