// @vitest-environment happy-dom
/** The Compare panel's cards render again for their own data only, not for every text comparison. */
import { type EngineFacts, WORKSPACE } from '@converge/replica/descriptors';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TextFeed, TextUpdate } from '../logic/text-feed.ts';

// Each card's badge counts its card's renders (the badge is a plain child of the card).
const badgeRenders = vi.hoisted(() => new Map<string, number>());
vi.mock('../components/ConvergedBadge.tsx', () => ({
  ConvergedBadge: ({ engine }: { engine: string }) => {
    badgeRenders.set(engine, (badgeRenders.get(engine) ?? 0) + 1);
    return null;
  },
}));

const { ComparePanel } = await import('../components/ComparePanel.tsx');

/** A feed whose texts the test sets. */
function fakeFeed(texts: Record<string, string>) {
  const listeners = new Map<string, (update: TextUpdate) => void>();
  const feed: TextFeed = {
    length: (engine) => texts[engine]?.length ?? 0,
    slice: (engine, _field, from, to) => (texts[engine] ?? '').slice(from, to),
    text: (engine) => texts[engine] ?? '',
    subscribe: (engine, _field, listener) => {
      listeners.set(engine, listener);
      return () => listeners.delete(engine);
    },
    close: () => {},
  };
  const change = (engine: string, text: string): void => {
    const before = texts[engine] ?? '';
    texts[engine] = text;
    const changes = [{ from: 0, to: before.length, insert: text }];
    listeners.get(engine)?.({ engine, field: 'text', origin: 'remote', changes, length: text.length });
  };
  return { feed, change };
}

describe('ComparePanel', () => {
  let frames: FrameRequestCallback[] = [];
  let root: Root;
  let host: HTMLElement;
  beforeEach(() => {
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
    frames = [];
    vi.stubGlobal('requestAnimationFrame', (callback: FrameRequestCallback) => frames.push(callback));
    badgeRenders.clear();
    host = document.createElement('div');
    document.body.append(host);
    root = createRoot(host);
  });
  afterEach(() => {
    act(() => root.unmount());
    host.remove();
    vi.unstubAllGlobals();
  });
  const runFrames = (): void =>
    act(() => {
      for (const frame of frames.splice(0)) frame(0);
    });

  it("renders only the card whose text comparison changed, not its neighbours'", () => {
    const names = ['converge', 'yjs', 'lww'] as const;
    // Facts made here: the engines' own code is not needed (nor loadable in this DOM environment).
    const descriptors = names.map(
      (name, index) =>
        ({
          name,
          label: name,
          description: `the ${name} engine`,
          wireCode: index + 1,
          completeVersion: true,
          cartRules: { step: 'adds', set: 'last writer' },
          keepsLedger: false,
          versionsAreHeads: false,
        }) as unknown as EngineFacts,
    );
    const { feed, change } = fakeFeed({ converge: 'abc', yjs: 'abc', lww: 'abc' });
    const props = {
      schema: WORKSPACE,
      descriptors,
      primary: 'converge',
      engines: {},
      texts: feed,
      convergence: {},
      comparisons: {},
      offline: false,
      loading: [],
      behind: [],
      exportReport: () => Promise.reject(new Error('not exported here')),
    };
    act(() => root.render(<ComparePanel {...props} />));
    runFrames();
    const before = new Map(badgeRenders);
    expect(before.get('yjs')).toBeGreaterThan(0);

    change('lww', 'abX');
    runFrames();
    expect(badgeRenders.get('lww')).toBe((before.get('lww') ?? 0) + 1);
    expect(badgeRenders.get('yjs')).toBe(before.get('yjs'));
    expect(badgeRenders.get('converge')).toBe(before.get('converge'));

    // Changed again to the same text: compared again, the same window, no card renders.
    change('lww', 'abX');
    runFrames();
    expect(badgeRenders.get('lww')).toBe((before.get('lww') ?? 0) + 1);
    expect(badgeRenders.get('yjs')).toBe(before.get('yjs'));
  });
});
