// Rga.save's bytes over the real editing traces, pinned: saves every few hundred edits of every
// sequential trace in ../shared/traces, by the typing replica (its own edits) and by a replica
// applying them (remote operations), hashed and compared with the hashes the code wrote before its
// journal coalesced operations as they were recorded. Any byte that changes fails. Skipped with a
// notice when the traces folder is absent.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decodeRgaOps, Rga, replicaId } from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';

const TRACES = resolve(import.meta.dirname, '../../../shared/traces');

type Patch = [position: number, deleted: number, inserted: string];

/** Hashes of every save, per trace: the typist's, then the reader's. */
const PINNED: Record<string, readonly [string, string]> = {
  'automerge-paper.json.gz': [
    'add4e91cc664895baa13f880354ed46ef5a8b73f022248e68e0aee1275715cda',
    'add4e91cc664895baa13f880354ed46ef5a8b73f022248e68e0aee1275715cda',
  ],
  'seph-blog1.json.gz': [
    'ca827602483d8fe2df20c1e52d943f290054923bba6ecc6d80a72786ab6696fd',
    'ca827602483d8fe2df20c1e52d943f290054923bba6ecc6d80a72786ab6696fd',
  ],
  'friendsforever_flat.json.gz': [
    '9c8c1b73dcaa0fcecaafb31d76aa292e871aaa80ce13d998276294274a48db96',
    '9c8c1b73dcaa0fcecaafb31d76aa292e871aaa80ce13d998276294274a48db96',
  ],
  'json-crdt-patch.json.gz': [
    '05235a9d7cdd0bff64bbe15f1354b05ee95ae01ee8fc72dfda8847e8ad751e83',
    '05235a9d7cdd0bff64bbe15f1354b05ee95ae01ee8fc72dfda8847e8ad751e83',
  ],
};

/** Edits between saves: the replica's compaction interval, and two that cut stretches anywhere. */
const INTERVALS = [1000, 337, 61];

function saveHashes(file: string): [string, string] {
  const trace = JSON.parse(gunzipSync(readFileSync(join(TRACES, file))).toString('utf8')) as {
    txns: { patches: Patch[] }[];
  };
  const typist = new Rga(replicaId('trace'));
  const reader = new Rga(replicaId('reader'));
  const typistHash = createHash('sha256');
  const readerHash = createHash('sha256');
  typistHash.update(typist.save());
  readerHash.update(reader.save());
  let edits = 0;
  let next = INTERVALS[0] as number;
  for (const txn of trace.txns) {
    for (const [position, deleted, inserted] of txn.patches) {
      const update = typist.editUpdate(position, deleted, inserted);
      if (update !== null) for (const op of decodeRgaOps(update)) reader.apply(op);
      if (++edits === next) {
        typistHash.update(typist.save());
        readerHash.update(reader.save());
        next += INTERVALS[(edits >> 4) % INTERVALS.length] as number;
      }
    }
  }
  typistHash.update(typist.save());
  readerHash.update(reader.save());
  return [typistHash.digest('hex'), readerHash.digest('hex')];
}

const files = existsSync(TRACES)
  ? [
      'automerge-paper.json.gz',
      'seph-blog1.json.gz',
      'friendsforever_flat.json.gz',
      'json-crdt-patch.json.gz',
    ].filter((f) => existsSync(join(TRACES, f)))
  : [];

describe.skipIf(files.length === 0)('Rga.save over real editing traces', () => {
  it.each(files)('%s saves the pinned bytes', (file) => {
    const hashes = saveHashes(file);
    if (process.env.PRINT_SAVE_HASHES) console.log(JSON.stringify({ [file]: hashes }));
    expect(hashes).toEqual(PINNED[file]);
  });
});
