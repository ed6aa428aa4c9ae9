import { SeededRandom } from '@converge/crdt-core';
import {
  applyPatch,
  type ConcurrentTxn,
  type ConcurrentWorkload,
  type Patch,
  type SequentialWorkload,
  type Workload,
} from './workload.ts';

/**
 * Seeded synthetic workloads in the spirit of dmonad/crdt-benchmarks B1–B3: one user (B1), two
 * users concurrently (B2), √N users concurrently (B3). Same seed and size, same workload.
 *
 * Characters: each agent types from its own 26-letter block of CJK ideographs (single UTF-16
 * units, so every engine's index unit agrees), which makes a merge checkable: filtering the merged
 * text to one agent's letters must give back that agent's own text.
 */

export const SYNTHETIC_NAMES = [
  'B1.1-append',
  'B1.2-insert-string',
  'B1.3-prepend',
  'B1.4-random-insert',
  'B1.5-random-words',
  'B1.6-insert-then-delete-all',
  'B1.7-random-insert-delete',
  'B2.1-two-users-random-insert',
  'B2.2-two-users-random-words',
  'B2.3-two-users-insert-delete',
  'B3.1-sqrt-n-users-random-insert',
] as const;
export type SyntheticName = (typeof SYNTHETIC_NAMES)[number];

export function isSyntheticName(name: string): name is SyntheticName {
  return (SYNTHETIC_NAMES as readonly string[]).includes(name);
}

const BLOCK = 0x4e00;

function letter(rng: SeededRandom, agent: number): string {
  return String.fromCharCode(BLOCK + agent * 32 + rng.int(0, 25));
}

function word(rng: SeededRandom, agent: number): string {
  let w = '';
  for (let n = rng.int(2, 9); n > 0; n--) w += letter(rng, agent);
  return w;
}

/** One editor's patches; `next` sees the current text and returns the next patch. */
function sequential(name: string, count: number, next: (text: string) => Patch): SequentialWorkload {
  const patches: Patch[] = [];
  let text = '';
  for (let i = 0; i < count; i++) {
    const patch = next(text);
    patches.push(patch);
    text = applyPatch(text, patch);
  }
  return { kind: 'sequential', name, patches, endContent: text };
}

/** Random edit on `text`: insert (a letter or a word) or delete a few characters. */
function randomEdit(rng: SeededRandom, agent: number, text: string, deletes: boolean, words: boolean): Patch {
  if (deletes && text.length > 0 && rng.chance(0.4)) {
    const at = rng.int(0, text.length - 1);
    return [at, rng.int(1, Math.min(5, text.length - at)), ''];
  }
  return [rng.int(0, text.length), 0, words ? word(rng, agent) : letter(rng, agent)];
}

/** `agents` editors who never see each other's edits until the final merge. */
function concurrent(
  name: string,
  agents: number,
  perAgent: number,
  rng: SeededRandom,
  edit: (agent: number, text: string) => Patch,
): ConcurrentWorkload {
  const txns: ConcurrentTxn[] = [];
  const texts: string[] = new Array(agents).fill('');
  const last: number[] = new Array(agents).fill(-1);
  let remaining = agents * perAgent;
  const left: number[] = new Array(agents).fill(perAgent);
  while (remaining > 0) {
    const agent = rng.int(0, agents - 1);
    if ((left[agent] as number) === 0) continue;
    const patch = edit(agent, texts[agent] as string);
    texts[agent] = applyPatch(texts[agent] as string, patch);
    const previous = last[agent] as number;
    txns.push({ parents: previous < 0 ? [] : [previous], agent, patches: [patch] });
    last[agent] = txns.length - 1;
    left[agent] = (left[agent] as number) - 1;
    remaining--;
  }
  return { kind: 'concurrent', name, agents, txns, endContent: null, agentTexts: texts };
}

/** The workload `name` with about `size` edits (characters for B1.2/B1.6). */
export function syntheticWorkload(name: SyntheticName, size: number, seed: number): Workload {
  if (!Number.isSafeInteger(size) || size < 1)
    throw new RangeError(`synthetic size must be a positive integer`);
  const rng = new SeededRandom(seed);
  switch (name) {
    case 'B1.1-append':
      return sequential(name, size, (text) => [text.length, 0, letter(rng, 0)]);
    case 'B1.2-insert-string': {
      let s = '';
      for (let i = 0; i < size; i++) s += letter(rng, 0);
      return sequential(name, 1, () => [0, 0, s]);
    }
    case 'B1.3-prepend':
      return sequential(name, size, () => [0, 0, letter(rng, 0)]);
    case 'B1.4-random-insert':
      return sequential(name, size, (text) => randomEdit(rng, 0, text, false, false));
    case 'B1.5-random-words':
      return sequential(name, size, (text) => randomEdit(rng, 0, text, false, true));
    case 'B1.6-insert-then-delete-all': {
      let s = '';
      for (let i = 0; i < size; i++) s += letter(rng, 0);
      return sequential(name, 2, (text) => (text.length === 0 ? [0, 0, s] : [0, text.length, '']));
    }
    case 'B1.7-random-insert-delete':
      return sequential(name, size, (text) => randomEdit(rng, 0, text, true, false));
    case 'B2.1-two-users-random-insert':
      return concurrent(name, 2, Math.ceil(size / 2), rng, (a, text) =>
        randomEdit(rng, a, text, false, false),
      );
    case 'B2.2-two-users-random-words':
      return concurrent(name, 2, Math.ceil(size / 2), rng, (a, text) =>
        randomEdit(rng, a, text, false, true),
      );
    case 'B2.3-two-users-insert-delete':
      return concurrent(name, 2, Math.ceil(size / 2), rng, (a, text) =>
        randomEdit(rng, a, text, true, false),
      );
    case 'B3.1-sqrt-n-users-random-insert': {
      const users = Math.max(2, Math.round(Math.sqrt(size)));
      return concurrent(name, users, Math.ceil(size / users), rng, (a, text) =>
        randomEdit(rng, a, text, false, false),
      );
    }
  }
}

/**
 * Check a merged text against each agent's own text: same total length, and each agent's
 * characters (agents use disjoint letters) appear in the merge exactly as in its own text.
 * Returns null when it holds, else what is wrong.
 */
export function checkMerge(merged: string, agentTexts: readonly string[]): string | null {
  const total = agentTexts.reduce((n, t) => n + t.length, 0);
  if (merged.length !== total)
    return `merged text has ${merged.length} characters, the agents typed ${total}`;
  const owner = new Map<string, number>();
  agentTexts.forEach((text, agent) => {
    for (const ch of text) owner.set(ch, agent);
  });
  const rebuilt: string[][] = agentTexts.map(() => []);
  for (const ch of merged) {
    const agent = owner.get(ch);
    if (agent === undefined) return `merged text holds a character no agent typed`;
    (rebuilt[agent] as string[]).push(ch);
  }
  for (let a = 0; a < agentTexts.length; a++) {
    if ((rebuilt[a] as string[]).join('') !== agentTexts[a])
      return `agent ${a}'s text is not intact in the merge`;
  }
  return null;
}
