import { describe, expect, it } from 'vitest';
import { compareTexts, strikeLostText } from '../logic/text-compare.ts';

describe('compareTexts', () => {
  it('marks what only the other engine has and what only the primary has', () => {
    const segments = compareTexts('Hello World', 'Hello brave World!');
    expect(
      segments
        .filter((s) => s.kind !== 'missing')
        .map((s) => s.text)
        .join(''),
    ).toBe('Hello brave World!');
    expect(
      segments
        .filter((s) => s.kind !== 'extra')
        .map((s) => s.text)
        .join(''),
    ).toBe('Hello World');
    expect(segments.filter((s) => s.kind === 'extra').map((s) => s.text)).toEqual(['brave ', '!']);
  });

  it('is one shared run for equal texts and nothing for two empty ones', () => {
    expect(compareTexts('same', 'same')).toEqual([{ kind: 'same', text: 'same' }]);
    expect(compareTexts('', '')).toEqual([]);
  });
});

describe('strikeLostText', () => {
  it('places a lost version’s own text where it would have been', () => {
    const segments = strikeLostText('Goodbye', [{ replica: 'a', text: 'Hello World' }]);
    expect(
      segments
        .filter((s) => s.kind === 'kept')
        .map((s) => s.text)
        .join(''),
    ).toBe('Goodbye');
    // Unrelated texts: the lost one shows as one whole run, not letters scattered through the winner.
    expect(segments.filter((s) => s.kind === 'lost')).toEqual([
      { kind: 'lost', text: 'Hello World', replica: 'a' },
    ]);
  });

  it('shows an insertion the winner lacks exactly at its spot', () => {
    expect(strikeLostText('Hello World', [{ replica: 'b', text: 'Hello brave World' }])).toEqual([
      { kind: 'kept', text: 'Hello ' },
      { kind: 'lost', text: 'brave ', replica: 'b' },
      { kind: 'kept', text: 'World' },
    ]);
  });

  it('keeps the order of several lost versions at the same spot and ignores identical ones', () => {
    expect(
      strikeLostText('ac', [
        { replica: 'x', text: 'aXc' },
        { replica: 'y', text: 'aYc' },
        { replica: 'z', text: 'ac' },
      ]),
    ).toEqual([
      { kind: 'kept', text: 'a' },
      { kind: 'lost', text: 'X', replica: 'x' },
      { kind: 'lost', text: 'Y', replica: 'y' },
      { kind: 'kept', text: 'c' },
    ]);
  });

  it('is the winner alone when nothing was lost', () => {
    expect(strikeLostText('text', [])).toEqual([{ kind: 'kept', text: 'text' }]);
    expect(strikeLostText('', [])).toEqual([]);
  });
});
