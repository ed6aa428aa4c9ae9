import type { Run } from './run.ts';

/**
 * An order-statistic B+ tree of runs in document order. Every node knows how many visible
 * characters and how many characters in all (tombstones included) it holds, so a visible index
 * finds its leaf in O(log n), and a leaf's absolute position is a walk to the root.
 *
 * Leaves are linked in document order for scans. Leaves never become empty once they hold a run:
 * runs only leave a leaf by merging into a neighbour in the same leaf, and splits move runs in bulk.
 */

/** Most runs a leaf holds before it splits; small enough that splices and in-leaf scans stay cheap. */
export const LEAF_CAPACITY = 32;
/** Most children a branch holds before it splits. */
export const BRANCH_CAPACITY = 32;
/** How full bulk-built nodes are, leaving room to grow without immediate splits. */
const BULK_FILL = 24;

/**
 * A node of the tree, leaf or branch: one class for both, so every object the edit paths walk up
 * (counts, parents) or down (`findVisible`) has one shape for V8. With two classes the code
 * optimized while the root was still a leaf was thrown away at the first root split, and the
 * count updates went polymorphic. A leaf's `children` and a branch's `runs` are empty and unused.
 */
class TreeNodeObject {
  visible = 0;
  total = 0;
  parent: Branch | null = null;
  prev: Leaf | null = null;
  next: Leaf | null = null;
  constructor(
    readonly isLeaf: boolean,
    public runs: Run[],
    public children: TreeNode[],
  ) {}
}

/** A leaf: runs in document order, linked to the leaves before and after it. */
export interface Leaf extends TreeNodeObject {
  readonly isLeaf: true;
}

/** A branch: child nodes in document order. */
export interface Branch extends TreeNodeObject {
  readonly isLeaf: false;
}

/** The unused array of every leaf and branch (never written: leaves have no children, branches no runs). */
const NO_CHILDREN: TreeNode[] = [];
const NO_RUNS: Run[] = [];

export function newLeaf(runs: Run[]): Leaf {
  return new TreeNodeObject(true, runs, NO_CHILDREN) as Leaf;
}

export function newBranch(children: TreeNode[]): Branch {
  return new TreeNodeObject(false, NO_RUNS, children) as Branch;
}

export type TreeNode = Leaf | Branch;

export class RunTree {
  root: TreeNode;
  first: Leaf;
  last: Leaf;
  /** Visible index of the first character of the leaf `findVisible` returned last. */
  foundStart = 0;

  constructor() {
    const leaf = newLeaf([]);
    this.root = leaf;
    this.first = leaf;
    this.last = leaf;
  }

  get visible(): number {
    return this.root.visible;
  }

  get total(): number {
    return this.root.total;
  }

  /**
   * The leaf holding visible character `index` (0 ≤ index < visible), or the last leaf for
   * index = visible (the end, after every tombstone); its start goes to `foundStart`.
   */
  findVisible(index: number): Leaf {
    let node = this.root;
    let start = 0;
    while (!node.isLeaf) {
      const children = node.children;
      const last = children.length - 1;
      for (let i = 0; ; i++) {
        const child = children[i] as TreeNode;
        if (index < child.visible || i === last) {
          node = child;
          break;
        }
        index -= child.visible;
        start += child.visible;
      }
    }
    this.foundStart = start;
    return node;
  }

  /** Add to the counts of `leaf` and every ancestor. */
  addCounts(leaf: Leaf, visible: number, total: number): void {
    for (let node: TreeNode | null = leaf; node !== null; node = node.parent) {
      node.visible += visible;
      node.total += total;
    }
  }

  /** Put `run` at `index` in `leaf` and count it. Call `fixOverflow(leaf)` once the edit is done. */
  insertRun(leaf: Leaf, index: number, run: Run): void {
    leaf.runs.splice(index, 0, run);
    run.leaf = leaf;
    this.addCounts(leaf, run.deleted ? 0 : run.length, run.length);
  }

  /** Put `run` right after `anchor` (which must be in a leaf). */
  insertAfter(anchor: Run, run: Run): void {
    const leaf = anchor.leaf;
    this.insertRun(leaf, leaf.runs.indexOf(anchor) + 1, run);
  }

  /** Remove the run at `index` of `leaf`, which must keep at least one run. */
  removeRun(leaf: Leaf, index: number): void {
    const run = leaf.runs[index] as Run;
    leaf.runs.splice(index, 1);
    this.addCounts(leaf, run.deleted ? 0 : -run.length, -run.length);
  }

  /** Split `leaf` if it grew past capacity. */
  fixOverflow(leaf: Leaf): void {
    if (leaf.runs.length > LEAF_CAPACITY) this.splitLeaf(leaf);
  }

  private splitLeaf(leaf: Leaf): void {
    const moved = leaf.runs.splice(leaf.runs.length >> 1);
    const right = newLeaf(moved);
    let visible = 0;
    let total = 0;
    for (const run of moved) {
      run.leaf = right;
      if (!run.deleted) visible += run.length;
      total += run.length;
    }
    right.visible = visible;
    right.total = total;
    leaf.visible -= visible;
    leaf.total -= total;
    right.prev = leaf;
    right.next = leaf.next;
    if (leaf.next === null) this.last = right;
    else leaf.next.prev = right;
    leaf.next = right;
    this.insertSibling(leaf, right);
  }

  private splitBranch(branch: Branch): void {
    const moved = branch.children.splice(branch.children.length >> 1);
    const right = newBranch(moved);
    for (const child of moved) {
      child.parent = right;
      right.visible += child.visible;
      right.total += child.total;
    }
    branch.visible -= right.visible;
    branch.total -= right.total;
    this.insertSibling(branch, right);
  }

  /** Hang `sibling` right after `node` under the same parent (whose counts already include it). */
  private insertSibling(node: TreeNode, sibling: TreeNode): void {
    const parent = node.parent;
    if (parent === null) {
      const root = newBranch([node, sibling]);
      root.visible = node.visible + sibling.visible;
      root.total = node.total + sibling.total;
      node.parent = root;
      sibling.parent = root;
      this.root = root;
      return;
    }
    parent.children.splice(parent.children.indexOf(node) + 1, 0, sibling);
    sibling.parent = parent;
    if (parent.children.length > BRANCH_CAPACITY) this.splitBranch(parent);
  }

  /** Position of the first character of `leaf` among all characters, tombstones included. */
  leafStart(leaf: Leaf): number {
    let position = 0;
    let node: TreeNode = leaf;
    for (let parent = node.parent; parent !== null; node = parent, parent = parent.parent) {
      for (const child of parent.children) {
        if (child === node) break;
        position += child.total;
      }
    }
    return position;
  }

  /** Position of character `offset` of `run` among all characters, tombstones included. */
  rank(run: Run, offset: number): number {
    let position = this.leafStart(run.leaf) + offset;
    for (const other of run.leaf.runs) {
      if (other === run) return position;
      position += other.length;
    }
    throw new Error('run is not in its leaf');
  }

  /** The run after `run` in document order, or null at the end. */
  runAfter(run: Run): Run | null {
    const leaf = run.leaf;
    const index = leaf.runs.indexOf(run) + 1;
    if (index < leaf.runs.length) return leaf.runs[index] as Run;
    return leaf.next === null ? null : (leaf.next.runs[0] as Run);
  }

  /** The run before `run` in document order, or null at the start. */
  runBefore(run: Run): Run | null {
    const leaf = run.leaf;
    const index = leaf.runs.indexOf(run);
    if (index > 0) return leaf.runs[index - 1] as Run;
    return leaf.prev === null ? null : (leaf.prev.runs[leaf.prev.runs.length - 1] as Run);
  }

  /** The last run in document order, or null when the document is empty. */
  lastRun(): Run | null {
    const runs = this.last.runs;
    return runs.length === 0 ? null : (runs[runs.length - 1] as Run);
  }

  /** The first run in document order, or null when the document is empty. */
  firstRun(): Run | null {
    return this.first.runs.length === 0 ? null : (this.first.runs[0] as Run);
  }

  /** Build a tree holding `runs` in this order, in linear time (used when decoding a snapshot). */
  static fromRuns(runs: Run[]): RunTree {
    const tree = new RunTree();
    if (runs.length === 0) return tree;
    let level: TreeNode[] = [];
    let previous: Leaf | null = null;
    for (let start = 0; start < runs.length; start += BULK_FILL) {
      const leaf = newLeaf(runs.slice(start, start + BULK_FILL));
      for (const run of leaf.runs) {
        run.leaf = leaf;
        if (!run.deleted) leaf.visible += run.length;
        leaf.total += run.length;
      }
      leaf.prev = previous;
      if (previous === null) tree.first = leaf;
      else previous.next = leaf;
      previous = leaf;
      level.push(leaf);
    }
    tree.last = previous as Leaf;
    while (level.length > 1) {
      const up: TreeNode[] = [];
      for (let start = 0; start < level.length; start += BULK_FILL) {
        const branch = newBranch(level.slice(start, start + BULK_FILL));
        for (const child of branch.children) {
          child.parent = branch;
          branch.visible += child.visible;
          branch.total += child.total;
        }
        up.push(branch);
      }
      level = up;
    }
    tree.root = level[0] as TreeNode;
    return tree;
  }
}

// V8 treats a field written only once per object as constant, and a field that has held one kind of
// object (or only null) as typed to it; optimized code relies on both. A node's `parent` and counts,
// a leaf's links and the tree's `root` (a leaf until then) are first rewritten at the first leaf
// or root split, well into a long edit session, which would throw away the optimized code of every
// edit path that updates counts. Rewriting them once here, at load, leaves nothing to throw away.
const shapedBranch = newBranch([]);
shapedBranch.parent = shapedBranch;
shapedBranch.visible = 1;
shapedBranch.total = 1;
const shapedLeaf = newLeaf([]);
shapedLeaf.parent = shapedBranch;
shapedLeaf.prev = shapedLeaf;
shapedLeaf.next = shapedLeaf;
new RunTree().root = shapedBranch;
