/**
 * Issue 17 item 2: a session exported from a window replays with the scenario runner to the same
 * result: it holds every window's steps (the windows of a room share one log), never lists the storage
 * peer as a replica, and carries the room's state when the recording began mid-room.
 */
import { readFile } from 'node:fs/promises';
import { runScenario } from '@converge/scenarios';
import { parseScenarioText, type ScenarioFile } from '@converge/scenarios/format';
import type { Page } from '@playwright/test';
import { expect, test } from '../support/fixtures.ts';
import { expectAllConverged } from '../support/workbench.ts';

async function exportSession(page: Page): Promise<string> {
  await page.getByTestId('tab-session').click();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-session').click(),
  ]);
  return readFile((await download.path()) as string, 'utf8');
}

test('an export holds every window’s steps and replays to what the windows show', async ({ windows }) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.typeAtEnd('Hello');
  await expect(bob.editor).toHaveText('Hello');
  await bob.addToCart('pear', 2);
  await bob.setNote('from bob');
  await expectAllConverged(alice, bob);

  const text = await exportSession(alice.page);
  const file = JSON.parse(text) as ScenarioFile;
  expect(file.replicas).toEqual(['alice', 'bob']);
  expect(file.start).toBeUndefined();
  expect(file.steps.filter((s) => !('sync' in s))).toEqual([
    { replica: 'alice', op: 'text.insert', pos: 0, text: 'Hello' },
    { replica: 'bob', op: 'cart.add', product: 'pear', qty: 2 },
    { replica: 'bob', op: 'note.set', value: 'from bob' },
  ]);
  const report = await runScenario(parseScenarioText(text));
  for (const engine of ['converge', 'yjs', 'automerge', 'lww'] as const) {
    expect(Object.values(report.engines[engine]?.replicas ?? {})[0], engine).toMatchObject({
      text: 'Hello',
      cart: { pear: 2 },
      note: ['from bob'],
    });
  }
});

test('a recording that begins mid-room carries the room state and replays', async ({ windows }) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.typeAtEnd('The room held this text already.');
  await expect(bob.editor).toHaveText('The room held this text already.');
  // Every window reloads: their session logs start again, on a room that holds text.
  await bob.page.close();
  await alice.page.reload();
  await alice.waitUntilLoaded();
  await expect(alice.editor).toHaveText('The room held this text already.');
  await alice.typeAt(23, ' mostly');
  await expect(alice.editor).toHaveText('The room held this text mostly already.');

  const text = await exportSession(alice.page);
  const file = JSON.parse(text) as ScenarioFile;
  expect(file.start?.engines).toHaveProperty('converge');
  expect(file.steps).toEqual([{ replica: 'alice', op: 'text.insert', pos: 23, text: ' mostly' }]);
  const report = await runScenario(parseScenarioText(text));
  expect(report.start.empty).toBe(false);
  for (const engine of ['converge', 'yjs', 'automerge', 'lww'] as const) {
    expect(Object.values(report.engines[engine]?.replicas ?? {})[0]?.text, engine).toBe(
      'The room held this text mostly already.',
    );
  }
});
