/**
 * Which consistency each operation needs, in one table the UI, the report and the docs read from.
 * Cart edits merge (eventual, available offline); anything that must never bend — stock, money — goes
 * through the authority (strong: linearizable, needs a link to it).
 */
export const CONSISTENCY_LEVELS = ['eventual', 'strong'] as const;
export type ConsistencyLevel = (typeof CONSISTENCY_LEVELS)[number];

export interface OperationConsistency {
  readonly level: ConsistencyLevel;
  /** What the operation needs to run, in the words the UI shows. */
  readonly needs: string;
}

export const OPERATION_CONSISTENCY = {
  'cart.edit': { level: 'eventual', needs: 'nothing: works offline, merges later' },
  'counter.stock': { level: 'eventual', needs: 'nothing: the CRDT view of stock, may oversell' },
  checkout: { level: 'strong', needs: 'the authority: linearizable reserve, charge, ship' },
  'order.status': { level: 'strong', needs: 'the authority (read-your-writes, monotonic reads)' },
  'stock.authority': { level: 'strong', needs: 'the authority: the stock checkout relies on' },
} as const satisfies Record<string, OperationConsistency>;

export type ConsistentOperation = keyof typeof OPERATION_CONSISTENCY;
