/**
 * What an outside document (a stock Yjs or Automerge client's) shows of the workspace, as plain values by
 * the schema's paths (`text`, `cart/apple`, `counters/likes`, `note`), and the translation between such
 * states and the workspace's intents. Pure: the gateways read and write their documents, this module only
 * says what changed.
 *
 * - Outside → intents: the difference between the state before an outside edit and after it, as intents
 *   (a text's difference as text.insert / text.delete, a cart line set to a quantity as setQuantity, a
 *   line that only counted up or down as add / decrement, a counter's new total as an increment by the
 *   difference, a register's new value as set). What the schema cannot carry is returned as a problem.
 * - Intents → outside: `outsideStateOf(view)` is what the outside document should show of an engine's
 *   view; a gateway writes the difference into its document.
 */
import {
  COUNTERS,
  type Intent,
  type NamedField,
  type WorkspaceSchema,
  type WorkspaceView,
} from '@converge/replica';
import diff from 'fast-diff';

/** Path → value: a string for a text or a register, a number for a cart line or a counter. */
export type OutsideState = ReadonlyMap<string, string | number>;

/** An outside edit the workspace cannot carry (reported to the relay's log and the gateway's status). */
export interface OutsideProblem {
  readonly path: string;
  readonly problem: string;
}

/** What an engine's view looks like in an outside document (a register shows its first sibling). */
export function outsideStateOf(schema: WorkspaceSchema, view: WorkspaceView): Map<string, string | number> {
  const state = new Map<string, string | number>();
  for (const [path, value] of schema.paths(view)) {
    if (Array.isArray(value)) {
      if (value.length > 0) state.set(path, String(value[0]));
    } else if (typeof value === 'string' || typeof value === 'number') {
      state.set(path, value);
    }
  }
  return state;
}

/** The path of a counter in a state. */
export function counterPath(name: string): string {
  return `${COUNTERS}/${name}`;
}

/**
 * The intents that turn `before` into `after`. `counted` names the cart paths whose change the outside
 * client made by counting (an Automerge Counter's increment): those become add / decrement rather than
 * setQuantity, so concurrent presses add up in every engine as they did in the outside document.
 */
export function intentsBetween(
  schema: WorkspaceSchema,
  before: OutsideState,
  after: OutsideState,
  counted: ReadonlySet<string> = new Set(),
): { readonly intents: Intent[]; readonly problems: OutsideProblem[] } {
  const intents: Intent[] = [];
  const problems: OutsideProblem[] = [];
  const paths = new Set([...before.keys(), ...after.keys()]);
  for (const path of [...paths].sort()) {
    const old = before.get(path);
    const next = after.get(path);
    if (old === next) continue;
    const located = schema.fieldOfPath(path);
    if (located === undefined) {
      problems.push({ path, problem: 'the workspace has no such field' });
      continue;
    }
    const { field, key } = located;
    const add = (intent: Record<string, unknown>): void => {
      intents.push(intent as unknown as Intent);
    };
    if (field.kind === 'text') {
      if (typeof next !== 'string') problems.push({ path, problem: 'a text must stay a text' });
      else {
        for (const step of textSteps(typeof old === 'string' ? old : '', next)) {
          if (step.del > 0) add({ op: `${field.name}.delete`, pos: step.pos, len: step.del });
          else add({ op: `${field.name}.insert`, pos: step.pos, text: step.insert });
        }
      }
    } else if (field.kind === 'register') {
      if (next === undefined) problems.push({ path, problem: 'a note can be changed, not deleted' });
      else if (typeof next !== 'string') problems.push({ path, problem: 'a note is a string' });
      else if (next.length > field.maxLength)
        problems.push({ path, problem: `a note has at most ${field.maxLength} characters` });
      else add({ op: `${field.name}.set`, value: next });
    } else if (field.kind === 'cart') {
      const product = key as string;
      if (next === undefined) {
        add({ op: `${field.name}.remove`, product });
      } else if (!isQuantity(next)) {
        problems.push({ path, problem: `a quantity is a whole number ≥ 0, not ${JSON.stringify(next)}` });
      } else if (counted.has(path) && typeof old === 'number' && next !== old) {
        const qty = Math.abs(next - old);
        add({ op: `${field.name}.${next > old ? 'add' : 'decrement'}`, product, qty });
      } else {
        add({ op: `${field.name}.setQuantity`, product, qty: next });
      }
    } else {
      const from = typeof old === 'number' ? old : 0;
      if (typeof next !== 'number' || !Number.isSafeInteger(next)) {
        problems.push({ path, problem: `a counter is a whole number, not ${JSON.stringify(next ?? null)}` });
      } else if (field.kind === 'counter' && next < from) {
        problems.push({ path, problem: `${field.name} only grows (${from} → ${next})` });
      } else if (next !== from) {
        add({ op: 'counter.increment', name: field.name, by: next - from });
      }
    }
  }
  return { intents, problems };
}

function isQuantity(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A text's change as [position, deleted length, inserted text] steps, for the gateways' writers. */
export function textSteps(old: string, next: string): { pos: number; del: number; insert: string }[] {
  const steps: { pos: number; del: number; insert: string }[] = [];
  let pos = 0;
  for (const [op, chunk] of diff(old, next)) {
    if (op === diff.EQUAL) pos += chunk.length;
    else if (op === diff.DELETE) steps.push({ pos, del: chunk.length, insert: '' });
    else {
      steps.push({ pos, del: 0, insert: chunk });
      pos += chunk.length;
    }
  }
  return steps;
}

/** What a writer changes to bring a document from `current` to `target`: each path that differs, by field. */
export function* differences(
  schema: WorkspaceSchema,
  current: OutsideState,
  target: OutsideState,
): Generator<{
  readonly field: NamedField;
  readonly key: string | undefined;
  readonly next: string | number | undefined;
}> {
  for (const path of new Set([...current.keys(), ...target.keys()])) {
    const next = target.get(path);
    if (current.get(path) === next) continue;
    const located = schema.fieldOfPath(path);
    if (located !== undefined) yield { field: located.field, key: located.key, next };
  }
}
