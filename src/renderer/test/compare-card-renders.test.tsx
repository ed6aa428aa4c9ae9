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

const { ComparePanel, COMPARE_REFRESH_MS } = await import('../components/ComparePanel.tsx');

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
    // The cards update at most every COMPARE_REFRESH_MS: a stepped clock and timers pass that time.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    badgeRenders.clear();
    host = document.createElement('div');
    document.body.append(host);
    root = createRoot(host);
  });
  afterEach(() => {
    act(() => root.unmount());
    host.remove();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });
  const runFrames = (): void =>
    act(() => {
      vi.advanceTimersByTime(COMPARE_REFRESH_MS);
      for (const frame of frames.splice(0)) frame(0);
    });

  it("renders only the card whose text comparison changed, not its neighbours'", () => {
    const descriptors = factsOf(['converge', 'yjs', 'lww']);
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

  it('shows a change made soon after another once COMPARE_REFRESH_MS has passed, in a frame', () => {
    const descriptors = factsOf(['converge', 'lww']);
    const { feed, change } = fakeFeed({ converge: 'abc', lww: 'abc' });
    act(() =>
      root.render(
        <ComparePanel
          schema={WORKSPACE}
          descriptors={descriptors}
          primary="converge"
          engines={{}}
          texts={feed}
          convergence={{}}
          comparisons={{}}
          offline={false}
          loading={[]}
          behind={[]}
          exportReport={() => Promise.reject(new Error('not exported here'))}
        />,
      ),
    );
    runFrames();
    const before = badgeRenders.get('lww') ?? 0;
    change('lww', 'abX');
    runFrames();
    expect(badgeRenders.get('lww')).toBe(before + 1);
    // Within the interval: no update in the next frames, until the interval has passed.
    change('lww', 'abXY');
    act(() => {
      vi.advanceTimersByTime(COMPARE_REFRESH_MS / 2);
      for (const frame of frames.splice(0)) frame(0);
    });
    expect(badgeRenders.get('lww')).toBe(before + 1);
    const grid = host.querySelector('.compare-grid');
    expect(grid?.getAttribute('aria-busy')).toBe('true');
    runFrames();
    expect(badgeRenders.get('lww')).toBe(before + 2);
    expect(grid?.hasAttribute('aria-busy')).toBe(false);
    expect(frames).toEqual([]);
  });
});

/** Engines' facts made here: their own code is not needed (nor loadable in this DOM environment). */
function factsOf(names: readonly string[]): EngineFacts[] {
  return names.map(
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
}
