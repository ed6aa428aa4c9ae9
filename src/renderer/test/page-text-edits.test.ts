/**
 * The page's text edits placed by the worker over a real replica whose primary engine, Automerge, puts
 * off peers' changes: an edit the page made before a peer's change had even been taken in lands where
 * the page made it (the worker settles the engines before rebasing), and counts as exact.
 */
import { ChangeSet } from '@codemirror/state';
import { ENGINES, type Intent } from '@converge/replica';
import { closeSimRoomsAfterEach, HeldDefers, simRoom } from '@converge/replica/testing';
import { describe, expect, it } from 'vitest';
import { PageTextEdits } from '../worker/page-text-edits.ts';
import type { ToPage } from '../worker/protocol.ts';

closeSimRoomsAfterEach();

describe('PageTextEdits', () => {
  it("places a page's edit over a peer's change the primary engine had put off", async () => {
    const held = new HeldDefers();
    const both = ENGINES.only(['converge', 'automerge']);
    const { clock: timers, open } = simRoom({ seed: 5, antiEntropyMs: 0, engines: both });
    const peer = await open('peer');
    const window = await open('window', { engines: held.registry(both, ['automerge']) });
    await window.setPrimary('automerge');

    const posted: ToPage[] = [];
    const applied: Promise<void>[] = [];
    const texts = new PageTextEdits({
      replica: window,
      textFields: ['text'],
      post: (message) => posted.push(message),
      apply: (edit) => applied.push(window.apply(window.schema.intentOf(edit) as Intent)),
      notify: (message) => {
        throw new Error(`unexpected notice: ${message}`);
      },
    });
    for (const engine of window.engineNames) texts.started(engine, 'text', 0);
    const stop = window.subscribe((event) => (event.type === 'text' ? texts.changed(event) : undefined));

    await peer.apply({ op: 'text.insert', pos: 0, text: 'abc' });
    timers.advance(1_000);
    held.run();
    expect(window.textSlice('automerge')).toBe('abc');
    // The page has seen everything so far, and types at the end of "abc".
    const seen = texts.rev;

    await peer.apply({ op: 'text.insert', pos: 0, text: 'XY' });
    timers.advance(1_000);
    expect(held.count).toBeGreaterThan(0); // arrived, put off

    texts.edit({
      type: 'edit-text',
      seq: 1,
      base: seen,
      engine: 'automerge',
      field: 'text',
      changes: ChangeSet.of({ from: 3, insert: '!' }, 3).toJSON() as unknown[],
    });
    expect(window.textSlice('automerge')).toBe('XYabc!');
    expect(posted).toContainEqual({ type: 'edit-done', seq: 1, field: 'text', exact: true });

    await Promise.all(applied);
    timers.advance(1_000);
    held.run();
    for (const replica of [peer, window])
      for (const engine of ['converge', 'automerge'] as const)
        expect(replica.textSlice(engine)).toBe('XYabc!');
    stop();
  });
});
