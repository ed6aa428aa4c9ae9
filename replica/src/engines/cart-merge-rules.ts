/**
 * How each engine merges the two kinds of cart change, in words for the UI (the Compare panel): a step
 * ("one less" / "one more": cart.decrement / cart.add) and an absolute quantity (cart.setQuantity).
 * The behaviour itself lives in each engine; test/engine-differences.test.ts pins it.
 */
import type { EngineName } from '../engine-name.ts';

export interface CartMergeRule {
  /** What "−" / "+" do when another replica changes the same line at the same time. */
  readonly step: string;
  /** What setting a quantity does when another replica changes the same line at the same time. */
  readonly set: string;
}

export const CART_MERGE_RULES: Readonly<Record<EngineName, CartMergeRule>> = {
  converge: {
    step: 'a counter step (PN-counter): concurrent presses all count',
    set: 'adds the difference to the quantity this replica saw: concurrent presses still count',
  },
  yjs: {
    step: 'writes the quantity this replica saw ± 1 (Yjs has no counter): of concurrent writes one wins, by client id',
    set: 'writes the number: of concurrent writes one wins, by client id',
  },
  automerge: {
    step: 'a step of an Automerge Counter: concurrent presses all count',
    set: 'replaces the Counter: presses made at the same time on the old one are lost',
  },
  lww: {
    step: 'writes the quantity this replica saw ± 1: the latest clock wins, the other writes are listed as lost',
    set: 'writes the number: the latest clock wins, the other writes are listed as lost',
  },
};
