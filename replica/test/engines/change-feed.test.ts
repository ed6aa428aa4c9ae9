// An engine's change feed: who hears a change, when listeners come and go (also during a change).
import { describe, expect, it } from 'vitest';
import type { EngineChange } from '../../src/engine.ts';
import { ChangeFeed } from '../../src/engines/kit/index.ts';

const change = (n: number): EngineChange => ({ origin: 'local', update: Uint8Array.of(n) }) as EngineChange;

describe('ChangeFeed', () => {
  it('gives a function subscribed twice two subscriptions, each ended on its own', () => {
    const feed = new ChangeFeed<number>();
    const heard: number[] = [];
    const listener = (c: EngineChange) => heard.push(c.update[0] as number);
    const first = feed.subscribe(listener);
    feed.subscribe(listener);
    feed.emit(change(1), 1);
    first();
    first(); // idempotent
    feed.emit(change(2), 2);
    expect(heard).toEqual([1, 1, 2]);
  });

  it('applies (un)subscriptions made while a change is told from the next change on', () => {
    const feed = new ChangeFeed<number>();
    const heard: string[] = [];
    let unsubscribeB: () => void = () => {};
    feed.subscribe((c) => {
      heard.push(`a${c.update[0]}`);
      if (c.update[0] === 1) {
        unsubscribeB();
        feed.subscribe((d) => heard.push(`c${d.update[0]}`));
      }
    });
    unsubscribeB = feed.subscribe((c) => heard.push(`b${c.update[0]}`));
    feed.emit(change(1), 1);
    feed.emit(change(2), 2);
    expect(heard).toEqual(['a1', 'b1', 'a2', 'c2']);
  });

  it('tells every listener even when one throws, then rethrows the first error', () => {
    const feed = new ChangeFeed<number>();
    const heard: number[] = [];
    feed.subscribe(() => {
      throw new Error('first');
    });
    feed.subscribe(() => {
      throw new Error('second');
    });
    feed.subscribe((c) => heard.push(c.update[0] as number));
    expect(() => feed.emit(change(7), 7)).toThrow('first');
    expect(heard).toEqual([7]);
    feed.clear();
    feed.emit(change(8), 8);
    expect(heard).toEqual([7]);
  });
});
