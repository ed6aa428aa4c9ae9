/**
 * The merge report: per engine the final state of every replica and whether they converged, how the
 * engines differ from each other, and what the engines with a ledger lost. The JSON shape is stable and
 * documented in scenarios/README.md.
 */

import {
  COUNTERS,
  ENGINES,
  type EngineName,
  type FieldKind,
  type LostWrite,
  type NamedField,
  type WallTimeDependence,
  WORKSPACE,
  type WorkspaceSchema,
  type WorkspaceView,
} from '@converge/replica';
import diff from 'fast-diff';
import { type CheckoutReport, formatCheckout } from './checkout-report.ts';
import type { WorldInfo } from './world.ts';

export type { WallTimeDependence, WorldInfo };

/**
 * A report exported from an app window's Compare panel rather than made by the runner: one replica's
 * view of a room it reaches over a relay (its engines' states are the only ones it holds).
 */
export interface WindowWorld {
  readonly kind: 'window';
  /** The window's replica id. */
  readonly replica: string;
  readonly url: string;
  readonly room: string;
  /** Whether the window has seen the room's storage peer. */
  readonly storagePeer: boolean;
}

/** Where a report's results come from: a runner world, or an app window. */
export type ReportWorld = WorldInfo | WindowWorld;

/** A replica's state in one engine: its view (every field of the workspace schema, by name). */
export type ReplicaState = WorkspaceView;

export interface EngineReport {
  readonly converged: boolean;
  readonly replicas: Readonly<Record<string, ReplicaState>>;
}

export interface LostWriteReport {
  /** Who made the lost write. */
  readonly replica: string;
  /** The intent op that made it, e.g. "note.set". */
  readonly op: string;
  /** The field it wrote ("note", "text", "cart/apple", "counters/likes"). */
  readonly field: string;
  readonly value: unknown;
  /** The replica whose write won. */
  readonly overwrittenBy: string;
  readonly winningValue: unknown;
  /** 'concurrent': neither write had seen the other; 'clock-skew': the winner came causally first. */
  readonly reason: string;
}

/** A lost write of an engine's ledger as the report lists it. */
export function lostWriteReport(lost: LostWrite): LostWriteReport {
  return {
    replica: lost.replica,
    op: lost.op,
    field: lost.field,
    value: lost.value,
    overwrittenBy: lost.overwrittenBy.replica,
    winningValue: lost.overwrittenBy.value,
    reason: lost.reason,
  };
}

export type TextSegment = readonly ['=' | '+' | '-', string];

/**
 * How one engine's state differs from the reference engine's, per field: a text as a diff, a cart line
 * or a counter (field `counters`) by key, a register by its values.
 */
export type Difference =
  | {
      readonly engine: EngineName;
      readonly versus: EngineName;
      readonly field: string;
      readonly diff: TextSegment[];
    }
  | {
      readonly engine: EngineName;
      readonly versus: EngineName;
      readonly field: string;
      readonly key: string;
      readonly value: number | null;
      readonly versusValue: number | null;
    }
  | {
      readonly engine: EngineName;
      readonly versus: EngineName;
      readonly field: string;
      readonly value: readonly string[];
      readonly versusValue: readonly string[];
    };

/** What the room held before step 1: nothing, or per engine the state every replica started from. */
export type StartReport =
  | { readonly empty: true }
  | { readonly empty: false; readonly engines: Readonly<Partial<Record<EngineName, ReplicaState>>> };

export interface MergeReport {
  readonly name: string;
  /** Which world ran it: the simulation (seed), a relay (URL, room, seed), or an app window. */
  readonly world: ReportWorld;
  readonly start: StartReport;
  /** Per engine, in display order. */
  readonly engines: Readonly<Partial<Record<EngineName, EngineReport>>>;
  /** Per engine that keeps a ledger (last-writer-wins): the writes it lost. */
  readonly ledgers: Readonly<Record<EngineName, { readonly lost: readonly LostWriteReport[] }>>;
  readonly differences: readonly Difference[];
  /** Results that depend on wall time (so may differ between worlds and runs); sorted by field. */
  readonly wallTime: readonly WallTimeDependence[];
  /** With checkout steps: every order at the room's authority (and every checkout a window refused). */
  readonly orders?: CheckoutReport['orders'];
  /** With checkout steps: stock at the authority, product → quantity available. */
  readonly stock?: CheckoutReport['stock'];
  /** With checkout steps: calls of stale holders refused by their fencing token. */
  readonly fenced?: CheckoutReport['fenced'];
}

export interface ReportInput {
  readonly name: string;
  readonly world: ReportWorld;
  /** The engines to report, in display order (the first is what the others are compared with). */
  readonly engines: readonly EngineName[];
  /** The workspace's fields (default: WORKSPACE). */
  readonly schema?: WorkspaceSchema;
  /** engine → the state at the start (every replica's, after the first sync). */
  readonly start: Readonly<Partial<Record<EngineName, WorkspaceView>>>;
  readonly wallTime: readonly WallTimeDependence[];
  /** engine → replica → final view. */
  readonly views: Readonly<Partial<Record<EngineName, Readonly<Record<string, WorkspaceView>>>>>;
  /** engine → replica → digest; equal digests on every replica mean converged. */
  readonly digests: Readonly<Partial<Record<EngineName, Readonly<Record<string, string>>>>>;
  /** engine with a ledger → the writes it lost. */
  readonly ledgers: Readonly<Record<EngineName, readonly LostWriteReport[]>>;
}

export function buildReport(input: ReportInput): MergeReport {
  const schema = input.schema ?? WORKSPACE;
  const engines: Partial<Record<EngineName, EngineReport>> = {};
  for (const engine of input.engines) {
    const views = input.views[engine];
    if (views === undefined) continue;
    const digests = Object.values(input.digests[engine] ?? {});
    const replicas: Record<string, ReplicaState> = {};
    for (const [id, view] of Object.entries(views)) replicas[id] = toState(view);
    engines[engine] = { converged: digests.length > 0 && digests.every((d) => d === digests[0]), replicas };
  }
  return {
    name: input.name,
    world: input.world,
    start: startReport(schema, input.engines, input.start),
    engines,
    ledgers: Object.fromEntries(Object.entries(input.ledgers).map(([engine, lost]) => [engine, { lost }])),
    differences: engineDifferences(schema, input.engines, engines),
    wallTime: input.wallTime,
  };
}

function startReport(
  schema: WorkspaceSchema,
  order: readonly EngineName[],
  start: ReportInput['start'],
): StartReport {
  const engines: Partial<Record<EngineName, ReplicaState>> = {};
  let empty = true;
  for (const engine of order) {
    const view = start[engine];
    if (view === undefined) continue;
    engines[engine] = toState(view);
    empty &&= schema.isEmpty(view);
  }
  return empty ? { empty } : { empty, engines };
}

function toState(view: WorkspaceView): ReplicaState {
  return structuredClone(view);
}

/** The order the report shows fields in: texts, carts, counters, registers (each in declaration order). */
const KIND_ORDER: readonly (readonly FieldKind[])[] = [
  ['text'],
  ['cart'],
  ['counter', 'pn-counter'],
  ['register'],
];

/**
 * Compare each engine's state with the first engine's (on the first replica, which after convergence
 * stands for all).
 */
function engineDifferences(
  schema: WorkspaceSchema,
  order: readonly EngineName[],
  engines: Partial<Record<EngineName, EngineReport>>,
): Difference[] {
  const reference = order.find((e) => engines[e] !== undefined);
  if (reference === undefined) return [];
  const base = firstState(engines[reference]);
  if (base === undefined) return [];
  const out: Difference[] = [];
  for (const engine of order) {
    const state = engine === reference ? undefined : firstState(engines[engine]);
    if (state !== undefined) out.push(...stateDifferences(engine, state, reference, base, schema));
  }
  return out;
}

/** An engine's state on its first replica (after convergence it stands for every replica). */
export function firstState(report: EngineReport | undefined): ReplicaState | undefined {
  return Object.values(report?.replicas ?? {})[0];
}

/**
 * How `engine`'s state differs from `versus`'s, field by field of the schema: a text as a character
 * diff, cart lines and counters that differ, a register's values.
 */
export function stateDifferences(
  engine: EngineName,
  state: ReplicaState,
  versus: EngineName,
  base: ReplicaState,
  schema: WorkspaceSchema = WORKSPACE,
): Difference[] {
  const out: Difference[] = [];
  const keyed = (field: string, mine: object, theirs: object): void => {
    const a = mine as Readonly<Record<string, number>>;
    const b = theirs as Readonly<Record<string, number>>;
    for (const key of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) {
      const value = a[key] ?? null;
      const versusValue = b[key] ?? null;
      if (value !== versusValue) out.push({ engine, versus, field, key, value, versusValue });
    }
  };
  for (const kinds of KIND_ORDER) {
    const fields = schema.fieldsOf(...kinds);
    if (kinds.includes('counter')) {
      if (fields.length > 0) keyed(COUNTERS, state.counters, base.counters);
      continue;
    }
    for (const field of fields) {
      const mine = schema.valueIn(state, field);
      const theirs = schema.valueIn(base, field);
      if (field.kind === 'text') {
        if (mine !== theirs) {
          const segments = diff(String(theirs), String(mine)).map(
            ([kind, text]): TextSegment => [kind === 0 ? '=' : kind === 1 ? '+' : '-', text],
          );
          out.push({ engine, versus, field: field.name, diff: segments });
        }
      } else if (field.kind === 'cart') {
        keyed(field.name, mine as object, theirs as object);
      } else if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
        out.push({
          engine,
          versus,
          field: field.name,
          value: mine as readonly string[],
          versusValue: theirs as readonly string[],
        });
      }
    }
  }
  return out;
}

/** Human-readable report for the terminal. */
export function formatReport(report: MergeReport): string {
  const lines: string[] = [`Scenario: ${report.name}`, `World: ${describeWorld(report.world)}`];
  if (report.start.empty) {
    lines.push('The room was empty at the start.', '');
  } else {
    lines.push('The room was NOT empty at the start; it held:');
    for (const [engine, state] of Object.entries(report.start.engines)) {
      if (state !== undefined) pushState(lines, `  ${engine}:`, state);
    }
    lines.push('');
  }
  for (const [engine, r] of Object.entries(report.engines)) {
    if (r === undefined) continue;
    lines.push(`${engine}: ${r.converged ? 'converged' : 'NOT converged'}`);
    const states = Object.entries(r.replicas);
    const shown = r.converged ? states.slice(0, 1).map(([, s]) => ['all', s] as const) : states;
    for (const [id, s] of shown)
      pushState(lines, `  ${id === 'all' ? 'every replica' : `replica ${id}`}:`, s);
  }
  lines.push('', 'Differences between engines:');
  if (report.differences.length === 0) lines.push('  none: every engine shows the same state');
  for (const d of report.differences) {
    const head = `  ${d.engine} vs ${d.versus}, ${d.field}`;
    if ('diff' in d) {
      lines.push(`${head}: ${d.diff.map(([k, t]) => (k === '=' ? t : `[${k}${t}]`)).join('')}`);
    } else if ('key' in d) {
      lines.push(`${head} ${d.key}: ${d.value ?? '(absent)'} instead of ${d.versusValue ?? '(absent)'}`);
    } else {
      lines.push(`${head}: ${JSON.stringify(d.value)} instead of ${JSON.stringify(d.versusValue)}`);
    }
  }
  for (const [engine, { lost }] of Object.entries(report.ledgers)) {
    lines.push('', `Writes lost by ${ENGINES.find(engine)?.label ?? engine}:`);
    if (lost.length === 0) lines.push('  none');
    for (const l of lost) {
      lines.push(
        `  ${l.replica}'s ${l.op} of ${l.field} = ${JSON.stringify(l.value)} lost to ${l.overwrittenBy}'s ${JSON.stringify(l.winningValue)} (${l.reason})`,
      );
    }
  }
  lines.push('', 'Results that depend on wall time (may differ between runs and worlds):');
  if (report.wallTime.length === 0) lines.push('  none');
  for (const w of report.wallTime) {
    lines.push(`  ${w.engine} ${w.field}: ${w.replicas.join(', ')} (${WALL_TIME_REASONS[w.reason]})`);
  }
  if (report.orders !== undefined) lines.push('', ...formatCheckout(report));
  return lines.join('\n');
}

function pushState(
  lines: string[],
  head: string,
  s: ReplicaState,
  schema: WorkspaceSchema = WORKSPACE,
): void {
  lines.push(head);
  const line = (key: string, text: string): void => {
    lines.push(`    ${`${key}:`.padEnd(10)}${text}`);
  };
  for (const kinds of KIND_ORDER) {
    if (kinds.includes('counter')) {
      if (schema.counters().length > 0) line(COUNTERS, formatRecord(s.counters));
      continue;
    }
    for (const field of schema.fieldsOf(...kinds))
      line(field.name, formatValue(field, schema.valueIn(s, field)));
  }
}

function formatValue(field: NamedField, value: unknown): string {
  if (field.kind === 'text') return JSON.stringify(value);
  if (field.kind === 'cart') return formatRecord(value as Readonly<Record<string, number>>);
  const values = value as readonly string[];
  return values.length === 0 ? '(empty)' : values.map((n) => JSON.stringify(n)).join(' | ');
}

function describeWorld(world: ReportWorld): string {
  const storage = world.storagePeer ? 'with the storage peer' : 'no storage peer (relay without --data-dir)';
  if (world.kind === 'simulation') return `simulation, seed ${world.seed}, ${storage}`;
  if (world.kind === 'window')
    return `the app window of ${world.replica}, relay ${world.url}, room ${world.room}`;
  const room = `room ${world.room} (${world.roomNamed ? 'named by the scenario' : 'fresh'})`;
  return `relay ${world.url}, ${room}, seed ${world.seed}, ${storage}`;
}

const WALL_TIME_REASONS: Readonly<Record<WallTimeDependence['reason'], string>> = {
  concurrent: 'concurrent writes, the later timestamp wins',
  'clock-against-causality': 'a write made after seeing another carries an earlier or equal timestamp',
  'skewed-clock': 'skewed clocks: how far apart the timestamps are depends on the time between the writes',
};

function formatRecord(record: Readonly<Record<string, number>>): string {
  const entries = Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '(empty)' : entries.map(([k, v]) => `${k}=${v}`).join(' ');
}
