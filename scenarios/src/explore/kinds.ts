/**
 * The kinds of difference the explorer knows, and the kinds of bug. A difference between two engines'
 * final states is documented when it matches a kind: the field it is in was edited concurrently (or the
 * LWW ledger says a skewed clock decided it), and the two values differ the way that kind says. Anything
 * else is a bug. Kinds are told apart by what the report shows (the values, the ledger) and by which
 * edits of the field were concurrent, never by engine names.
 */

export const DIFFERENCE_KINDS = {
  'text-order': 'concurrent inserts at one place: the same characters, in another order',
  'text-edit-after-reorder':
    'a deletion made after concurrent inserts were ordered differently removes only the characters each engine has in the same place',
  'text-one-write-wins':
    "concurrent text edits: last-writer-wins keeps one replica's whole text and lists the other edits as lost",
  'cart-concurrent-steps':
    'concurrent "+"/"−" steps on a cart line: counted as counter steps in one engine, one write wins in the other',
  'cart-concurrent-set':
    'a cart quantity set while the line changed elsewhere: the difference added, or one write wins',
  'cart-removed-while-edited':
    'a cart line removed on one replica while another changed it: kept (add-wins), revived, or removed',
  'counter-lost-increments':
    'concurrent counter increments: added up in one engine, one of them lost in the other',
  'note-siblings':
    'concurrent note writes: kept side by side as siblings in one engine, one value in the other',
  'note-winner': 'concurrent note writes: two engines each keep one value, a different one',
  'lww-clock-skew':
    'a skewed clock decides last-writer-wins: a write made after seeing another is lost to it',
} as const;

export type DifferenceKind = keyof typeof DIFFERENCE_KINDS;

export const KIND_NAMES = Object.keys(DIFFERENCE_KINDS) as DifferenceKind[];

export const BUG_KINDS = {
  crash: 'the run failed: a step or the replica runtime threw',
  'not-converged': 'replicas that reach each other did not come to the same state',
  'lost-edit': 'a field edited only one write after another does not show the result of those edits',
  'unexplained-difference': 'two engines differ in a way no documented kind explains',
  'ledger-mismatch': 'the LWW ledger lists a write as lost to a concurrent one that had seen it',
} as const;

export type BugKind = keyof typeof BUG_KINDS;

export const BUG_NAMES = Object.keys(BUG_KINDS) as BugKind[];
