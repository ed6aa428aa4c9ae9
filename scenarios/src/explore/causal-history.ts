/**
 * Who had seen which edit when, in the simulation. There, time passes only inside a `sync` (and the run's
 * final sync): a frame in flight when its link goes down is lost, and nothing is delivered between steps.
 * So at every sync each group of nodes that reach each other (the topology's components: partitions,
 * offline replicas, the storage peer wherever it was placed, bridging included) ends up holding the union
 * of what its members held, and between syncs a replica knows its own edits and nothing new. That makes
 * concurrency exact: an edit is concurrent with an earlier one its replica had not seen.
 *
 * The relay world delivers between steps, so this model is the simulation's only (the explorer runs there).
 */
import { STORAGE_NODE_ID } from '@converge/protocol';
import { type EditStep, isEditStep, type Scenario, type Step } from '../scenario.ts';
import { partitionLayout, Topology } from '../topology.ts';
import { applyEdit, type FieldKey, type FieldValue, fieldOf, initialValue, removesLine } from './fields.ts';

export interface Edit {
  /** Its place among the scenario's edits (0-based). */
  readonly id: number;
  /** Its step's index in the scenario (0-based). */
  readonly index: number;
  readonly step: EditStep;
  readonly field: FieldKey;
  /** The edits its replica held when it made it (ids). */
  readonly seen: ReadonlySet<number>;
  /**
   * It changes nothing in any engine: a removal or "one less" of a cart line its replica cannot show
   * (no edit it had seen made the line, or the edits it had seen, one after another, took it away).
   */
  readonly noop: boolean;
}

export class CausalModel {
  private readonly topology: Topology;
  private readonly knowledge = new Map<string, Set<number>>();
  private readonly list: Edit[] = [];

  constructor(private readonly replicas: readonly string[]) {
    this.topology = new Topology(replicas, true);
    for (const node of [...replicas, STORAGE_NODE_ID]) this.knowledge.set(node, new Set());
  }

  get edits(): readonly Edit[] {
    return this.list;
  }

  /** Follow one step (`index`: its place in the scenario). */
  apply(step: Step, index: number): void {
    if (isEditStep(step)) {
      const known = this.knowledge.get(step.replica) as Set<number>;
      const field = fieldOf(step);
      const seen = new Set(known);
      const noop =
        (step.op === 'cart.remove' || step.op === 'cart.decrement') && !this.mayShowLine(field, seen);
      const edit: Edit = { id: this.list.length, index, step, field, seen, noop };
      this.list.push(edit);
      known.add(edit.id);
    } else if ('partition' in step) this.topology.partition(partitionLayout(step, this.replicas));
    else if ('heal' in step) this.topology.heal();
    else if ('offline' in step) this.topology.setOffline(step.offline, true);
    else if ('online' in step) this.topology.setOffline(step.online, false);
    else if ('sync' in step) this.sync();
    // skew, chaos and restart change nobody's knowledge: a restart reloads all its replica had.
  }

  /** Every group of nodes that reach each other shares what its members hold. */
  sync(): void {
    for (const component of this.topology.components()) {
      const union = new Set<number>();
      for (const node of component) for (const id of this.knowledge.get(node) ?? []) union.add(id);
      for (const node of component) this.knowledge.set(node, new Set(union));
    }
  }

  /** Whether a replica holding `seen` may show the cart line `field`. */
  private mayShowLine(field: FieldKey, seen: ReadonlySet<number>): boolean {
    const edits = [...seen].map((id) => this.list[id] as Edit).filter((e) => e.field === field && !e.noop);
    if (!edits.some((e) => !removesLine(e.step))) return false;
    const sequential = edits.every((later, i) =>
      edits.slice(0, i).every((earlier) => later.seen.has(earlier.id)),
    );
    if (!sequential) return true;
    let value: FieldValue = initialValue(field);
    for (const edit of edits) value = applyEdit(value, edit.step);
    return value !== null;
  }

  /** The edits a replica holds now. */
  known(replica: string): ReadonlySet<number> {
    return this.knowledge.get(replica) ?? new Set();
  }

  /** Whether every replica reaches every other one (so the final sync makes them all equal). */
  connected(): boolean {
    const components = this.topology.components();
    return components.some((component) => this.replicas.every((id) => component.includes(id)));
  }

  /**
   * A length the replica's text has at least: what it holds of the inserts, minus what it holds of the
   * deletes (concurrent deletes of the same characters delete fewer). Exact when nothing overlaps.
   */
  textLowerBound(replica: string): number {
    let length = 0;
    for (const id of this.known(replica)) {
      const step = (this.list[id] as Edit).step;
      if (step.op === 'text.insert') length += step.text.length;
      else if (step.op === 'text.delete') length -= step.len;
    }
    return Math.max(0, length);
  }
}

export interface CausalHistory {
  readonly edits: readonly Edit[];
  /** After the final sync every replica reaches every other one. */
  readonly finallyConnected: boolean;
  /** The edits of a field that change something, in scenario order. */
  editsOf(field: FieldKey): readonly Edit[];
  /**
   * The edits of a field (that change something) made without seeing another edit of it, or that
   * another was made without seeing.
   */
  concurrentEditsOf(field: FieldKey): readonly Edit[];
}

/** The causal history of a scenario run in the simulation. */
export function causalHistory(scenario: Scenario): CausalHistory {
  const model = new CausalModel(scenario.replicas);
  for (const [index, step] of scenario.steps.entries()) model.apply(step, index);
  const finallyConnected = model.connected();
  const edits = model.edits;
  const byField = new Map<FieldKey, Edit[]>();
  for (const edit of edits) {
    if (edit.noop) continue;
    const list = byField.get(edit.field) ?? [];
    list.push(edit);
    byField.set(edit.field, list);
  }
  const concurrent = new Map<FieldKey, Edit[]>();
  for (const [field, list] of byField) {
    const involved = new Set<Edit>();
    for (const [i, later] of list.entries()) {
      for (const earlier of list.slice(0, i)) {
        if (!later.seen.has(earlier.id)) {
          involved.add(earlier);
          involved.add(later);
        }
      }
    }
    concurrent.set(
      field,
      list.filter((edit) => involved.has(edit)),
    );
  }
  return {
    edits,
    finallyConnected,
    editsOf: (field) => byField.get(field) ?? [],
    concurrentEditsOf: (field) => concurrent.get(field) ?? [],
  };
}
