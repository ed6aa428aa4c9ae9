// The op-free edit path (`Rga.insertUpdate`/`deleteUpdate`/`editUpdate`) against the op path
// (`insert`/`delete`, then `encodeRgaOp(s)`): random sessions edit two documents of the same replica side by side, one per
// path, and every update's bytes, its op, the texts, versions, snapshots and incremental saves must
// be identical. Remote edits, merges and saves in between take the paths out of their fast cases.
import {
  decodeRgaOps,
  encodeRgaOp,
  encodeRgaOps,
  type ReplicaId,
  Rga,
  type RgaOp,
  replicaId,
  SeededRandom,
} from '@converge/crdt-core';
import { budget, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';

const ASCII = 'abcdefghijklmnopqrstuvwxyz ';
const WIDE = ['é', '中', '😀', '\ud800'];

function someText(rng: SeededRandom, max: number): string {
  let text = '';
  const n = rng.int(1, max);
  for (let i = 0; i < n; i++) text += rng.chance(0.9) ? ASCII[rng.int(0, ASCII.length - 1)] : rng.pick(WIDE);
  return text;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Both paths' documents, edited alike; `expectSame` compares everything they expose. */
class Pair {
  readonly viaOps: Rga;
  readonly viaBytes: Rga;
  constructor(
    readonly self: ReplicaId,
    readonly context: string,
  ) {
    this.viaOps = new Rga(self);
    this.viaBytes = new Rga(self);
  }

  insert(index: number, text: string): void {
    const op = this.viaOps.insert(index, text);
    const update = this.viaBytes.insertUpdate(index, text);
    this.expectUpdate(op, update, `insert ${index} ${JSON.stringify(text)}`);
  }

  delete(index: number, length: number): void {
    const op = this.viaOps.delete(index, length);
    const update = this.viaBytes.deleteUpdate(index, length);
    this.expectUpdate(op, update, `delete ${index}+${length}`);
  }

  /** A splice: `editUpdate` against the ops of `delete`, then `insert`, encoded as one update. */
  replace(index: number, deleted: number, text: string): void {
    const ops: RgaOp[] = [];
    const del = this.viaOps.delete(index, deleted);
    if (del !== null) ops.push(del);
    const ins = this.viaOps.insert(index, text);
    if (ins !== null) ops.push(ins);
    const update = this.viaBytes.editUpdate(index, deleted, text);
    const where = `${this.context}: replace ${index}+${deleted} ${JSON.stringify(text)}`;
    if (ops.length === 0) expect(update, where).toBeNull();
    else {
      expect(hex(update as Uint8Array), where).toBe(hex(encodeRgaOps(ops)));
      expect(decodeRgaOps(update as Uint8Array), where).toEqual(ops);
    }
    expect(this.viaBytes.length, where).toBe(this.viaOps.length);
  }

  private expectUpdate(op: RgaOp | null, update: Uint8Array | null, what: string): void {
    const where = `${this.context}: ${what}`;
    if (op === null) {
      expect(update, where).toBeNull();
      return;
    }
    expect(update, where).not.toBeNull();
    // Compared as one string: a byte-wise toEqual on a pasted page's update is slow.
    expect(hex(update as Uint8Array), where).toBe(hex(encodeRgaOp(op)));
    expect(decodeRgaOps(update as Uint8Array), where).toEqual([op]);
    expect(this.viaBytes.length, where).toBe(this.viaOps.length);
  }

  /** Remote ops (already encoded elsewhere) applied to both. */
  apply(ops: readonly RgaOp[]): void {
    for (const op of ops) {
      expect(this.viaOps.apply(op)).toBe(this.viaBytes.apply(op));
    }
  }

  expectSame(what: string): void {
    const where = `${this.context}: ${what}`;
    expect(this.viaBytes.toString(), where).toBe(this.viaOps.toString());
    expect(this.viaBytes.length, where).toBe(this.viaOps.length);
    expect(this.viaBytes.version(), where).toEqual(this.viaOps.version());
    expect(this.viaBytes.encode(), where).toEqual(this.viaOps.encode());
  }
}

function session(seed: number, steps: number): void {
  const rng = new SeededRandom(seed);
  // Now and then a replica id too long for the fast paths' packed table (their null answers).
  const self = replicaId(rng.chance(0.2) ? `long-${'x'.repeat(80)}-${seed}` : `me-${seed % 97}`);
  const pair = new Pair(self, `seed ${seed} (TEST_SEED=${seed} replays it)`);
  const other = new Rga(replicaId(`peer-${seed % 89}`));
  let saving = false;
  for (let step = 0; step < steps; step++) {
    const length = pair.viaOps.length;
    const roll = rng.next();
    if (roll < 0.45) {
      // Typing on (mostly), one character: the op-free keystroke.
      const at = rng.chance(0.85) ? pairCursor(pair, length) : rng.int(0, length);
      pair.insert(at, rng.chance(0.95) ? (ASCII[rng.int(0, ASCII.length - 1)] as string) : someText(rng, 1));
    } else if (roll < 0.55) {
      pair.insert(rng.int(0, length), someText(rng, rng.chance(0.2) ? 40 : 4));
    } else if (roll < 0.65 && length > 0) {
      // A burst of backspaces or forward deletes: from the second on, each joins the tombstone the
      // one before made (the delete-within-one-run path that builds no op).
      let at = rng.int(0, length - 1);
      const backwards = rng.chance(0.5);
      for (let k = rng.int(1, 8); k > 0 && at >= 0 && at < pair.viaOps.length; k--) {
        pair.delete(at, 1);
        if (backwards) at--;
      }
    } else if (roll < 0.75 && length > 0) {
      // Backspace, forward delete, a selection (often within one run, sometimes across many).
      const at = rng.int(0, length - 1);
      const n = rng.chance(0.7) ? 1 : rng.int(1, Math.min(length - at, 30));
      pair.delete(at, n);
    } else if (roll < 0.77) {
      pair.insert(rng.int(0, length), '');
      pair.delete(rng.int(0, length), 0);
      pair.replace(rng.int(0, length), 0, rng.chance(0.5) ? '' : someText(rng, 3));
    } else if (roll < 0.8 && length > 0) {
      // Typing over a selection (within a run or across several), or a splice that only deletes.
      const at = rng.int(0, length - 1);
      pair.replace(at, rng.int(1, Math.min(length - at, 12)), rng.chance(0.8) ? someText(rng, 6) : '');
    } else if (roll < 0.82) {
      // A peer edits and we receive it (its runs interleave ours; the id index gets built). The
      // peer's update is encoded too, so the fast paths' cached table is the peer's next time.
      const ours = pair.viaOps.delta(other.version());
      expect(pair.viaBytes.delta(other.version()), `seed ${seed}: delta at step ${step}`).toEqual(ours);
      expect(other.applyAll(ours)).toEqual([]);
      const peerLength = other.length;
      const op =
        rng.chance(0.6) || peerLength === 0
          ? other.insert(rng.int(0, peerLength), someText(rng, 5))
          : other.delete(rng.int(0, peerLength - 1), 1);
      if (op !== null) pair.apply(decodeRgaOps(encodeRgaOp(op)));
    } else if (roll < 0.87) {
      // Incremental saves record ops: the op-free path builds them then.
      saving = true;
      expect(pair.viaBytes.save(), `seed ${seed}: save at step ${step}`).toEqual(pair.viaOps.save());
    } else if (roll < 0.9) {
      pair.expectSame(`step ${step}`);
    }
  }
  pair.expectSame('end');
  if (saving) expect(pair.viaBytes.save(), `seed ${seed}: last save`).toEqual(pair.viaOps.save());
}

/** Where the last insert ended (typing on), approximated from the text when unknown. */
const cursors = new WeakMap<Pair, number>();
function pairCursor(pair: Pair, length: number): number {
  const last = cursors.get(pair);
  const at = last !== undefined && last <= length ? last : length;
  cursors.set(pair, at + 1);
  return at;
}

describe('Rga op-free edits (insertUpdate / deleteUpdate / editUpdate)', () => {
  it('writes the bytes, ops, texts, versions, snapshots and saves of the op path over random sessions', () => {
    const first = testSeed();
    for (let i = 0; i < budget(16, 200); i++) session((first + i) >>> 0, 300);
  });

  it('types on past three-byte counters and after another replica used the fast paths', () => {
    const pair = new Pair(replicaId('big'), 'counters');
    const page = 'a'.repeat(16384);
    for (let i = 0; i < 130; i++) pair.insert(pair.viaOps.length, page);
    for (let i = 0; i < 5; i++) pair.insert(pair.viaOps.length, 'z');
    encodeRgaOp(new Rga(replicaId('someone-else')).insert(0, 'q') as RgaOp);
    pair.insert(pair.viaOps.length, 'y');
    pair.delete(pair.viaOps.length - 1, 1);
    expect(pair.viaBytes.version()).toEqual(pair.viaOps.version());
    expect(pair.viaBytes.toString() === pair.viaOps.toString()).toBe(true);
  });

  it('types on text of every length-prefix size, and inserts elsewhere after its own and no origins', () => {
    const pair = new Pair(replicaId('pastes'), 'lengths');
    pair.insert(0, 'x');
    // Typed on (after the cursor run): one character, then lengths at each varint size's edges.
    for (const n of [1, 2, 127, 128, 129, 16383, 16384, 16385, 40000])
      pair.insert(pair.viaOps.length, 'b'.repeat(n));
    pair.insert(pair.viaOps.length, 'tail é');
    // Elsewhere: at the start (no left origin), inside a run (own right origin), after a backspace.
    pair.insert(0, 'start');
    pair.insert(3, 'mid'.repeat(50));
    pair.delete(pair.viaOps.length - 1, 1);
    pair.insert(pair.viaOps.length, 'back');
    pair.replace(2, 3, 'swap');
    expect(pair.viaBytes.toString() === pair.viaOps.toString()).toBe(true);
  });

  it('answers an empty insert or delete with null and checks its arguments as insert/delete do', () => {
    const doc = new Rga(replicaId('me'));
    expect(doc.insertUpdate(0, '')).toBeNull();
    expect(doc.deleteUpdate(0, 0)).toBeNull();
    expect(() => doc.insertUpdate(1, 'x')).toThrow(RangeError);
    expect(() => doc.deleteUpdate(0, 1)).toThrow(RangeError);
    expect(() => doc.insertUpdate(0, 5 as unknown as string)).toThrow(TypeError);
    expect(doc.editUpdate(0, 0, '')).toBeNull();
    doc.insert(0, 'abc');
    // A bad splice changes nothing: neither its delete nor its insert.
    expect(() => doc.editUpdate(1, 1, 5 as unknown as string)).toThrow(TypeError);
    expect(() => doc.editUpdate(1, 3, 'x')).toThrow(RangeError);
    expect(doc.toString()).toBe('abc');
  });
});
