import { fcParams } from '@converge/crdt-core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transformPosition, transformSelection } from '../logic/caret.ts';

describe('caret transform', () => {
  it('moves the caret right by text inserted before it and not by text inserted after it', () => {
    expect(transformPosition('hello world', 'oh hello world', 6)).toBe(9);
    expect(transformPosition('hello world', 'hello brave world', 3)).toBe(3);
    expect(transformPosition('hello world', 'hello world!!', 11)).toBe(11);
  });

  it('keeps a caret in front of text inserted exactly at it', () => {
    expect(transformPosition('ab', 'aXb', 1)).toBe(1);
    expect(transformPosition('ab', 'aXb', 1, 'right')).toBe(2);
  });

  it('moves a caret inside deleted text to where the deletion was', () => {
    expect(transformPosition('hello world', 'hello', 8)).toBe(5);
    expect(transformPosition('abcdef', 'af', 3)).toBe(1);
  });

  it('moves left by text deleted before it', () => {
    expect(transformPosition('one two three', 'two three', 10)).toBe(6);
  });

  it('keeps a selection on the text it covered', () => {
    // "world" selected; a remote edit inserts before and at the edges.
    const selection = transformSelection('hello world', 'well, hello world!', { start: 6, end: 11 });
    expect('well, hello world!'.slice(selection.start, selection.end)).toBe('world');
  });

  it('collapses a selection whose text was deleted', () => {
    expect(transformSelection('abcdef', 'af', { start: 2, end: 4 })).toEqual({ start: 1, end: 1 });
  });

  it('keeps the text left of the caret attached to it when a remote edit is elsewhere (property)', () => {
    // Unique characters make the diff exact, so the expected caret is known.
    const alphabet = 'abcdefghijklmnopqrstuvwxyz';
    fc.assert(
      fc.property(fc.nat(26), fc.nat(26), fc.nat(4), fc.boolean(), (caretAt, at, len, insert) => {
        const before = alphabet;
        const caret = caretAt % (before.length + 1);
        const pos = at % (before.length + 1);
        const after = insert
          ? `${before.slice(0, pos)}0123${before.slice(pos)}`
          : before.slice(0, pos) + before.slice(Math.min(before.length, pos + len));
        const moved = transformPosition(before, after, caret);
        let expected: number;
        if (insert) expected = pos < caret ? caret + 4 : caret;
        else {
          const end = Math.min(before.length, pos + len);
          expected = caret <= pos ? caret : caret >= end ? caret - (end - pos) : pos;
        }
        expect(moved).toBe(expected);
      }),
      fcParams(300, 20_000),
    );
  });
});
