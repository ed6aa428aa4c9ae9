/** FNV-1a 64 (against published vectors and a BigInt reference), canonical JSON and view digests. */
import { fcParams } from '@converge/crdt-core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, fnv1a64Bytes, fnv1a64Hex, viewDigest } from '../../src/engines/kit/index.ts';
import { EMPTY_VIEW } from '../../src/workspace.ts';

function referenceFnv1a64(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

const utf8 = new TextEncoder();

describe('fnv1a64', () => {
  it('matches published test vectors', () => {
    expect(fnv1a64Hex(utf8.encode(''))).toBe('cbf29ce484222325');
    expect(fnv1a64Hex(utf8.encode('a'))).toBe('af63dc4c8601ec8c');
    expect(fnv1a64Hex(utf8.encode('foobar'))).toBe('85944171f73967e8');
  });

  it('matches a BigInt reference on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const hex = fnv1a64Hex(bytes);
        expect(hex).toBe(referenceFnv1a64(bytes));
        expect(Array.from(fnv1a64Bytes(bytes), (b) => b.toString(16).padStart(2, '0')).join('')).toBe(hex);
      }),
      fcParams(300, 5000),
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(canonicalJson({ x: undefined, y: 'é"' })).toBe('{"y":"é\\""}');
    expect(() => canonicalJson(() => 1)).toThrow(TypeError);
  });
});

describe('viewDigest', () => {
  const view = {
    text: 'hello',
    cart: { apple: 2, pear: 1 },
    counters: { likes: 3, stock: -1 },
    note: ['a', 'b'],
  };

  it('ignores key order and distinguishes any change of content', () => {
    const reordered = {
      note: ['a', 'b'],
      counters: { stock: -1, likes: 3 },
      cart: { pear: 1, apple: 2 },
      text: 'hello',
    };
    expect(viewDigest(reordered)).toBe(viewDigest(view));
    expect(viewDigest(view)).toMatch(/^[0-9a-f]{16}$/);
    const variants = [
      EMPTY_VIEW,
      { ...view, text: 'hellO' },
      { ...view, cart: { apple: 2 } },
      { ...view, cart: { apple: 2, pear: 0 } },
      { ...view, counters: { likes: 3, stock: 1 } },
      { ...view, note: ['b', 'a'] },
      { ...view, note: ['a'] },
    ];
    const digests = new Set([viewDigest(view), ...variants.map(viewDigest)]);
    expect(digests.size).toBe(variants.length + 1);
  });
});
