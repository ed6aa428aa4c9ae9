/**
 * Random scenarios for the explorer: edits of every kind on 2..N replicas, mixed with partitions (the
 * storage peer placed alone, with a group, or bridging), offline periods, clock skew, chaos, restarts and
 * syncs. Every edit fits the state its replica is in: text positions stay within what the causal model
 * says the replica's text holds at least. Each scenario ends with every replica reaching every other one
 * (a heal, every replica online), so the run's final sync brings all of them to one state per engine.
 */
import { SeededRandom } from '@converge/crdt-core';
import type { StoragePlacement } from '@converge/protocol';
import type { EditStep, ScenarioFile, Step } from '../scenario.ts';
import { CausalModel } from './causal-history.ts';

export const REPLICA_IDS = ['a', 'b', 'c', 'd', 'e'] as const;
export const MIN_REPLICAS = 2;
export const MAX_REPLICAS = REPLICA_IDS.length;

export interface GenerateOptions {
  /** Replicas of a scenario: between 2 and this many. */
  readonly maxReplicas: number;
  /** Steps before the closing heal/online steps: between 3 and this many (default 16). */
  readonly maxSteps?: number;
}

const PRODUCTS = ['apple', 'pear', 'milk'] as const;
const WORDS = ['ship', 'hold', 'call', 'done', 'wait', 'send'] as const;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** The scenario of run `run` of an exploration seeded `seed` (the same pair always gives the same one). */
export function generateScenario(seed: number, run: number, options: GenerateOptions): ScenarioFile {
  const random = new SeededRandom((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(run + 1, 0x85ebca77)) >>> 0);
  const pick = <T>(items: readonly T[]): T => items[random.int(0, items.length - 1)] as T;
  const chance = (p: number): boolean => random.next() < p;

  const count = random.int(MIN_REPLICAS, Math.max(MIN_REPLICAS, Math.min(options.maxReplicas, MAX_REPLICAS)));
  const replicas = REPLICA_IDS.slice(0, count);
  const model = new CausalModel(replicas);
  const steps: Step[] = [];
  const offline = new Set<string>();
  let partitioned = false;
  const push = (step: Step): void => {
    model.apply(step, steps.length);
    steps.push(step);
  };

  if (chance(0.3)) {
    push({
      chaos: {
        drop: round(random.next() * 0.3),
        duplicate: round(random.next() * 0.2),
        reorder: round(random.next() * 0.3),
        delayMs: random.int(0, 30),
        seed: random.int(1, 1_000_000),
      },
    });
  }
  const length = random.int(3, Math.max(3, options.maxSteps ?? 16));
  for (let i = 0; i < length; i++) {
    const roll = random.next();
    if (roll < 0.62) push(edit(pick(replicas)));
    else if (roll < 0.72) push({ sync: true });
    else if (roll < 0.8) {
      push(partition());
      partitioned = true;
    } else if (roll < 0.85 && partitioned) {
      push({ heal: true });
      partitioned = false;
    } else if (roll < 0.91) {
      const id = pick(replicas);
      push(offline.has(id) ? { online: id } : { offline: id });
      if (offline.has(id)) offline.delete(id);
      else offline.add(id);
    } else if (roll < 0.96) {
      push({ skew: { replica: pick(replicas), ms: random.int(-8, 8) * 1000 } });
    } else push({ restart: pick(replicas) });
  }
  if (partitioned) push({ heal: true });
  for (const id of replicas) if (offline.has(id)) push({ online: id });
  return { name: `explore seed ${seed} run ${run}`, replicas: [...replicas], steps };

  function edit(replica: string): EditStep {
    const textLength = model.textLowerBound(replica);
    const roll = random.int(0, 99);
    if (roll < 20 || (roll < 28 && textLength === 0)) {
      const text = Array.from({ length: random.int(1, 4) }, () => pick([...LETTERS])).join('');
      return { replica, op: 'text.insert', pos: random.int(0, textLength), text };
    }
    if (roll < 28) {
      const pos = random.int(0, textLength - 1);
      return { replica, op: 'text.delete', pos, len: random.int(1, Math.min(3, textLength - pos)) };
    }
    const product = pick(PRODUCTS);
    if (roll < 42) return { replica, op: 'cart.add', product, qty: random.int(1, 3) };
    if (roll < 48) return { replica, op: 'cart.decrement', product, qty: 1 };
    if (roll < 54) return { replica, op: 'cart.remove', product };
    if (roll < 61) return { replica, op: 'cart.setQuantity', product, qty: random.int(1, 5) };
    if (roll < 80) {
      const name = pick(['likes', 'stock'] as const);
      const by = random.int(1, 3) * (name === 'stock' && chance(0.5) ? -1 : 1);
      return { replica, op: 'counter.increment', name, by };
    }
    return { replica, op: 'note.set', value: `${pick(WORDS)} ${replica}${random.int(1, 9)}` };
  }

  function partition(): Step {
    const shuffled: string[] = [...replicas];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = random.int(0, i);
      [shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string];
    }
    const groupCount = random.int(2, Math.min(3, replicas.length));
    const groups: string[][] = Array.from({ length: groupCount }, () => []);
    for (const [i, id] of shuffled.entries()) {
      (groups[i < groupCount ? i : random.int(0, groupCount - 1)] as string[]).push(id);
    }
    const roll = random.next();
    const storage: StoragePlacement | undefined =
      roll < 0.45 ? undefined : roll < 0.8 ? `with-${pick(replicas)}` : 'everywhere';
    return storage === undefined ? { partition: groups } : { partition: groups, storage };
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
