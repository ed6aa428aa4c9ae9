/**
 * The scenario file format: replicas, then steps that edit, cut the network, inject chaos, sync and restart.
 * Parsing validates everything up front and names the bad step, so a tester never finds out halfway through a run.
 *
 * A file means the same in the simulation and over a relay: both run the replicas plus the room's storage
 * peer, partitions name the replicas and say where the storage peer goes (`storage`, default "alone"), and
 * a file that carries the room's state at the start (`start`, engine snapshots) loads it into every replica
 * before step 1. The format is documented in scenarios/README.md.
 */

import { idSchema, type RoomControl, roomControlSchema } from '@converge/checkout';
import {
  AUTHORITY_NODE_ID,
  STORAGE_NODE_ID,
  type StoragePlacement,
  storageCompanion,
  storagePlacementProblem,
} from '@converge/protocol';
import { ENGINES, type EngineName, type Intent, WORKSPACE, type WorkspaceSchema } from '@converge/replica';
import { z } from 'zod';
import { fromBase64, isBase64 } from './base64.ts';

// Engine snapshots travel in scenario files as base64.
export { fromBase64, toBase64 } from './base64.ts';

/** The relay's id rules, narrowed to what is safe in file names and URLs. */
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const nodeId = z
  .string()
  .regex(NODE_ID, 'replica ids are 1–64 letters, digits, "_", "." and "-", starting with a letter or digit')
  .refine((id) => id !== STORAGE_NODE_ID, `"${STORAGE_NODE_ID}" is the storage peer's id`)
  .refine((id) => id !== AUTHORITY_NODE_ID, `"${AUTHORITY_NODE_ID}" is the checkout authority's id`);
const storagePlacement = z
  .string()
  .superRefine((value, ctx) => {
    const problem = storagePlacementProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `storage ${problem}` });
  })
  .transform((value) => value as StoragePlacement);
const safeInt = z.number().int().refine(Number.isSafeInteger, 'must be a safe integer');
const rate = z.number().min(0).max(1);

/** An edit step: an intent of the workspace (its zod schema derives from the workspace's), and who makes it. */
function editStepOf(schema: WorkspaceSchema) {
  const [first, ...rest] = schema.intentOptions.map((option) => option.safeExtend({ replica: nodeId }));
  return z.discriminatedUnion('op', [first as z.ZodObject, ...rest]);
}

const networkStep = z.union([
  z.strictObject({
    partition: z.array(z.array(nodeId).min(1)).min(1),
    storage: storagePlacement.optional(),
  }),
  z.strictObject({ heal: z.literal(true) }),
  z.strictObject({ offline: nodeId }),
  z.strictObject({ online: nodeId }),
  z.strictObject({ skew: z.strictObject({ replica: nodeId, ms: safeInt }) }),
  z.strictObject({
    chaos: z.strictObject({
      drop: rate.optional(),
      duplicate: rate.optional(),
      reorder: rate.optional(),
      delayMs: safeInt.min(0).max(60_000).optional(),
      seed: safeInt.optional(),
    }),
  }),
  z.strictObject({ sync: z.literal(true) }),
  z.strictObject({ restart: nodeId }),
]);

/**
 * A replica checks out its cart (its primary engine's) at the room's authority; `key` is the idempotency
 * key (a new one when omitted; the same key again is a retry of the same checkout).
 */
const checkoutStep = z.strictObject({ replica: nodeId, op: z.literal('checkout'), key: idSchema.optional() });

/** Undo or redo the replica's own newest step of edits (Replica.undo / redo), in every engine. */
const historyStep = z.strictObject({ replica: nodeId, op: z.enum(['undo', 'redo']) });

/**
 * A step of a scenario on `schema`'s workspace: an edit, an undo or redo, a checkout, something done to
 * the network, or to the room's checkout authority (`stock`, `fail`, `latency`, `pause`, `resume`: the
 * relay's admin control, one schema).
 */
export function stepSchemaOf(schema: WorkspaceSchema) {
  return z.union([historyStep, editStepOf(schema), checkoutStep, networkStep, roomControlSchema]);
}

export const stepSchema = stepSchemaOf(WORKSPACE);
export type EditStep = Intent & { readonly replica: string };
export type CheckoutStep = z.infer<typeof checkoutStep>;
export type HistoryStep = z.infer<typeof historyStep>;
export type Step = EditStep | HistoryStep | CheckoutStep | z.infer<typeof networkStep> | RoomControl;

export type PartitionStep = Extract<Step, { partition: unknown }>;

/** The room's state at the start: one snapshot per engine (what `Engine.save()` returns). */
export interface StartState {
  /**
   * Wall time (ms since the epoch) when the state was taken: the simulation's clock starts no earlier,
   * so writes replayed after it are stamped after the ones it holds, as they were when recorded.
   */
  readonly at?: number;
  readonly engines: Readonly<Partial<Record<EngineName, Uint8Array>>>;
}

export interface Scenario {
  readonly name: string;
  /** One line saying what the scenario shows (the explorer writes the difference it found). */
  readonly description?: string;
  /** The relay room the file names; undefined: every run over a relay uses a fresh room. */
  readonly room?: string;
  readonly replicas: readonly string[];
  /** The room's state before step 1, when the file carries one (every replica starts from it). */
  readonly start?: StartState;
  readonly steps: readonly Step[];
}

/** A scenario as JSON on disk (what `parseScenario` reads and the app's export writes). */
export interface ScenarioFile {
  readonly name: string;
  readonly description?: string;
  readonly room?: string;
  readonly replicas: string[];
  /** Engine snapshots, base64. */
  readonly start?: { readonly at?: number; readonly engines: Partial<Record<EngineName, string>> };
  readonly steps: Step[];
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** Room names follow the replica id rules (the relay's ids, narrowed). */
export const ROOM_NAME = NODE_ID;

/** A snapshot may hold a long session's history; this bounds what a file can make the runner decode. */
const MAX_SNAPSHOT_BASE64 = 64 * 1024 * 1024;

const headerSchema = z.strictObject({
  name: z.string().min(1).max(200),
  description: z.string().max(1000).optional(),
  room: z.string().regex(ROOM_NAME, 'room names follow the replica id rules').optional(),
  replicas: z.array(nodeId).min(1).max(16),
  start: z
    .strictObject({
      at: safeInt.min(0).optional(),
      engines: z.record(
        z.string().refine((name) => ENGINES.has(name), {
          error: (issue) => `unknown engine ${JSON.stringify(issue.input)}`,
        }),
        z.string().max(MAX_SNAPSHOT_BASE64).refine(isBase64, 'must be base64'),
      ),
    })
    .optional(),
  steps: z.array(z.unknown()).max(100_000),
});

export function isEditStep(step: Step): step is EditStep {
  return 'op' in step && !isCheckoutStep(step) && !isHistoryStep(step);
}

export function isCheckoutStep(step: Step): step is CheckoutStep {
  return 'op' in step && step.op === 'checkout';
}

export function isHistoryStep(step: Step): step is HistoryStep {
  return 'op' in step && (step.op === 'undo' || step.op === 'redo');
}

/** Whether a step acts on the room's checkout authority (not on a replica or the network). */
export function isAuthorityStep(step: Step): step is RoomControl {
  return 'stock' in step || 'fail' in step || 'latency' in step || 'pause' in step || 'resume' in step;
}

/** Validate a parsed JSON value as a scenario; throws ScenarioError naming the bad step. */
export function parseScenario(value: unknown): Scenario {
  const header = headerSchema.safeParse(value);
  if (!header.success) throw new ScenarioError(`invalid scenario: ${z.prettifyError(header.error)}`);
  const { name, description, room, replicas, start, steps: rawSteps } = header.data;
  if (new Set(replicas).size !== replicas.length)
    throw new ScenarioError('invalid scenario: replica ids repeat');
  const known = new Set(replicas);
  const steps = rawSteps.map((raw, index) => {
    const where = `step ${index + 1} ${JSON.stringify(raw)}`;
    const parsed = stepSchema.safeParse(raw);
    if (!parsed.success) throw new ScenarioError(`invalid ${where}: ${z.prettifyError(parsed.error)}`);
    // The schema's output types are the workspace's intents (built from the schema at run time).
    const step = parsed.data as Step;
    for (const id of replicasNamedBy(step)) {
      if (!known.has(id)) throw new ScenarioError(`invalid ${where}: unknown replica "${id}"`);
    }
    if ('partition' in step) {
      const repeated = step.partition.flat().find((id, i, all) => all.indexOf(id) !== i);
      if (repeated !== undefined)
        throw new ScenarioError(`invalid ${where}: replica "${repeated}" is in two groups`);
    }
    return step;
  });
  return {
    name,
    ...(description === undefined ? {} : { description }),
    ...(room === undefined ? {} : { room }),
    replicas,
    ...(start === undefined
      ? {}
      : {
          start: {
            ...(start.at === undefined ? {} : { at: start.at }),
            engines: decodeSnapshots(start.engines),
          },
        }),
    steps,
  };
}

function decodeSnapshots(engines: Partial<Record<EngineName, string>>): StartState['engines'] {
  const decoded: Partial<Record<EngineName, Uint8Array>> = {};
  // In the registry's order, whatever order the file lists them in.
  for (const engine of ENGINES.names) {
    const text = engines[engine];
    if (text !== undefined) decoded[engine] = fromBase64(text);
  }
  return decoded;
}

/** Where a partition step puts the storage peer ("alone" unless it says). */
export function storagePlacementOf(step: PartitionStep): StoragePlacement {
  return step.storage ?? 'alone';
}

/** Parse scenario file text (JSON). */
export function parseScenarioText(text: string): Scenario {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`scenario is not valid JSON: ${(error as Error).message}`);
  }
  return parseScenario(value);
}

/** The replicas a step names (the editing replica, partition groups, a storage companion...). */
export function replicasNamedBy(step: Step): string[] {
  if ('replica' in step) return [step.replica];
  if ('partition' in step) {
    const companion = step.storage === undefined ? undefined : storageCompanion(step.storage);
    return [...step.partition.flat(), ...(companion === undefined ? [] : [companion])];
  }
  if ('offline' in step) return [step.offline];
  if ('online' in step) return [step.online];
  if ('skew' in step) return [step.skew.replica];
  if ('restart' in step) return [step.restart];
  return [];
}

/** A room name made from a scenario name (letters, digits and dashes). */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return s.slice(0, 64) || 'scenario';
}
