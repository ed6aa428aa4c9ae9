/**
 * Web mode hands a credential only to pages opened with its launch key: another page on the machine
 * (here: a browser context that never saw the key) still works locally, but cannot join the room,
 * and says why.
 */
import { expect, test } from '../support/fixtures.ts';
import { Workbench } from '../support/workbench.ts';

test('a page without the launch key keeps working locally but never joins the room', async ({
  browser,
  consoleGuard,
  webApp,
  windows,
}) => {
  const [alice] = await windows.openAll('alice');
  const stranger = await browser.newContext();
  consoleGuard.watch(stranger);
  try {
    const page = await stranger.newPage();
    const keyless = new URL(webApp.url);
    keyless.hash = '';
    keyless.searchParams.set('replica', 'mallory');
    await page.goto(keyless.href);
    const mallory = new Workbench(page, 'mallory');
    await mallory.waitUntilLoaded();
    await expect(
      page.getByText(/no credential to join the room: .*opened without its launch key/),
    ).toBeVisible();
    await mallory.typeAtEnd('only mine');
    await expect(mallory.editor).toHaveText('only mine');
    await expect(mallory.connection).not.toHaveText(/^online/);
    // The room never saw it: alice is alone and untouched.
    await alice.typeAtEnd('mine');
    await expect(alice.editor).toHaveText('mine');
    await expect(mallory.editor).toHaveText('only mine');
  } finally {
    await stranger.close();
  }
});
