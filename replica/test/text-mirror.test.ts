import { SeededRandom } from '@converge/crdt-core';
import { budget, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it, vi } from 'vitest';
import { applyTextDeltas, replacementDelta, type TextDelta } from '../src/text-delta.ts';
import { TextMirror } from '../src/text-mirror.ts';

function randomDelta(random: SeededRandom, length: number): TextDelta {
  const pos = random.int(0, length);
  const del = random.int(0, Math.min(length - pos, random.chance(0.25) ? 5000 : 8));
  const size = random.chance(0.25) ? random.int(0, 5000) : random.int(0, 3);
  let text = '';
  for (let i = 0; i < size; i++) text += String.fromCharCode(97 + random.int(0, 25));
  return { pos, del, text };
}

describe('TextMirror', () => {
  it('holds what the deltas make of the text, and hashes it like a mirror built from that text', () => {
    const seed = testSeed();
    const random = new SeededRandom(seed);
    const mirror = new TextMirror();
    let text = '';
    for (let step = 0; step < budget(400, 4000); step++) {
      const delta = randomDelta(random, text.length);
      text = applyTextDeltas(text, [delta]);
      mirror.apply([delta]);
      expect(mirror.length, `seed ${seed} step ${step}`).toBe(text.length);
      if (step % 37 === 0) {
        expect(mirror.toString(), `seed ${seed} step ${step}`).toBe(text);
        expect(mirror.hash(), `seed ${seed} step ${step}`).toBe(new TextMirror(text).hash());
        const from = random.int(0, text.length - 1);
        const to = from + random.int(0, text.length - from);
        expect(mirror.slice(from, to)).toBe(text.slice(from, to));
        // Short ranges (inside one chunk, or across a chunk's end), as around an edit.
        for (let k = 0; k < 20; k++) {
          const at = random.int(0, text.length);
          const len = random.int(0, 3);
          expect(mirror.slice(at, at + len), `seed ${seed} step ${step} at ${at}`).toBe(
            text.slice(at, at + len),
          );
        }
        if (text.length > 0) {
          const at = random.int(0, text.length - 1);
          expect(mirror.charCodeAt(at)).toBe(text.charCodeAt(at));
        }
      }
    }
  });

  it('reads code units and short slices right after every edit, typing on or jumping elsewhere', () => {
    // Reads go through the chunk read or edited last while no split or merge moved it: every edit here
    // (in place or not, before, inside or after that chunk) is followed by reads either side of it and
    // elsewhere, each checked against the text.
    const seed = testSeed();
    const random = new SeededRandom(seed);
    let text = 'abcdefghij'.repeat(40);
    const mirror = new TextMirror(text);
    let caret = random.int(0, text.length);
    for (let step = 0; step < budget(3000, 30000); step++) {
      const typing = random.chance(0.8);
      if (!typing) caret = random.int(0, text.length);
      const del = random.chance(0.2)
        ? random.int(0, Math.min(text.length - caret, random.chance(0.1) ? 200 : 2))
        : 0;
      const size = random.chance(0.05) ? random.int(60, 300) : random.int(del > 0 ? 0 : 1, 2);
      let inserted = '';
      for (let i = 0; i < size; i++) inserted += String.fromCharCode(97 + random.int(0, 25));
      const delta: TextDelta = { pos: caret, del, text: inserted };
      text = applyTextDeltas(text, [delta]);
      mirror.apply([delta]);
      caret += inserted.length;
      const where = `seed ${seed} step ${step}`;
      for (const at of [caret - 1, caret, caret - inserted.length - 1, random.int(0, text.length)]) {
        expect(mirror.charCodeAt(at), `${where} code unit ${at}`).toBe(text.charCodeAt(at));
        expect(mirror.slice(at, at + 2), `${where} slice ${at}`).toBe(text.slice(Math.max(0, at), at + 2));
      }
    }
    expect(mirror.toString()).toBe(text);
  });

  it('hashes a text after each of its edits like a mirror built from it', () => {
    const seed = testSeed();
    const random = new SeededRandom(seed);
    let text = 'x'.repeat(3000);
    const mirror = new TextMirror(text);
    for (let step = 0; step < budget(150, 1500); step++) {
      const delta = randomDelta(random, text.length);
      text = applyTextDeltas(text, [delta]);
      mirror.apply([delta]);
      expect(mirror.hash(), `seed ${seed} step ${step}`).toBe(new TextMirror(text).hash());
    }
  });

  it('hashes a large insertion only once its hash is asked for', () => {
    // A window shows a peer's 1 MB paste after its engine's mirror took it: hashing it whole first (for the
    // digest, announced later) held the text from the page.
    const mirror = new TextMirror('abc');
    mirror.hash();
    const read = vi.spyOn(String.prototype, 'charCodeAt');
    try {
      mirror.apply([{ pos: 1, del: 0, text: 'y'.repeat(20_000) }]);
      expect(read.mock.calls.length).toBeLessThan(100);
      expect(mirror.hash()).toBe(new TextMirror(`a${'y'.repeat(20_000)}bc`).hash());
    } finally {
      read.mockRestore();
    }
  });

  it('hashes different texts differently', () => {
    expect(new TextMirror('abc').hash()).not.toBe(new TextMirror('acb').hash());
    expect(new TextMirror('').hash()).not.toBe(new TextMirror('\u0000').hash());
    expect(new TextMirror('a'.repeat(5000)).hash()).not.toBe(new TextMirror('a'.repeat(5001)).hash());
  });

  it('hashes a text as the digest defines it, whatever edits built it', () => {
    // Digests cross windows, versions and the relay's storage peers: the arithmetic may change, the values
    // may not. h = Σ (code unit + 1)·B^(n−1−i) mod P, for two (B, P), against BigInt arithmetic.
    const definition = (text: string): string => {
      const poly = (base: bigint, prime: bigint): bigint => {
        let h = 0n;
        for (let i = 0; i < text.length; i++) h = (h * base + BigInt(text.charCodeAt(i) + 1)) % prime;
        return h;
      };
      const hex = (h: bigint): string => h.toString(16).padStart(7, '0');
      if (text === '') return '0:0000000000000000';
      return `${text.length}:${hex(poly(1000003n, 67108859n))}${hex(poly(999983n, 67108837n))}`;
    };
    const seed = testSeed();
    const random = new SeededRandom(seed);
    const mirror = new TextMirror();
    let text = '';
    expect(mirror.hash()).toBe(definition(''));
    for (let step = 0; step < budget(60, 600); step++) {
      // Any code unit (the top of the range makes the largest products), at any length across chunks.
      let inserted = '';
      const size = random.chance(0.2) ? random.int(0, 3000) : random.int(0, 70);
      for (let i = 0; i < size; i++)
        inserted += String.fromCharCode(
          random.chance(0.3) ? 0xffff - random.int(0, 8) : random.int(0, 0xffff),
        );
      const delta = { ...randomDelta(random, text.length), text: inserted };
      text = applyTextDeltas(text, [delta]);
      mirror.apply([delta]);
      expect(mirror.hash(), `seed ${seed} step ${step}`).toBe(definition(text));
    }
    expect(new TextMirror(text).hash()).toBe(definition(text));
  });

  it('reads the whole text once until its next edit, and the edited text after any edit', () => {
    const random = new SeededRandom(23);
    const mirror = new TextMirror('x'.repeat(3000));
    let expected = 'x'.repeat(3000);
    const join = vi.spyOn(mirror as unknown as { join(from: number, to: number): string }, 'join');
    expect(mirror.slice(0)).toBe(expected);
    expect(mirror.toString()).toBe(expected);
    expect(join).toHaveBeenCalledTimes(1);
    for (let step = 0; step < 200; step++) {
      // Small edits inside one chunk (edited in place) and large ones that split and merge chunks.
      const delta = randomDelta(random, expected.length);
      mirror.apply([delta]);
      expected = applyTextDeltas(expected, [delta]);
      expect(mirror.slice(0, mirror.length)).toBe(expected);
      expect(mirror.slice(0)).toBe(expected);
    }
  });

  it('refuses a delta beyond the text', () => {
    const mirror = new TextMirror('abc');
    expect(() => mirror.apply([{ pos: 2, del: 2, text: '' }])).toThrow(RangeError);
    expect(mirror.toString()).toBe('abc');
  });
});

describe('replacementDelta', () => {
  it('replaces only the middle that differs, never inside a surrogate pair', () => {
    expect(replacementDelta('hello world', 'hello brave world')).toEqual([
      { pos: 6, del: 0, text: 'brave ' },
    ]);
    expect(replacementDelta('same', 'same')).toEqual([]);
    const before = 'a\u{1F600}b';
    const after = 'a\u{1F601}b';
    const deltas = replacementDelta(before, after);
    expect(applyTextDeltas(before, deltas)).toBe(after);
    expect(deltas[0]?.pos).toBe(1);
  });
});
