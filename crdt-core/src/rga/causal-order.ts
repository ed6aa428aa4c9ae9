import { NONE } from './run.ts';

/** What the walk needs of a run: its ids and origins (Run has them). */
export interface CausalItem {
  readonly counter: number;
  readonly length: number;
  readonly leftReplica: number;
  readonly leftCounter: number;
  readonly rightReplica: number;
  readonly rightCounter: number;
}

/**
 * Visit runs in an order in which they could have been inserted: every run after the runs holding
 * its origins, each replica's runs in counter order. `queues[r]` holds replica r's runs in counter
 * order; `frontier[r]` is replica r's first counter not known yet (ids below it count as visited)
 * and advances as runs are visited. A run that starts below its replica's frontier is visited from
 * the frontier on (`start`): its left origin there is its own predecessor, known already.
 * Greedy: take any replica's next run whose origins are known. Returns false when runs remain and
 * none can go: their origins form a cycle.
 */
export function visitInCausalOrder<T extends CausalItem>(
  queues: readonly (readonly T[])[],
  frontier: number[],
  visit: (run: T, replica: number, start: number) => void,
): boolean {
  const heads = queues.map(() => 0);
  let remaining = queues.reduce((n, queue) => n + queue.length, 0);
  while (remaining > 0) {
    let progress = false;
    for (let r = 0; r < queues.length; r++) {
      const queue = queues[r] as readonly T[];
      while ((heads[r] as number) < queue.length) {
        const run = queue[heads[r] as number] as T;
        const start = Math.max(run.counter, frontier[r] as number);
        const left = run.leftReplica;
        const right = run.rightReplica;
        if (start === run.counter && left !== NONE && run.leftCounter >= (frontier[left] as number)) break;
        if (right !== NONE && run.rightCounter >= (frontier[right] as number)) break;
        visit(run, r, start);
        frontier[r] = run.counter + run.length;
        heads[r] = (heads[r] as number) + 1;
        remaining--;
        progress = true;
      }
    }
    if (!progress) return false;
  }
  return true;
}
