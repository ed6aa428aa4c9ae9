/**
 * Shrinking a scenario to a minimal one that still shows something (a kind of difference, a bug): delta
 * debugging over its replicas and steps, then simpler steps (one character, quantities of 1, no chaos
 * fields...), then replicas renamed a, b, c. A candidate is kept only when it is smaller — fewer replicas,
 * then fewer steps, then fewer characters, then smaller numbers — and still shows it; so shrinking ends.
 * Candidates are well-formed scenario files that end with every replica reaching every other one.
 */

import { storageCompanion } from '@converge/protocol';
import { isEditStep, parseScenario, replicasNamedBy, type ScenarioFile, type Step } from '../scenario.ts';
import { causalHistory } from './causal-history.ts';
import { type FieldKey, fieldOf } from './fields.ts';
import { REPLICA_IDS } from './generate.ts';

export interface ShrinkOptions {
  /** Whether a candidate still shows what is looked for (it runs the candidate). */
  readonly holds: (candidate: ScenarioFile) => Promise<boolean>;
  /** The field the finding is about: edits of other fields are tried away first, all at once. */
  readonly field?: FieldKey;
  /** Called whenever a smaller candidate is kept. */
  readonly onSmaller?: (candidate: ScenarioFile, tries: number) => void;
  /** At most this many candidates are run (default 600). */
  readonly maxTries?: number;
}

export interface ShrinkResult {
  readonly scenario: ScenarioFile;
  /** Candidates run. */
  readonly tries: number;
}

/** The measures shrinking lowers, most important first. */
export function scenarioSize(file: ScenarioFile): number[] {
  return [file.replicas.length, file.steps.length, characters(file), magnitude(file)];
}

/** Characters a scenario makes people read: inserted text, note values, replica ids. */
export function characters(file: ScenarioFile): number {
  let n = file.replicas.reduce((sum, id) => sum + id.length, 0);
  for (const step of file.steps) {
    if (!isEditStep(step)) continue;
    if (step.op === 'text.insert') n += step.text.length;
    else if (step.op === 'note.set') n += step.value.length;
  }
  return n;
}

export async function shrinkScenario(start: ScenarioFile, options: ShrinkOptions): Promise<ShrinkResult> {
  const maxTries = options.maxTries ?? 600;
  const tried = new Map<string, boolean>();
  let best = start;
  let tries = 0;
  /** Keep `candidate` when it is smaller, well-formed and still shows it. */
  const attempt = async (candidate: ScenarioFile, orSameSize = false): Promise<boolean> => {
    const fits = isSmaller(candidate, best) || (orSameSize && !isSmaller(best, candidate));
    if (tries >= maxTries || !fits || !wellFormed(candidate)) return false;
    const key = JSON.stringify(candidate);
    let holds = tried.get(key);
    if (holds === undefined) {
      tries++;
      holds = await options.holds(candidate);
      tried.set(key, holds);
    }
    if (holds) {
      best = candidate;
      options.onSmaller?.(best, tries);
    }
    return holds;
  };

  if (options.field !== undefined) {
    const field = options.field;
    await attempt({ ...best, steps: best.steps.filter((s) => !isEditStep(s) || fieldOf(s) === field) });
    await attempt({ ...best, steps: best.steps.filter((s) => isEditStep(s) || 'sync' in s || 'heal' in s) });
  }
  for (let before = ''; before !== JSON.stringify(best) && tries < maxTries; ) {
    before = JSON.stringify(best);
    for (const id of [...best.replicas].reverse()) await attempt(withoutReplica(best, id));
    for (const from of [...best.replicas].reverse())
      for (const into of best.replicas) if (into !== from) await attempt(merged(best, from, into));
    await removeSteps();
    await simplifySteps();
  }
  const canonical = renamed(best);
  if (JSON.stringify(canonical) !== JSON.stringify(best)) await attempt(canonical, true);
  return { scenario: best, tries };

  /** Delta debugging: take away chunks of steps, halving the chunk size down to single steps. */
  async function removeSteps(): Promise<void> {
    for (
      let chunk = Math.max(1, Math.floor(best.steps.length / 2));
      chunk >= 1;
      chunk = Math.floor(chunk / 2)
    ) {
      for (let at = 0; at < best.steps.length; ) {
        const steps = [...best.steps.slice(0, at), ...best.steps.slice(at + chunk)];
        if (!(await attempt({ ...best, steps }))) at += chunk;
      }
    }
  }

  async function simplifySteps(): Promise<void> {
    for (let at = 0; at < best.steps.length; at++) {
      for (const simpler of simplerSteps(best.steps[at] as Step)) {
        const steps = [...best.steps];
        steps[at] = simpler;
        if (await attempt({ ...best, steps })) break;
      }
    }
  }
}

/** Whether `a` is smaller than `b`: fewer replicas, then steps, then characters, then smaller numbers. */
export function isSmaller(a: ScenarioFile, b: ScenarioFile): boolean {
  const [x, y] = [scenarioSize(a), scenarioSize(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] as number) < (y[i] as number);
  return false;
}

function wellFormed(file: ScenarioFile): boolean {
  try {
    return causalHistory(parseScenario(file)).finallyConnected;
  } catch {
    return false;
  }
}

/** Numbers a scenario holds: quantities, positions, clock skews (seconds), chaos and partition settings. */
function magnitude(file: ScenarioFile): number {
  let n = 0;
  for (const step of file.steps) {
    if (isEditStep(step)) {
      if ('qty' in step) n += step.qty;
      if ('by' in step) n += Math.abs(step.by);
      if ('pos' in step) n += step.pos;
      if ('len' in step) n += step.len;
    } else if ('skew' in step) n += Math.ceil(Math.abs(step.skew.ms) / 1000);
    else if ('chaos' in step) n += Object.keys(step.chaos).length;
    else if ('partition' in step) n += step.partition.length + (step.storage === undefined ? 0 : 1);
  }
  return n;
}

/** The scenario without a replica: its steps go, and partitions no longer name it. */
export function withoutReplica(file: ScenarioFile, id: string): ScenarioFile {
  const steps: Step[] = [];
  for (const step of file.steps) {
    if ('partition' in step) {
      const groups = step.partition.map((g) => g.filter((r) => r !== id)).filter((g) => g.length > 0);
      if (groups.length === 0) continue;
      const companion = step.storage === undefined ? undefined : storageCompanion(step.storage);
      steps.push(
        step.storage === undefined || companion === id
          ? { partition: groups }
          : { partition: groups, storage: step.storage },
      );
    } else if (!replicasNamedBy(step).includes(id)) steps.push(step);
  }
  return { ...file, replicas: file.replicas.filter((r) => r !== id), steps };
}

/** The scenario with replica `from` played by `into`: its steps become `into`'s. */
export function merged(file: ScenarioFile, from: string, into: string): ScenarioFile {
  const renamedFile = renameReplicas(file, (id) => (id === from ? into : id));
  const steps = renamedFile.steps.flatMap((step): Step[] => {
    if (!('partition' in step)) return [step];
    // `into` may now be named in two groups: keep it in the first.
    let placed = false;
    const partition = step.partition
      .map((group) =>
        group.filter((id) => {
          if (id !== into) return true;
          if (placed) return false;
          placed = true;
          return true;
        }),
      )
      .filter((group) => group.length > 0);
    return [{ ...step, partition }];
  });
  return { ...renamedFile, replicas: file.replicas.filter((id) => id !== from), steps };
}

/** Simpler versions of a step, the simplest first. */
function simplerSteps(step: Step): Step[] {
  const out: Step[] = [];
  if (isEditStep(step)) {
    switch (step.op) {
      case 'text.insert':
        if (step.text.length > 1) out.push({ ...step, text: step.text.slice(0, 1) });
        if (step.pos > 0) out.push({ ...step, pos: 0 });
        break;
      case 'text.delete':
        if (step.len > 1) out.push({ ...step, len: 1 });
        if (step.pos > 0) out.push({ ...step, pos: 0 });
        break;
      case 'cart.add':
      case 'cart.decrement':
      case 'cart.setQuantity':
        if (step.qty > 1) out.push({ ...step, qty: 1 });
        break;
      case 'counter.increment':
        if (Math.abs(step.by) > 1) out.push({ ...step, by: Math.sign(step.by) });
        break;
      case 'note.set':
        for (const value of [step.replica, step.value.slice(0, 1)])
          if (value.length < step.value.length) out.push({ ...step, value });
        break;
      case 'cart.remove':
        break;
    }
  } else if ('skew' in step) {
    if (Math.abs(step.skew.ms) > 1000)
      out.push({ skew: { ...step.skew, ms: Math.sign(step.skew.ms) * 1000 } });
  } else if ('chaos' in step) {
    for (const key of Object.keys(step.chaos) as (keyof typeof step.chaos)[]) {
      const { [key]: _, ...rest } = step.chaos;
      out.push({ chaos: rest });
    }
  } else if ('partition' in step) {
    if (step.storage !== undefined) out.push({ partition: step.partition });
    if (step.partition.length > 1)
      for (const [i] of step.partition.entries())
        out.push({ ...step, partition: step.partition.filter((_, j) => j !== i) });
  }
  return out;
}

/** Replicas renamed a, b, c… in the order the file lists them. */
export function renamed(file: ScenarioFile): ScenarioFile {
  const names = new Map(file.replicas.map((id, i) => [id, REPLICA_IDS[i] ?? `r${i + 1}`]));
  return renameReplicas(file, (id) => names.get(id) ?? id);
}

function renameReplicas(file: ScenarioFile, to: (id: string) => string): ScenarioFile {
  const steps = file.steps.map((step): Step => {
    if ('replica' in step) return { ...step, replica: to(step.replica) };
    if ('partition' in step) {
      const companion = step.storage === undefined ? undefined : storageCompanion(step.storage);
      const partition = step.partition.map((g) => g.map(to));
      return companion === undefined
        ? { ...step, partition }
        : { partition, storage: `with-${to(companion)}` };
    }
    if ('offline' in step) return { offline: to(step.offline) };
    if ('online' in step) return { online: to(step.online) };
    if ('skew' in step) return { skew: { ...step.skew, replica: to(step.skew.replica) } };
    if ('restart' in step) return { restart: to(step.restart) };
    return step;
  });
  return { ...file, replicas: [...new Set(file.replicas.map(to))], steps };
}
