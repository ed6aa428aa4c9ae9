/**
 * A copy of one engine's text kept up to date from its deltas (text-delta.ts), and what the runtime
 * needs of it per keystroke without reading it whole: its length, a slice, a code unit, and a hash.
 *
 * The text is a treap (a randomized balanced tree) of chunks of at most MAX_CHUNK code units; every
 * node knows its subtree's length and polynomial hash, so an edit costs O(edit + chunk + log n) and the
 * hash of the whole text is at the root. Hashes are computed when the hash is asked for, not on every
 * change (a remote 1 MB paste reached the page after hashing it whole first): a change marks the nodes it
 * touches, and `hash()` recomputes only those. The hash is two polynomial hashes modulo primes below 2^26
 * (52 bits, exact in doubles): equal texts hash equal in every engine, whatever edits built them, so it serves the
 * cross-engine state digest. Not cryptographic: it detects accidental difference, nothing more.
 */
import type { TextDelta } from './text-delta.ts';

const MAX_CHUNK = 64;
const BUILD_CHUNK = 48;

// Primes below 2^26: a product of two residues stays below 2^52, exact in a double.
const P1 = 67108859;
const P2 = 67108837;
const B1 = 1000003;
const B2 = 999983;

// Their reciprocals, for `reduce`.
const I1 = 1 / P1;
const I2 = 1 / P2;

/**
 * x mod p for an integer 0 ≤ x < 2^52 and p < 2^26, `inverse` = 1 / p: the quotient from the reciprocal
 * is off by at most one (its relative error is ~2^-52, x / p < 2^26), which one step corrects. Exact,
 * the same as `x % p`, and several times faster: V8 computes `%` of such doubles by a call to fmod, and a
 * 1 MB text's hash (a reopened window's first digest, before its text is shown) is two of them a character.
 */
function reduce(x: number, p: number, inverse: number): number {
  const r = x - Math.floor(x * inverse) * p;
  return r < 0 ? r + p : r >= p ? r - p : r;
}

/** a·b mod p for a, b < p < 2^26 (exact: the product is below 2^52); `inverse` = 1 / p. */
function mulmod(a: number, b: number, p: number, inverse: number): number {
  return reduce(a * b, p, inverse);
}

/** B^k for every chunk length, so a chunk's power is a lookup. */
const POWERS1 = powers(B1, P1);
const POWERS2 = powers(B2, P2);

function powers(base: number, p: number): Float64Array {
  const table = new Float64Array(MAX_CHUNK + 1);
  table[0] = 1;
  for (let k = 1; k <= MAX_CHUNK; k++) table[k] = mulmod(table[k - 1] as number, base, p, 1 / p);
  return table;
}

interface Node {
  chunk: string;
  readonly priority: number;
  left: Node | null;
  right: Node | null;
  /** Whether ch1..cp2 are the chunk's, and whether h1..p2 are the subtree's (else `hash()` computes them). */
  chunkHashed: boolean;
  hashed: boolean;
  /** The chunk's own hashes and base powers (B^chunk.length). */
  ch1: number;
  ch2: number;
  cp1: number;
  cp2: number;
  /** The subtree's length, hashes and base powers. */
  len: number;
  h1: number;
  h2: number;
  p1: number;
  p2: number;
}

export class TextMirror {
  private root: Node | null = null;
  /** `hash()` until the next change. */
  private cachedHash: string | undefined;
  /**
   * The whole text, once read, until the next change: a window's start reads it more than once (its
   * start views, then the texts it hands the page), each read otherwise joining every chunk again.
   */
  private cachedText: string | undefined;
  /** xorshift32 state for priorities: deterministic, so runs replay exactly. */
  private seed = 0x9e3779b9;
  /**
   * A finger: the chunk read or edited last and where it starts, while no split or merge has moved it
   * (edits inside one chunk keep every chunk where it is up to and including the edited one, and point the
   * finger at it). While typing, the code unit before the caret is in that chunk: read without a walk.
   */
  private finger: Node | null = null;
  private fingerStart = 0;

  constructor(text = '') {
    if (text.length > 0) this.root = this.build(text);
  }

  get length(): number {
    return this.root?.len ?? 0;
  }

  /** 16 hex digits of the text's hash, and its length: equal texts give equal strings. */
  hash(): string {
    this.cachedHash ??= this.computeHash();
    return this.cachedHash;
  }

  private computeHash(): string {
    const r = this.root;
    if (r === null) return '0:0000000000000000';
    hashAll(r);
    return `${r.len}:${r.h1.toString(16).padStart(7, '0')}${r.h2.toString(16).padStart(7, '0')}`;
  }

  /** Apply an engine's deltas, in order. Throws RangeError (changing nothing more) for one beyond the text. */
  apply(deltas: readonly TextDelta[]): void {
    this.cachedHash = undefined;
    this.cachedText = undefined;
    for (const delta of deltas) this.applyOne(delta);
  }

  /** The code units [from, to). */
  slice(from: number, to: number = this.length): string {
    const start = Math.max(0, Math.min(from, this.length));
    const end = Math.max(start, Math.min(to, this.length));
    if (start === end) return '';
    if (start === 0 && end === this.length) {
      this.cachedText ??= this.join(0, end);
      return this.cachedText;
    }
    // A range inside one chunk (a character either side of an edit, a short deletion): that chunk's own
    // slice, without a list of parts to join. The runtime reads one around every keystroke.
    const finger = this.finger;
    if (finger !== null) {
      const at = start - this.fingerStart;
      if (at >= 0 && at + end - start <= finger.chunk.length) return finger.chunk.slice(at, at + end - start);
    }
    let node = this.root;
    let offset = start;
    while (node !== null) {
      const leftLen = node.left?.len ?? 0;
      if (offset < leftLen) node = node.left;
      else if (offset < leftLen + node.chunk.length) {
        const at = offset - leftLen;
        if (at + end - start > node.chunk.length) break;
        this.finger = node;
        this.fingerStart = start - at;
        return node.chunk.slice(at, at + end - start);
      } else {
        offset -= leftLen + node.chunk.length;
        node = node.right;
      }
    }
    return this.join(start, end);
  }

  private join(start: number, end: number): string {
    const parts: string[] = [];
    collect(this.root, start, end, parts);
    return parts.join('');
  }

  /** The code unit at `index`, or NaN outside the text (like String.prototype.charCodeAt). */
  charCodeAt(index: number): number {
    const finger = this.finger;
    if (finger !== null) {
      const at = index - this.fingerStart;
      if (at >= 0 && at < finger.chunk.length) return finger.chunk.charCodeAt(at);
    }
    let node = this.root;
    let i = index;
    while (node !== null) {
      const leftLen = node.left?.len ?? 0;
      if (i < leftLen) node = node.left;
      else if (i < leftLen + node.chunk.length) {
        this.finger = node;
        this.fingerStart = index - (i - leftLen);
        return node.chunk.charCodeAt(i - leftLen);
      } else {
        i -= leftLen + node.chunk.length;
        node = node.right;
      }
    }
    return Number.NaN;
  }

  toString(): string {
    return this.slice(0, this.length);
  }

  private applyOne({ pos, del, text }: TextDelta): void {
    if (
      !(
        Number.isSafeInteger(pos) &&
        Number.isSafeInteger(del) &&
        pos >= 0 &&
        del >= 0 &&
        pos + del <= this.length
      )
    )
      throw new RangeError(`text delta ${pos}+${del} is beyond the text (length ${this.length})`);
    if (del > 0 && !this.editInChunk(pos, del, '')) {
      this.finger = null;
      const [before, rest] = this.split(this.root, pos);
      const [, after] = this.split(rest, del);
      this.root = merge(before, after);
    }
    if (text.length > 0 && !this.editInChunk(pos, 0, text)) {
      this.finger = null;
      const [before, after] = this.split(this.root, pos);
      this.root = merge(merge(before, this.build(text)), after);
    }
  }

  /**
   * The common case, in place: an edit inside one chunk that keeps it within MAX_CHUNK. Marks that
   * chunk and its ancestors for hashing. False when the edit does not fit in one chunk.
   */
  private editInChunk(pos: number, del: number, text: string): boolean {
    const path: Node[] = [];
    let node = this.root;
    let i = pos;
    while (node !== null) {
      path.push(node);
      const leftLen = node.left?.len ?? 0;
      if (i < leftLen || (i === leftLen && del === 0 && node.left !== null && i > 0)) node = node.left;
      else if (i <= leftLen + node.chunk.length) {
        const offset = i - leftLen;
        if (offset + del > node.chunk.length) return false;
        const next = node.chunk.slice(0, offset) + text + node.chunk.slice(offset + del);
        if (next.length > MAX_CHUNK || next.length === 0) return false;
        node.chunk = next;
        node.chunkHashed = false;
        // Chunks before this one did not move; those after it did, so the finger points here now.
        this.finger = node;
        this.fingerStart = pos - offset;
        for (let k = path.length - 1; k >= 0; k--) update(path[k] as Node);
        return true;
      } else {
        i -= leftLen + node.chunk.length;
        node = node.right;
      }
    }
    return false;
  }

  /** [the first k code units, the rest], splitting the chunk k falls inside. */
  private split(node: Node | null, k: number): [Node | null, Node | null] {
    if (node === null) return [null, null];
    const leftLen = node.left?.len ?? 0;
    if (k <= leftLen) {
      const [a, b] = this.split(node.left, k);
      node.left = b;
      update(node);
      return [a, node];
    }
    if (k >= leftLen + node.chunk.length) {
      const [a, b] = this.split(node.right, k - leftLen - node.chunk.length);
      node.right = a;
      update(node);
      return [node, b];
    }
    const offset = k - leftLen;
    const tail = this.node(node.chunk.slice(offset));
    tail.right = node.right;
    update(tail);
    node.chunk = node.chunk.slice(0, offset);
    node.right = null;
    node.chunkHashed = false;
    update(node);
    return [node, tail];
  }

  /**
   * The treap of `text` in BUILD_CHUNK pieces, in linear time: the pieces come in order, so the tree is
   * their Cartesian tree by priority, built with a stack of its right spine (each piece is pushed and
   * popped once), then its aggregates computed once, bottom up. Merging the pieces one by one gives the
   * same tree (ties go to the later piece, as `merge` does), but walks and recomputes the right spine
   * for each: O(n/BUILD_CHUNK · log n), about half the time a new window takes in a 1 MB text.
   */
  private build(text: string): Node | null {
    const spine: Node[] = [];
    for (let i = 0; i < text.length; i += BUILD_CHUNK) {
      const node = this.node(text.slice(i, i + BUILD_CHUNK));
      let last: Node | null = null;
      while (spine.length > 0 && !((spine[spine.length - 1] as Node).priority > node.priority))
        last = spine.pop() as Node;
      node.left = last;
      if (spine.length > 0) (spine[spine.length - 1] as Node).right = node;
      spine.push(node);
    }
    const root = spine[0] ?? null;
    updateAll(root);
    return root;
  }

  private node(chunk: string): Node {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    const node: Node = {
      chunk,
      priority: this.seed,
      left: null,
      right: null,
      chunkHashed: false,
      hashed: false,
      ch1: 0,
      ch2: 0,
      cp1: 1,
      cp2: 1,
      len: 0,
      h1: 0,
      h2: 0,
      p1: 1,
      p2: 1,
    };
    update(node);
    return node;
  }
}

function chunkHash(node: Node): void {
  let h1 = 0;
  let h2 = 0;
  const { chunk } = node;
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk.charCodeAt(i) + 1;
    h1 = reduce(h1 * B1 + c, P1, I1);
    h2 = reduce(h2 * B2 + c, P2, I2);
  }
  node.ch1 = h1;
  node.ch2 = h2;
  node.cp1 = POWERS1[chunk.length] as number;
  node.cp2 = POWERS2[chunk.length] as number;
  node.chunkHashed = true;
}

/** A node's subtree changed: its length now, its hashes when asked for (`hashAll`). */
function update(node: Node): void {
  node.hashed = false;
  node.len = (node.left?.len ?? 0) + node.chunk.length + (node.right?.len ?? 0);
}

/**
 * The hashes of every node a change marked, children before parents. A node not marked has no marked
 * descendant (every change marks the path above it), so only marked nodes are visited, and a treap's
 * depth is O(log n): recursion is safe.
 */
function hashAll(node: Node | null): void {
  if (node === null || node.hashed) return;
  hashAll(node.left);
  hashAll(node.right);
  if (!node.chunkHashed) chunkHash(node);
  hashNode(node);
}

/** A node's hashes from its children's: h(L·C·R) = (h(L)·B^|C| + h(C))·B^|R| + h(R). */
function hashNode(node: Node): void {
  const { left, right } = node;
  let h1 = left === null ? node.ch1 : (mulmod(left.h1, node.cp1, P1, I1) + node.ch1) % P1;
  let h2 = left === null ? node.ch2 : (mulmod(left.h2, node.cp2, P2, I2) + node.ch2) % P2;
  let p1 = left === null ? node.cp1 : mulmod(left.p1, node.cp1, P1, I1);
  let p2 = left === null ? node.cp2 : mulmod(left.p2, node.cp2, P2, I2);
  if (right !== null) {
    h1 = (mulmod(h1, right.p1, P1, I1) + right.h1) % P1;
    h2 = (mulmod(h2, right.p2, P2, I2) + right.h2) % P2;
    p1 = mulmod(p1, right.p1, P1, I1);
    p2 = mulmod(p2, right.p2, P2, I2);
  }
  node.h1 = h1;
  node.h2 = h2;
  node.p1 = p1;
  node.p2 = p2;
  node.hashed = true;
}

/** Every node's length, children before parents (a treap's depth is O(log n): recursion is safe). */
function updateAll(node: Node | null): void {
  if (node === null) return;
  updateAll(node.left);
  updateAll(node.right);
  update(node);
}

function merge(a: Node | null, b: Node | null): Node | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.priority > b.priority) {
    a.right = merge(a.right, b);
    update(a);
    return a;
  }
  b.left = merge(a, b.left);
  update(b);
  return b;
}

function collect(node: Node | null, from: number, to: number, parts: string[]): void {
  if (node === null || from >= to) return;
  const leftLen = node.left?.len ?? 0;
  if (from < leftLen) collect(node.left, from, Math.min(to, leftLen), parts);
  const start = Math.max(from - leftLen, 0);
  const end = Math.min(to - leftLen, node.chunk.length);
  if (start < end) parts.push(node.chunk.slice(start, end));
  const rightStart = leftLen + node.chunk.length;
  if (to > rightStart) collect(node.right, Math.max(from - rightStart, 0), to - rightStart, parts);
}
