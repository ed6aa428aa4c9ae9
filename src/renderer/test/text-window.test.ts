import { describe, expect, it } from 'vitest';
import { textWindow } from '../logic/text-window.ts';

const limits = { whole: 50, context: 5, middle: 20 };

describe('textWindow', () => {
  it('shows a short text whole, marked against the primary', () => {
    const window = textWindow('[alpha]', '[bravo]', limits);
    expect(window.segments.map((s) => s.kind)).toContain('missing');
    expect(window.omittedBefore + window.omittedAfter).toBe(0);
    expect(textWindow('', '', limits).segments).toEqual([]);
  });

  it('shows only the beginning of a long text equal to the primary, counting the rest', () => {
    const long = 'abcdefghij'.repeat(10);
    const window = textWindow(long, long, limits);
    expect(window.same).toBe(true);
    expect(window.segments).toEqual([{ kind: 'same', text: long.slice(0, 10) }]);
    expect(window.omittedAfter).toBe(90);
  });

  it('shows a long text around its difference, with context, counting what it leaves out', () => {
    const head = 'h'.repeat(60);
    const tail = 't'.repeat(60);
    const window = textWindow(`${head}one${tail}`, `${head}two${tail}`, limits);
    expect(window.omittedBefore).toBe(55);
    expect(window.omittedAfter).toBe(55);
    const shown = window.segments
      .filter((s) => s.kind !== 'missing')
      .map((s) => s.text)
      .join('');
    expect(shown).toBe('hhhhhtwottttt');
    expect(window.segments.some((s) => s.kind === 'missing' && s.text === 'one')).toBe(true);
  });

  it('cuts a difference too long to diff, and says so', () => {
    const head = 'h'.repeat(60);
    const window = textWindow(`${head}${'a'.repeat(30)}`, `${head}${'b'.repeat(40)}`, limits);
    expect(window.truncated).toBe(true);
    expect(window.segments.find((s) => s.kind === 'extra')?.text).toBe('b'.repeat(20));
  });
});
