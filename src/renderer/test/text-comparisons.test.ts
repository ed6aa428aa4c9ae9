import type { EngineName } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { TextComparisons } from '../logic/text-comparisons.ts';
import type { TextFeed, TextUpdate } from '../logic/text-feed.ts';

/** A feed whose texts the test sets, counting reads. */
function fakeFeed(texts: Record<EngineName, string>) {
  const listeners = new Map<EngineName, (update: TextUpdate) => void>();
  const reads: EngineName[] = [];
  const feed: TextFeed = {
    length: (engine) => texts[engine]?.length ?? 0,
    slice: (engine, _field, from, to) => {
      reads.push(engine);
      return (texts[engine] ?? '').slice(from, to);
    },
    text: (engine) => {
      reads.push(engine);
      return texts[engine] ?? '';
    },
    subscribe: (engine, _field, listener) => {
      listeners.set(engine, listener);
      return () => listeners.delete(engine);
    },
    close: () => {},
  };
  const change = (engine: EngineName, text: string): void => {
    const before = texts[engine] ?? '';
    texts[engine] = text;
    const changes = [{ from: 0, to: before.length, insert: text }];
    listeners.get(engine)?.({ engine, field: 'text', origin: 'remote', changes, length: text.length });
  };
  return { feed, reads, change, listeners };
}

describe('TextComparisons', () => {
  it('recomputes only the changed engine, once per scheduled frame', () => {
    const { feed, reads, change } = fakeFeed({ converge: 'abc', yjs: 'abc', lww: 'abc' });
    const frames: (() => void)[] = [];
    const comparisons = new TextComparisons({
      feed,
      engines: ['converge', 'yjs', 'lww'],
      fields: ['text'],
      primary: 'converge',
      schedule: (flush) => frames.push(flush),
    });
    let notified = 0;
    comparisons.subscribe(() => notified++);
    reads.length = 0;
    change('lww', 'abX');
    change('lww', 'abXY');
    expect(frames).toHaveLength(1);
    frames.shift()?.();
    expect(notified).toBe(1);
    expect([...new Set(reads)].sort()).toEqual(['converge', 'lww']);
    const lww = comparisons.getSnapshot().get('text')?.get('lww');
    expect(lww?.same).toBe(false);
    expect(lww?.segments.map((s) => s.kind)).toContain('extra');
    expect(comparisons.getSnapshot().get('text')?.get('yjs')?.same).toBe(true);
  });

  it('compares every engine again when the primary text changes or another engine becomes primary', () => {
    const { feed, reads, change } = fakeFeed({ converge: 'abc', yjs: 'abd' });
    const frames: (() => void)[] = [];
    const comparisons = new TextComparisons({
      feed,
      engines: ['converge', 'yjs'],
      fields: ['text'],
      primary: 'converge',
      schedule: (flush) => frames.push(flush),
    });
    reads.length = 0;
    change('converge', 'abd');
    frames.shift()?.();
    expect(comparisons.getSnapshot().get('text')?.get('yjs')?.same).toBe(true);
    comparisons.setPrimary('yjs');
    frames.shift()?.();
    expect(comparisons.getSnapshot().get('text')?.get('converge')?.same).toBe(true);
    expect(reads).toContain('yjs');
  });

  it('stops following the feed when closed', () => {
    const { feed, listeners } = fakeFeed({ converge: '' });
    const comparisons = new TextComparisons({
      feed,
      engines: ['converge'],
      fields: ['text'],
      primary: 'converge',
      schedule: (flush) => flush(),
    });
    comparisons.close();
    expect(listeners.size).toBe(0);
  });
});
