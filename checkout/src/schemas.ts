/**
 * The one definition of every checkout value that crosses a boundary — persisted in a store's log and
 * snapshots, or sent between a window and the authority — as zod schemas checked against the types.
 * Anything that does not parse is refused with a message naming what is wrong.
 */
import { z } from 'zod';
import type { AuthorityCommand, AuthorityEntry, AuthoritySnapshot, ProductStock } from './authority-state.ts';
import { MAX_LINE_QUANTITY, MAX_LINES, MAX_PRODUCT_LENGTH } from './lines.ts';
import { ORDER_PHASES, type OrderRecord, SAGA_STEPS, STEP_OUTCOMES, type StepEntry } from './order.ts';
import type { SagaTransition } from './saga.ts';
import type { SessionSnapshot } from './session.ts';

const count = z.number().int().min(0).refine(Number.isSafeInteger, 'must be a safe integer');
const token = count;
const text = z.string().max(1000);
/** Replica ids and idempotency keys: the relay's id rules. */
export const idSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/,
    '1–64 letters, digits and . _ : @ -, starting with a letter or digit',
  );
export const productSchema = z.string().min(1).max(MAX_PRODUCT_LENGTH);
export const linesSchema = z
  .array(z.tuple([productSchema, z.number().int().min(1).max(MAX_LINE_QUANTITY)]).readonly())
  .max(MAX_LINES)
  .readonly();

export const productStockSchema = z
  .strictObject({ available: count, reserved: count, sold: count, price: count })
  .readonly() satisfies z.ZodType<ProductStock>;

const stepEntrySchema = z
  .strictObject({
    step: z.enum(SAGA_STEPS),
    outcome: z.enum(STEP_OUTCOMES),
    token,
    at: z.number(),
    detail: text.optional(),
  })
  .readonly() satisfies z.ZodType<StepEntry>;

const possibility = z.enum(['none', 'maybe', 'done']);

export const orderRecordSchema = z
  .strictObject({
    id: z.string().regex(/^o[1-9][0-9]*$/),
    replica: idSchema,
    key: idSchema,
    lines: linesSchema,
    amount: count,
    placedAt: z.number(),
    phase: z.enum(ORDER_PHASES),
    attempts: z.strictObject({ charge: count, ship: count }).readonly(),
    charge: possibility,
    shipment: possibility,
    chargeId: text.optional(),
    shipmentId: text.optional(),
    reason: text.optional(),
    token,
    version: count,
    history: z.array(stepEntrySchema).readonly(),
  })
  .readonly() satisfies z.ZodType<OrderRecord>;

const transitionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('charge-started') }),
  z.strictObject({ kind: z.literal('charge-unknown'), detail: text }),
  z.strictObject({ kind: z.literal('charged'), chargeId: text }),
  z.strictObject({ kind: z.literal('charge-failed'), reason: text, definitive: z.boolean() }),
  z.strictObject({ kind: z.literal('ship-started') }),
  z.strictObject({ kind: z.literal('ship-unknown'), detail: text }),
  z.strictObject({ kind: z.literal('shipped'), shipmentId: text }),
  z.strictObject({ kind: z.literal('ship-failed'), reason: text, definitive: z.boolean() }),
  z.strictObject({ kind: z.literal('shipment-cancelled'), shipmentId: text.optional() }),
  z.strictObject({ kind: z.literal('refunded'), chargeId: text.optional() }),
]) satisfies z.ZodType<SagaTransition>;

const orderId = z.string().max(32);
export const commandSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fence') }),
  z.strictObject({
    kind: z.literal('set-stock'),
    product: productSchema,
    quantity: count,
    price: count.optional(),
  }),
  z.strictObject({ kind: z.literal('place'), replica: idSchema, key: idSchema, lines: linesSchema }),
  z.strictObject({ kind: z.literal('reserve'), order: orderId }),
  z.strictObject({ kind: z.literal('advance'), order: orderId, transition: transitionSchema }),
  z.strictObject({ kind: z.literal('commit'), order: orderId }),
  z.strictObject({ kind: z.literal('release'), order: orderId }),
]) satisfies z.ZodType<AuthorityCommand>;

export const entrySchema = z
  .strictObject({ token, at: z.number(), command: commandSchema })
  .readonly() satisfies z.ZodType<AuthorityEntry>;

export const snapshotSchema = z
  .strictObject({
    fence: token,
    seq: count,
    products: z.array(z.tuple([productSchema, productStockSchema]).readonly()).readonly(),
    orders: z.array(orderRecordSchema).readonly(),
  })
  .readonly() satisfies z.ZodType<AuthoritySnapshot>;

/** Parse `value` with `schema`, or throw an error that says what `what` got wrong. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new TypeError(`invalid ${what}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** JSON as UTF-8 bytes (records, snapshots, messages). */
export function jsonBytes(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** UTF-8 JSON bytes back to a value; throws TypeError on bad UTF-8 or JSON. */
export function fromJsonBytes(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new TypeError(`${what} is not UTF-8 JSON: ${(error as Error).message}`);
  }
}

const sessionSnapshotSchema = z
  .strictObject({
    sent: z
      .array(
        z
          .strictObject({ key: idSchema, lines: linesSchema, sentAt: z.number(), refused: text.optional() })
          .readonly(),
      )
      .max(10_000)
      .readonly(),
    seen: z
      .array(z.tuple([z.string().max(32), count]).readonly())
      .max(100_000)
      .readonly(),
    keysIssued: count,
  })
  .readonly() satisfies z.ZodType<SessionSnapshot>;

/** A window's kept order session (its localStorage entry); throws TypeError naming what is wrong. */
export function parseSessionSnapshot(value: unknown): SessionSnapshot {
  return parseWith(sessionSnapshotSchema, value, 'checkout session');
}
