/**
 * The scenario file format: replicas, then steps that edit, cut the network, inject chaos, sync and restart.
 * Parsing validates everything up front and names the bad step, so a tester never finds out halfway through a run.
 */
import { COUNTER_NAMES } from '@converge/replica';
import { z } from 'zod';

const nodeId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'replica ids use letters, digits, "_", "." and "-"');
const product = z.string().min(1).max(100);
const safeInt = z.number().int().refine(Number.isSafeInteger, 'must be a safe integer');
const rate = z.number().min(0).max(1);

const editStep = z.discriminatedUnion('op', [
  z.strictObject({
    replica: nodeId,
    op: z.literal('text.insert'),
    pos: safeInt.min(0),
    text: z.string().min(1),
  }),
  z.strictObject({ replica: nodeId, op: z.literal('text.delete'), pos: safeInt.min(0), len: safeInt.min(1) }),
  z.strictObject({ replica: nodeId, op: z.literal('cart.add'), product, qty: safeInt.min(1) }),
  z.strictObject({ replica: nodeId, op: z.literal('cart.remove'), product }),
  z.strictObject({ replica: nodeId, op: z.literal('cart.setQuantity'), product, qty: safeInt.min(0) }),
  z.strictObject({
    replica: nodeId,
    op: z.literal('counter.increment'),
    name: z.enum(COUNTER_NAMES),
    by: safeInt.refine((n) => n !== 0, 'must not be zero'),
  }),
  z.strictObject({ replica: nodeId, op: z.literal('note.set'), value: z.string().max(1000) }),
]);

const networkStep = z.union([
  z.strictObject({ partition: z.array(z.array(nodeId).min(1)).min(1) }),
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

export const stepSchema = z.union([editStep, networkStep]);
export type Step = z.infer<typeof stepSchema>;
export type EditStep = z.infer<typeof editStep>;

export interface Scenario {
  readonly name: string;
  readonly room: string;
  readonly replicas: readonly string[];
  readonly steps: readonly Step[];
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

const headerSchema = z.strictObject({
  name: z.string().min(1).max(200),
  room: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/)
    .optional(),
  replicas: z.array(nodeId).min(1).max(16),
  steps: z.array(z.unknown()).max(100_000),
});

export function isEditStep(step: Step): step is EditStep {
  return 'op' in step;
}

/** Validate a parsed JSON value as a scenario; throws ScenarioError naming the bad step. */
export function parseScenario(value: unknown): Scenario {
  const header = headerSchema.safeParse(value);
  if (!header.success) throw new ScenarioError(`invalid scenario: ${z.prettifyError(header.error)}`);
  const { name, replicas, steps: rawSteps } = header.data;
  if (new Set(replicas).size !== replicas.length)
    throw new ScenarioError('invalid scenario: replica ids repeat');
  const known = new Set(replicas);
  const steps = rawSteps.map((raw, index) => {
    const where = `step ${index + 1} ${JSON.stringify(raw)}`;
    const parsed = stepSchema.safeParse(raw);
    if (!parsed.success) throw new ScenarioError(`invalid ${where}: ${z.prettifyError(parsed.error)}`);
    for (const id of replicasNamedBy(parsed.data)) {
      if (!known.has(id)) throw new ScenarioError(`invalid ${where}: unknown replica "${id}"`);
    }
    return parsed.data;
  });
  return { name, room: header.data.room ?? slug(name), replicas, steps };
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

function replicasNamedBy(step: Step): string[] {
  if ('replica' in step) return [step.replica];
  if ('partition' in step) return step.partition.flat();
  if ('offline' in step) return [step.offline];
  if ('online' in step) return [step.online];
  if ('skew' in step) return [step.skew.replica];
  if ('restart' in step) return [step.restart];
  return [];
}

function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return s.slice(0, 64) || 'scenario';
}
