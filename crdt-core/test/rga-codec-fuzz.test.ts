// Decoder fuzzing for the RGA codecs: random and mutated bytes must decode to a value or throw a
// DecodeError, nothing else; accepted values must be usable and re-encode to a fixed point.
import { decodeRgaOps, encodeRgaOps, Rga, type RgaOp, replicaId, SeededRandom } from '@converge/crdt-core';
import { budget, fuzzDecoder, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';

const CASES = budget(2000, 100_000);

/** A few documents with several replicas, tombstones, non-ASCII text and a split surrogate pair. */
function sampleDocs(): Rga[] {
  const rng = new SeededRandom(7);
  const a = new Rga(replicaId('alice'));
  const b = new Rga(replicaId('bob'));
  a.insert(0, 'héllo wörld 😀');
  b.applyAll(a.delta());
  b.insert(3, 'XYZ');
  a.delete(1, 4);
  a.applyAll(b.delta(a.version()));
  b.applyAll(a.delta(b.version()));
  for (let i = 0; i < 40; i++) {
    const doc = rng.chance(0.5) ? a : b;
    if (rng.chance(0.6) || doc.length < 3)
      doc.insert(rng.int(0, doc.length), rng.pick(['a', 'bc', 'é', '∑', 'xyz']));
    else doc.delete(rng.int(0, doc.length - 2), 1);
  }
  a.applyAll(b.delta(a.version()));
  const single = new Rga(replicaId('solo'));
  single.insert(0, 'x');
  return [a, b, new Rga(replicaId('empty')), single];
}

function sampleUpdates(docs: readonly Rga[]): Uint8Array[] {
  const [a] = docs as [Rga];
  const typing = new Rga(replicaId('typist'));
  const ops: RgaOp[] = [];
  for (const ch of 'abc') ops.push(typing.insert(typing.length, ch) as RgaOp);
  ops.push(typing.delete(1, 1) as RgaOp);
  return [
    ...ops.map((op) => encodeRgaOps([op])),
    encodeRgaOps(ops),
    encodeRgaOps(a.delta()),
    encodeRgaOps(a.delta({ alice: 3 })),
    encodeRgaOps([]),
  ];
}

describe('RGA decoders under fuzzing', () => {
  const docs = sampleDocs();

  it('decodeRgaOps accepts or rejects cleanly', () => {
    const report = fuzzDecoder('decodeRgaOps', decodeRgaOps, sampleUpdates(docs), {
      cases: CASES,
      seed: testSeed(),
      encode: encodeRgaOps,
      check: (ops) => {
        // Applying decoded ops to a document either works, waits, or is refused with a clear error.
        const doc = new Rga(replicaId('target'));
        try {
          doc.applyAll(ops);
        } catch (error) {
          if (!(error instanceof RangeError || error instanceof TypeError)) throw error;
        }
        doc.assertInvariants();
      },
    });
    expect(report.rejected).toBeGreaterThan(0);
  });

  it('Rga.decode accepts or rejects cleanly, and accepted documents work', () => {
    const decode = (bytes: Uint8Array) => Rga.decode(bytes, replicaId('reader'));
    const report = fuzzDecoder(
      'Rga.decode',
      decode,
      docs.map((doc) => doc.encode()),
      {
        cases: CASES,
        seed: testSeed(),
        encode: (doc) => doc.encode(),
        check: (doc) => {
          doc.assertInvariants();
          const text = doc.toString();
          doc.insert(doc.length, '!');
          if (doc.length > 1) doc.delete(0, 1);
          expect(doc.toString()).toBe(text.length > 0 ? `${text.slice(1)}!` : '!');
          doc.assertInvariants();
          // Its delta rebuilds it elsewhere.
          const copy = new Rga(replicaId('copy'));
          try {
            copy.applyAll(doc.delta());
          } catch (error) {
            if (!(error instanceof RangeError)) throw error;
          }
        },
      },
    );
    expect(report.rejected).toBeGreaterThan(0);
  });
});
