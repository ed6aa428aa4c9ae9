/** The Compare panel exports as JSON in the scenario runner's report format (issue 17, item 12). */
import { readFile } from 'node:fs/promises';
import type { MergeReport } from '@converge/scenarios/report';
import { expect, test } from '../support/fixtures.ts';
import { ENGINES, expectAllConverged } from '../support/workbench.ts';

test('Export comparison saves every engine state, their differences and the lost writes', async ({
  windows,
}) => {
  const [alice, bob] = await windows.openAll('alice', 'bob');
  await alice.goOffline();
  await bob.goOffline();
  // Concurrent likes: the counters add up in converge and Automerge; Yjs and last-writer-wins keep one.
  await alice.page.getByTestId('likes-inc').click();
  await bob.page.getByTestId('likes-inc').click();
  await bob.page.getByTestId('likes-inc').click();
  await alice.goOnline();
  await bob.goOnline();
  await expectAllConverged(alice, bob);
  await expect(alice.page.getByTestId('counter-likes')).toHaveText('3');

  await alice.openTab('compare');
  const [download] = await Promise.all([
    alice.page.waitForEvent('download'),
    alice.page.getByTestId('export-compare').click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^converge-compare-alice-.*\.json$/);
  const report = JSON.parse(await readFile(await download.path(), 'utf8')) as MergeReport;
  expect(report.name).toMatch(/^Compare panel of alice in room /);
  expect(report.world).toMatchObject({ kind: 'window', replica: 'alice', storagePeer: true });
  // Last-writer-wins took one of the two concurrent likes by the clocks: a wall-time dependence.
  expect(report.wallTime).toEqual([
    { engine: 'lww', field: 'counters/likes', replicas: ['alice', 'bob'], reason: 'concurrent' },
  ]);
  expect(Object.keys(report.engines)).toEqual([...ENGINES]);
  for (const engine of ENGINES) {
    expect(report.engines[engine]?.converged, engine).toBe(true);
    expect(Object.keys(report.engines[engine]?.replicas ?? {})).toEqual(['alice']);
  }
  expect(report.engines.converge?.replicas.alice?.counters).toEqual({ likes: 3, stock: 0 });
  const likes = report.differences.filter((d) => d.field === 'counters' && 'key' in d && d.key === 'likes');
  expect(likes.map((d) => d.engine).sort()).toEqual(['lww', 'yjs']);
  expect(likes.every((d) => d.versus === 'converge' && 'versusValue' in d && d.versusValue === 3)).toBe(true);
  expect(report.ledgers.lww?.lost).toEqual([
    expect.objectContaining({ op: 'counter.increment', field: 'counters/likes', reason: 'concurrent' }),
  ]);
  await expect(
    alice.page.getByText(/^Saved converge-compare-alice-.*: 2 differences between the engines\.$/),
  ).toBeVisible();
});
