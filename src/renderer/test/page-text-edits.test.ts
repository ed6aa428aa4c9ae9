/**
 * The page's text edits placed by the worker over a real replica whose primary engine, Automerge, puts
 * off peers' changes: an edit the page made before a peer's change had even been taken in lands where
 * the page made it (the worker settles the engines before rebasing), and counts as exact.
 */
import { ChangeSet } from '@codemirror/state';
import { VirtualClock } from '@converge/protocol';
import {
  ENGINES,
  type EngineRegistry,
  type Intent,
  MemoryStore,
  Replica,
  SimNetwork,
} from '@converge/replica';
import { HeldDefers } from '@converge/replica/testing';
import { describe, expect, it } from 'vitest';
import { PageTextEdits } from '../worker/page-text-edits.ts';
import type { ToPage } from '../worker/protocol.ts';

describe('PageTextEdits', () => {
  it("places a page's edit over a peer's change the primary engine had put off", async () => {
    const timers = new VirtualClock(1_700_000_000_000);
    const net = new SimNetwork({ timers, seed: 5 });
    const held = new HeldDefers();
    const both = ENGINES.only(['converge', 'automerge']);
    const open = (id: string, engines: EngineRegistry): Promise<Replica> =>
      Replica.open({
        id,
        transport: net.transport(id),
        store: new MemoryStore(),
        engines,
        timers,
        antiEntropyMs: 0,
      });
    const peer = await open('peer', both);
    const window = await open('window', held.registry(both, ['automerge']));
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
    await Promise.all([peer.close(), window.close()]);
  });
});
