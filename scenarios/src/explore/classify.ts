/**
 * What one run shows: every difference between two compared engines' final states, classified by kind
 * (kinds.ts), and every bug. The evidence is the merge report (each engine's converged state, the LWW
 * ledger) and the scenario's causal history (causal-history.ts):
 *
 * - A field whose edits were made one after the other, each seeing the ones before, must show in every
 *   engine what applying them in order gives. Not showing it is a lost edit (a bug), unless the ledger
 *   says a skewed clock made last-writer-wins drop that field's later write (documented).
 * - A field edited concurrently may differ between engines: in the ways the kinds describe, and no other.
 * - Every engine converges once every replica reaches every other one; a run that throws is a crash.
 */
import { errorMessage } from '@converge/protocol';
import { COUNTERS, ENGINES, type EngineName, type EngineRegistry, IntentError } from '@converge/replica';
import {
  type Difference,
  firstState,
  type MergeReport,
  type ReplicaState,
  stateDifferences,
} from '../report.ts';
import type { Scenario } from '../scenario.ts';
import { causalHistory, type Edit } from './causal-history.ts';
import { ledgerEngine, lostWrites } from './engine-facts.ts';
import {
  applyEdit,
  type FieldKey,
  type FieldValue,
  fieldOfDifference,
  fieldsIn,
  initialValue,
  removesLine,
  sameValue,
  valueIn,
} from './fields.ts';
import type { BugKind, DifferenceKind } from './kinds.ts';

export interface KindFinding {
  readonly kind: DifferenceKind;
  readonly field: FieldKey;
  readonly engine: EngineName;
  readonly versus: EngineName;
  /** One line: the two values. */
  readonly summary: string;
}

export interface BugFinding {
  readonly bug: BugKind;
  /** The engine it is about, or the two that differ. */
  readonly engines?: readonly EngineName[];
  readonly field?: FieldKey;
  readonly summary: string;
}

export interface Verdict {
  readonly kinds: readonly KindFinding[];
  readonly bugs: readonly BugFinding[];
  /** A field as every compared engine shows it, engines with the same value together. */
  readonly fieldLine: (field: FieldKey) => string;
}

/**
 * Classify a finished run. `compared`: the engines whose states are compared (in display order);
 * `registry`: where their descriptors come from.
 */
export function classifyReport(
  scenario: Scenario,
  report: MergeReport,
  compared: readonly EngineName[],
  registry: EngineRegistry = ENGINES,
): Verdict {
  const history = causalHistory(scenario);
  const engines = compared.filter((e) => report.engines[e] !== undefined);
  const states = new Map<EngineName, ReplicaState>();
  for (const engine of engines) {
    const state = firstState(report.engines[engine]);
    if (state !== undefined) states.set(engine, state);
  }
  const ledger = ledgerEngine(report, registry);
  const lost = lostWrites(report, ledger);
  const skewLost = new Set(lost.filter((l) => l.reason === 'clock-skew').map((l) => l.field));
  const concurrentLost = new Set(lost.filter((l) => l.reason === 'concurrent').map((l) => l.field));
  const kinds: KindFinding[] = [];
  const bugs: BugFinding[] = [];

  for (const engine of engines) {
    if (report.engines[engine]?.converged === false && history.finallyConnected) {
      bugs.push({
        bug: 'not-converged',
        engines: [engine],
        summary: `${engine}: the replicas hold different states`,
      });
    }
  }
  if (ledger !== undefined && engines.includes(ledger)) {
    for (const field of concurrentLost) {
      if (history.concurrentEditsOf(field).length === 0) {
        bugs.push({
          bug: 'ledger-mismatch',
          engines: [ledger],
          field,
          summary: `${ledger}'s ledger lists a write of ${field} lost to a concurrent one, but every edit of ${field} had seen the ones before`,
        });
      }
    }
  }
  // Fields edited one write after another: every engine shows the value of the edits applied in order.
  if (scenario.start === undefined) {
    for (const [engine, state] of states) {
      const fields = new Set([...history.edits.map((e) => e.field), ...fieldsIn(state)]);
      for (const field of fields) {
        if (history.concurrentEditsOf(field).length > 0) continue;
        if (engine === ledger && skewLost.has(field)) continue; // documented: the pairs below say so
        const expected = sequentialValue(history.editsOf(field), field);
        const actual = valueIn(state, field);
        if (expected === undefined || !sameValue(expected, actual)) {
          bugs.push({
            bug: 'lost-edit',
            engines: [engine],
            field,
            summary: `${engine} shows ${field} = ${show(actual)}, but its edits, made one after another, give ${expected === undefined ? 'no valid result' : show(expected)}`,
          });
        }
      }
    }
  }
  for (const [i, versus] of engines.entries()) {
    const base = states.get(versus);
    if (base === undefined) continue;
    for (const engine of engines.slice(i + 1)) {
      const state = states.get(engine);
      if (state === undefined) continue;
      for (const difference of stateDifferences(engine, state, versus, base)) {
        const field = fieldOfDifference(difference);
        const concurrent = history.concurrentEditsOf(field);
        const involvesLedger = engine === ledger || versus === ledger;
        let kind: DifferenceKind | undefined;
        if (involvesLedger && skewLost.has(field)) kind = 'lww-clock-skew';
        else if (concurrent.length === 0) {
          // Explained per engine above when the history is known; with a start state it is not.
          if (scenario.start === undefined) continue;
        } else
          kind = concurrentKind(difference, {
            all: history.editsOf(field),
            concurrent,
            withLedgerEngine: involvesLedger,
          });
        const summary = describeDifference(difference);
        if (kind === undefined) {
          bugs.push({ bug: 'unexplained-difference', engines: [versus, engine], field, summary });
        } else kinds.push({ kind, field, engine, versus, summary });
      }
    }
  }
  const fieldLine = (field: FieldKey): string => {
    const groups = new Map<string, EngineName[]>();
    for (const [engine, state] of states) {
      const value = show(valueIn(state, field));
      groups.set(value, [...(groups.get(value) ?? []), engine]);
    }
    return `${field}: ${[...groups].map(([value, names]) => `${names.join(', ')} ${value}`).join(' · ')}`;
  };
  return { kinds, bugs, fieldLine };
}

/** A run that threw: an edit that does not fit the replica's state (not a finding), or a bug. */
export function classifyFailure(error: unknown): { readonly invalid: string } | BugFinding {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof IntentError) return { invalid: e.message };
  }
  const message = errorMessage(error);
  if (/did not sync within/.test(message)) return { bug: 'not-converged', summary: message };
  return { bug: 'crash', summary: message };
}

function sequentialValue(edits: readonly Edit[], field: FieldKey): FieldValue | undefined {
  let value = initialValue(field);
  try {
    for (const edit of edits) value = applyEdit(value, edit.step);
  } catch {
    return undefined;
  }
  return value;
}

/** The kind of a difference in a field some edits of which were concurrent, if it is one we know. */
function concurrentKind(
  difference: Difference,
  edits: {
    /** Every edit of the field. */
    readonly all: readonly Edit[];
    /** Those that were concurrent with another. */
    readonly concurrent: readonly Edit[];
    /** One of the two is the engine that keeps one write of a field (the one with the ledger). */
    readonly withLedgerEngine: boolean;
  },
): DifferenceKind | undefined {
  const { all, concurrent, withLedgerEngine } = edits;
  if ('diff' in difference) {
    // A text.
    if (multisetDistance(textOf(difference.diff, '-'), textOf(difference.diff, '+')) === 0)
      return 'text-order';
    // Its ledger lists the lost edit, unless a later write made after seeing it replaced the text.
    if (withLedgerEngine) return 'text-one-write-wins';
    // A deletion made on a text whose concurrent inserts the engines ordered differently removes, in
    // each engine, only the characters its text has in the same surroundings: at most its length.
    const differing = multisetDistance(textOf(difference.diff, '-'), textOf(difference.diff, '+'));
    const deletedAfterReorder = all
      .filter((e) => e.step.op === 'text.delete' && madeOnMergedText(e, concurrent))
      .reduce((sum, e) => sum + (e.step.op === 'text.delete' ? e.step.len : 0), 0);
    return differing <= deletedAfterReorder ? 'text-edit-after-reorder' : undefined;
  }
  if (!('key' in difference)) {
    // A register (the note).
    const [a, b] = [difference.value.length, difference.versusValue.length];
    if ((a >= 2 && b === 1) || (a === 1 && b >= 2)) return 'note-siblings';
    return a === 1 && b === 1 ? 'note-winner' : undefined;
  }
  switch (difference.field) {
    case COUNTERS: {
      // Each value must be the total with some increments left out (a read-modify-write that did not
      // see them), never more and never made up.
      const increments = all.flatMap((e) => (e.step.op === 'counter.increment' ? [e.step.by] : []));
      const total = increments.reduce((sum, by) => sum + by, 0);
      let leftOut = new Set([0]);
      for (const by of increments) leftOut = new Set([...leftOut, ...[...leftOut].map((s) => s + by)]);
      const possible = (value: number | null) => value !== null && leftOut.has(total - value);
      return possible(difference.value) && possible(difference.versusValue)
        ? 'counter-lost-increments'
        : undefined;
    }
    default: {
      // A cart line.
      const steps = concurrent.map((e) => e.step);
      if (steps.some(removesLine) && steps.some((s) => !removesLine(s))) return 'cart-removed-while-edited';
      if (steps.some((s) => s.op === 'cart.setQuantity')) return 'cart-concurrent-set';
      if (steps.every((s) => s.op === 'cart.add' || s.op === 'cart.decrement'))
        return 'cart-concurrent-steps';
      return undefined;
    }
  }
}

/** The text one side of a character diff shows: '-' drops what only the other side has. */
function textOf(segments: readonly (readonly [string, string])[], drop: '+' | '-'): string {
  return segments
    .filter(([k]) => k !== drop)
    .map(([, t]) => t)
    .join('');
}

/** How many characters one text has more of than the other, both ways together. */
function multisetDistance(a: string, b: string): number {
  const counts = new Map<string, number>();
  for (const c of a) counts.set(c, (counts.get(c) ?? 0) + 1);
  for (const c of b) counts.set(c, (counts.get(c) ?? 0) - 1);
  let distance = 0;
  for (const n of counts.values()) distance += Math.abs(n);
  return distance;
}

/** Whether an edit was made after seeing two edits of its field that had not seen each other. */
function madeOnMergedText(edit: Edit, concurrent: readonly Edit[]): boolean {
  const seen = concurrent.filter((e) => edit.seen.has(e.id));
  return seen.some((a, i) => seen.slice(i + 1).some((b) => !b.seen.has(a.id) && !a.seen.has(b.id)));
}

/** One line: what the two engines show. */
export function describeDifference(d: Difference): string {
  if ('diff' in d)
    return `${d.field}: ${d.engine} ${show(textOf(d.diff, '-'))}, ${d.versus} ${show(textOf(d.diff, '+'))}`;
  const field = 'key' in d ? `${d.field}/${d.key}` : d.field;
  return `${field}: ${d.engine} ${show(d.value)}, ${d.versus} ${show(d.versusValue)}`;
}

function show(value: FieldValue | unknown): string {
  if (value === null) return '(no line)';
  return JSON.stringify(value);
}
