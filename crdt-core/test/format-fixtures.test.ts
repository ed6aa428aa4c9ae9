// Documents and updates written by earlier versions of the encoders (fixtures/, see its README) open
// with the current decoders into exactly what the same edits build now.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as lib from '@converge/crdt-core';
import { decodeRgaOps, Rga, type RgaOp, replicaId } from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';
import { formatHistory } from './support/format-history.ts';

interface Fixture {
  readonly description: string;
  readonly documents: Record<string, string>;
  readonly texts: Record<string, string>;
  readonly updates: readonly string[];
}

const dir = join(import.meta.dirname, 'fixtures');
const files = readdirSync(dir).filter((name) => name.endsWith('.json'));
const bytes = (base64: string): Uint8Array => new Uint8Array(Buffer.from(base64, 'base64'));
const reader = replicaId('reader');

/** A fresh document that has applied `batches` (retrying those that wait for others). */
function applied(batches: readonly (readonly RgaOp[])[]): Rga {
  const doc = new Rga(reader);
  expect(doc.applyAll(batches.flat())).toEqual([]);
  doc.assertInvariants();
  return doc;
}

describe('documents and updates in earlier formats', () => {
  it('has fixtures of both earlier snapshot variants', () => {
    expect(files).toEqual(expect.arrayContaining(['format-1-85f071a.json', 'format-1-41ed6b1.json']));
  });

  const history = formatHistory(lib);

  for (const file of files) {
    const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture;

    describe(file, () => {
      it('opens every snapshot into the document the same edits build now', () => {
        expect(Object.keys(fixture.documents)).toEqual(history.docs.map((d) => d.name));
        for (const { name, doc } of history.docs) {
          const opened = Rga.decode(bytes(fixture.documents[name] as string), reader);
          opened.assertInvariants();
          expect(opened.toString(), name).toBe(fixture.texts[name]);
          expect(opened.toString(), name).toBe(doc.toString());
          expect(opened.version(), name).toEqual(doc.version());
          // Same runs, ids, origins and tombstones: the current encoder writes the same bytes for both.
          expect(opened.encode(), name).toEqual(Rga.decode(doc.encode(), reader).encode());
          expect(opened.delta(), name).toEqual(Rga.decode(doc.encode(), reader).delta());
        }
      });

      it('decodes every update into the operations the same edits make now', () => {
        const old = fixture.updates.map((update) => decodeRgaOps(bytes(update)));
        expect(old.map((ops) => ops.length)).toEqual(history.batches.map((ops) => ops.length));
        old.forEach((ops, i) => {
          ops.forEach((op, k) => {
            const now = (history.batches[i] as RgaOp[])[k] as RgaOp;
            expect(op.kind).toBe(now.kind);
            if (op.kind === 'delete' || now.kind === 'delete') expect(op).toEqual(now);
            else {
              expect([op.id, op.left], `batch ${i} op ${k}`).toEqual([now.id, now.left]);
              if (op.kind === 'insert' && now.kind === 'insert') expect(op.text).toBe(now.text);
            }
          });
        });
        // Right origins included: applying them builds the same document as applying today's.
        expect(applied(old).encode()).toEqual(applied(history.batches).encode());
      });
    });
  }
});
