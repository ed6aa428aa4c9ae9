import type { EngineName } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { TextComparisons } from '../logic/text-comparisons.ts';
import type { TextFeed } from '../logic/text-feed.ts';
import { type MirrorDelta, TextMirrors } from '../logic/text-mirrors.ts';
import { textWindow } from '../logic/text-window.ts';

const ENGINES: EngineName[] = ['converge', 'yjs', 'automerge', 'loro', 'lww'];

/** The page's mirrors, counting every code unit the Compare panel reads from them. */
function countingFeed(mirrors: TextMirrors): { feed: TextFeed; read: () => number } {
  let read = 0;
  const feed: TextFeed = {
    text: (engine, field) => {
      const text = mirrors.text(engine, field);
      read += text.length;
      return text;
    },
    slice: (engine, field, from, to) => {
      const text = mirrors.slice(engine, field, from, to);
      read += text.length;
      return text;
    },
    length: (engine, field) => mirrors.length(engine, field),
    subscribe: (engine, field, listener) => mirrors.subscribe(engine, field, listener),
    close: () => mirrors.close(),
  };
  return { feed, read: () => read };
}

/** A seeded generator, so a failing case repeats. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function prose(length: number): string {
  const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'and', 'runs\n'];
  const next = random(7);
  let text = '';
  while (text.length < length) text += `${words[Math.floor(next() * words.length)]} `;
  return text.slice(0, length);
}

function setUp(text: string) {
  const mirrors = new TextMirrors(Object.fromEntries(ENGINES.map((e) => [e, { text }])) as never);
  const { feed, read } = countingFeed(mirrors);
  const frames: (() => void)[] = [];
  const comparisons = new TextComparisons({
    feed,
    engines: ENGINES,
    fields: ['text'],
    primary: 'converge',
    schedule: (flush) => frames.push(flush),
  });
  const frame = (): void => {
    for (const flush of frames.splice(0)) flush();
  };
  return { mirrors, read, comparisons, frame };
}

describe('TextComparisons reads', () => {
  it('reads a keystroke’s worth per keystroke of a 150 KB text, not the text', () => {
    const { mirrors, read, comparisons, frame } = setUp(prose(150_000));
    const before = read();
    const keystrokes = 200;
    for (let i = 0; i < keystrokes; i++) {
      const delta: MirrorDelta = { pos: 75_000 + i, del: 0, text: 'x' };
      for (const engine of ENGINES)
        mirrors.apply(engine, 'text', engine === 'converge' ? 'local' : 'remote', [delta]);
      frame();
    }
    const perKeystroke = (read() - before) / keystrokes;
    // Five cards: the primary's beginning (240) and four engines grown back over a keystroke (a chunk).
    expect(perKeystroke).toBeLessThan(2_000);
    for (const engine of ENGINES) expect(comparisons.getSnapshot().get('text')?.get(engine)?.same).toBe(true);
  });

  it('reads only around the difference while one engine lags behind the others', () => {
    const { mirrors, read, comparisons, frame } = setUp(prose(150_000));
    const before = read();
    const keystrokes = 100;
    for (let i = 0; i < keystrokes; i++) {
      const delta: MirrorDelta = { pos: 10_000 + i, del: 0, text: 'y' };
      for (const engine of ENGINES.filter((e) => e !== 'lww'))
        mirrors.apply(engine, 'text', 'remote', [delta]);
      frame();
    }
    expect((read() - before) / keystrokes).toBeLessThan(2_000);
    const lww = comparisons.getSnapshot().get('text')?.get('lww');
    expect(lww?.same).toBe(false);
    expect(lww?.segments.find((s) => s.kind === 'missing')?.text).toBe('y'.repeat(keystrokes));
  });

  it('shows what comparing the whole texts shows, over random edits of random engines', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const next = random(seed);
      const { mirrors, comparisons, frame } = setUp(prose(Math.floor(next() * 9_000)));
      let primary: EngineName = 'converge';
      for (let step = 0; step < 60; step++) {
        const engine = ENGINES[Math.floor(next() * ENGINES.length)] ?? 'converge';
        const length = mirrors.length(engine, 'text');
        const pos = Math.floor(next() * (length + 1));
        const del = Math.min(length - pos, Math.floor(next() * 4));
        const text = next() < 0.1 ? '😀' : 'ab\n'.slice(0, Math.floor(next() * 4));
        const targets = next() < 0.7 ? ENGINES : [engine];
        for (const target of targets) {
          if (pos + del > mirrors.length(target, 'text')) continue;
          mirrors.apply(target, 'text', 'remote', [{ pos, del, text }]);
        }
        if (next() < 0.1) {
          primary = engine;
          comparisons.setPrimary(engine);
        }
        if (next() < 0.5) frame();
      }
      frame();
      for (const engine of ENGINES) {
        const shown = comparisons.getSnapshot().get('text')?.get(engine);
        const expected = textWindow(mirrors.text(primary, 'text'), mirrors.text(engine, 'text'));
        expect(shown, `seed ${seed}, ${engine}`).toEqual(expected);
      }
    }
  });
});
