import { ChangeSet, Text } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import {
  changeSetOfDeltas,
  EditorSync,
  EditRebaser,
  MAX_UNSEEN_CHANGES,
  sameChanges,
} from '../logic/editor-sync.ts';

/** A seeded generator (mulberry32): the runs are repeatable. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomChange(random: () => number, length: number, tag: string): ChangeSet {
  const from = Math.floor(random() * (length + 1));
  const to = random() < 0.3 ? Math.min(length, from + Math.floor(random() * 4)) : from;
  const insert = random() < 0.8 ? tag.repeat(1 + Math.floor(random() * 3)) : '';
  return ChangeSet.of({ from, to, insert }, length);
}

type ToWorker = { seq: number; base: number; changes: ChangeSet };
type ToPage =
  | { kind: 'change'; rev: number; changes: ChangeSet }
  | { kind: 'done'; seq: number; rev: number };

/** The page and the worker with message queues between them, each side only seeing what has arrived. */
function simulate(seed: number, steps: number): { page: string; worker: string } {
  const random = seeded(seed);
  let worker = Text.of(['hello world']);
  let page = worker;
  let rev = 0;
  let seenRev = 0;
  let seq = 0;
  const sync = new EditorSync();
  const rebaser = new EditRebaser();
  const toWorker: ToWorker[] = [];
  const toPage: ToPage[] = [];
  const deliverToWorker = (): void => {
    const message = toWorker.shift() as ToWorker;
    const rebased = rebaser.rebase('text', message.base, message.changes);
    expect(rebased).toBeDefined();
    worker = (rebased as ChangeSet).apply(worker);
    rev++;
    toPage.push({ kind: 'done', seq: message.seq, rev });
  };
  const deliverToPage = (): void => {
    const message = toPage.shift() as ToPage;
    seenRev = message.rev;
    if (message.kind === 'done') {
      expect(sync.acknowledge(message.seq)).toBe(true);
      return;
    }
    page = sync.remote(message.changes).apply(page);
  };
  for (let step = 0; step < steps; step++) {
    const roll = random();
    if (roll < 0.3) {
      const changes = randomChange(random, page.length, 'p');
      page = changes.apply(page);
      sync.local(++seq, changes);
      toWorker.push({ seq, base: seenRev, changes });
    } else if (roll < 0.5) {
      const changes = randomChange(random, worker.length, 'w');
      worker = changes.apply(worker);
      rev++;
      rebaser.observe('text', rev, changes);
      toPage.push({ kind: 'change', rev, changes });
    } else if (roll < 0.75 && toWorker.length > 0) deliverToWorker();
    else if (toPage.length > 0) deliverToPage();
  }
  while (toWorker.length > 0 || toPage.length > 0) {
    if (toWorker.length > 0) deliverToWorker();
    while (toPage.length > 0) deliverToPage();
  }
  expect(sync.pendingCount).toBe(0);
  return { page: page.toString(), worker: worker.toString() };
}

describe('EditorSync and EditRebaser', () => {
  it('end with the same text however local and worker edits cross in flight', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { page, worker } = simulate(seed, 120);
      expect(page, `seed ${seed}`).toBe(worker);
    }
  });

  it('place a worker insertion at the caret before a local insertion there, on both sides', () => {
    const sync = new EditorSync();
    const rebaser = new EditRebaser();
    const local = ChangeSet.of({ from: 2, insert: 'P' }, 4);
    sync.local(1, local);
    const remote = ChangeSet.of({ from: 2, insert: 'W' }, 4);
    rebaser.observe('text', 1, remote);
    const page = sync.remote(remote).apply(local.apply(Text.of(['abcd'])));
    const worker = (rebaser.rebase('text', 0, local) as ChangeSet).apply(remote.apply(Text.of(['abcd'])));
    expect(page.toString()).toBe('abWPcd');
    expect(worker.toString()).toBe('abWPcd');
  });

  it('build a change the worker saw only when an edit made before seeing it needs it', () => {
    // A new window's first text from a peer is 1 MB: its change set is a copy of it the page rarely needs.
    const rebaser = new EditRebaser();
    let built = 0;
    const remote = ChangeSet.of({ from: 0, insert: 'W' }, 4);
    rebaser.observe('text', 1, () => {
      built++;
      return remote;
    });
    rebaser.observe('text', 2, () => {
      built++;
      return ChangeSet.of({ from: 5, insert: 'Z' }, 5);
    });
    expect(built).toBe(0);
    // Made after seeing revision 1: only revision 2's change is needed.
    const after1 = rebaser.rebase('text', 1, ChangeSet.of({ from: 1, insert: 'P' }, 5));
    expect(built).toBe(1);
    expect(after1?.apply(Text.of(['WabcdZ'])).toString()).toBe('WPabcdZ');
    // Made before seeing a change: that change is built (once), and the edit lands as an eager one would.
    rebaser.observe('text', 3, () => {
      built++;
      return ChangeSet.of({ from: 0, insert: 'V' }, 7);
    });
    const before = rebaser.rebase('text', 2, ChangeSet.of({ from: 7, insert: 'Q' }, 7));
    expect(built).toBe(2);
    expect(before?.apply(Text.of(['VWPabcdZ'])).toString()).toBe('VWPabcdZQ');
    rebaser.rebase('text', 3, ChangeSet.of({ from: 0, insert: 'R' }, 9));
    expect(built).toBe(2);
  });

  it('refuses an edit whose base is older than the changes it kept', () => {
    const rebaser = new EditRebaser();
    for (let rev = 1; rev <= MAX_UNSEEN_CHANGES + 1; rev++)
      rebaser.observe('text', rev, ChangeSet.of({ from: 0, insert: 'x' }, rev - 1));
    expect(rebaser.rebase('text', 0, ChangeSet.of({ from: 0, insert: 'y' }, 0))).toBeUndefined();
    const fresh = rebaser.rebase('text', 2, ChangeSet.of({ from: 0, insert: 'y' }, 2));
    expect(fresh?.newLength).toBe(MAX_UNSEEN_CHANGES + 2);
  });

  it('refuses an edit that does not fit the text, and an acknowledgement out of step', () => {
    const rebaser = new EditRebaser();
    rebaser.observe('text', 1, ChangeSet.of({ from: 0, insert: 'x' }, 3));
    expect(rebaser.rebase('text', 0, ChangeSet.of({ from: 0, insert: 'y' }, 7))).toBeUndefined();
    const sync = new EditorSync();
    sync.local(1, ChangeSet.of({ from: 0, insert: 'y' }, 0));
    expect(sync.acknowledge(2)).toBe(false);
    expect(sync.pendingCount).toBe(0);
  });

  it('expected(): the worker text with the pending edits applied', () => {
    const sync = new EditorSync();
    sync.local(1, ChangeSet.of({ from: 1, insert: 'X' }, 3));
    sync.local(2, ChangeSet.of({ from: 4, insert: 'Y' }, 4));
    expect(sync.expected('abc')).toBe('aXbcY');
  });

  it('changeSetOfDeltas composes sequential deltas; delete then insert equals one replacement', () => {
    const composed = changeSetOfDeltas(
      [
        { pos: 1, del: 2, text: '' },
        { pos: 1, del: 0, text: 'XY' },
      ],
      5,
    );
    expect(sameChanges(composed, ChangeSet.of({ from: 1, to: 3, insert: 'XY' }, 5))).toBe(true);
    expect(sameChanges(composed, ChangeSet.of({ from: 1, to: 3, insert: 'XZ' }, 5))).toBe(false);
    expect(sameChanges(composed, ChangeSet.of({ from: 2, to: 3, insert: 'XY' }, 5))).toBe(false);
    expect(composed.apply(Text.of(['abcde'])).toString()).toBe('aXYde');
  });
});
