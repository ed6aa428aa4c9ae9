import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ConvergedBadge, type ConvergedBadgeProps } from '../components/ConvergedBadge.tsx';

function stateOf(props: Partial<ConvergedBadgeProps>): string | undefined {
  const html = renderToStaticMarkup(
    createElement(ConvergedBadge, { engine: 'automerge', convergence: undefined, hosted: true, ...props }),
  );
  return /data-state="([^"]+)"/.exec(html)?.[1];
}

describe('ConvergedBadge', () => {
  // A progressive open builds each engine when it loads: until then it has no status (so no traffic).
  it('says "loading" for an engine still loading, though it has no status yet', () => {
    expect(stateOf({ hosted: false, loading: true })).toBe('loading');
  });

  it('says "catching up" for an engine behind on a large edit, though it has no status', () => {
    expect(stateOf({ hosted: false, behind: true })).toBe('behind');
  });

  it('says "unavailable" only for an engine neither hosted nor loading', () => {
    expect(stateOf({ hosted: false })).toBe('unavailable');
  });
});
