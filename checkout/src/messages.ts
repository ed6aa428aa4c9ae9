/**
 * What windows and the authority say to each other (the payload of the relay's checkout channel), as
 * UTF-8 JSON validated on arrival: a malformed message is refused with a clear error, never half-read.
 */
import { z } from 'zod';
import type { ProductStock } from './authority-state.ts';
import { FENCED_RESOURCES } from './fencing.ts';
import type { FencedEvent } from './holder.ts';
import type { HolderInfo } from './host.ts';
import type { Lines } from './lines.ts';
import type { OrderRecord } from './order.ts';
import { GATE_POINTS } from './pause-gate.ts';
import {
  fromJsonBytes,
  idSchema,
  jsonBytes,
  linesSchema,
  orderRecordSchema,
  parseWith,
  productSchema,
  productStockSchema,
} from './schemas.ts';

export { AUTHORITY_NODE_ID } from '@converge/protocol';

/** The most recent orders a full view carries (older ones stay at the authority). */
export const MAX_ORDERS_IN_VIEW = 200;
/** Messages are small; anything larger is refused before it is parsed. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export type ClientMessage =
  /** Check out these lines under this key; the same key again is a retry (and asks for the order's state). */
  | { readonly type: 'checkout'; readonly key: string; readonly lines: Lines }
  /** Send me the full view again. */
  | { readonly type: 'refresh' };

/** The authority as a window sees it. */
export interface PublicView {
  readonly seq: number;
  readonly products: readonly (readonly [string, ProductStock])[];
  readonly orders: readonly OrderRecord[];
  readonly holders: readonly HolderInfo[];
  readonly fenced: readonly FencedEvent[];
}

export type AuthorityMessage =
  | { readonly type: 'view'; readonly view: PublicView }
  | { readonly type: 'order'; readonly order: OrderRecord }
  | {
      readonly type: 'stock';
      readonly product: string;
      readonly stock: ProductStock;
      readonly version: number;
    }
  | { readonly type: 'holders'; readonly holders: readonly HolderInfo[] }
  | { readonly type: 'fenced'; readonly event: FencedEvent }
  /** A checkout the authority will not place (a bad cart, a key used for another cart, no write right). */
  | { readonly type: 'refused'; readonly key: string; readonly reason: string };

const count = z.number().int().min(0).refine(Number.isSafeInteger, 'must be a safe integer');
const clientSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('checkout'), key: idSchema, lines: linesSchema }),
  z.strictObject({ type: z.literal('refresh') }),
]) satisfies z.ZodType<ClientMessage>;

const holderSchema = z
  .strictObject({
    name: z.string().max(64),
    token: count,
    state: z.enum(['serving', 'paused', 'pausing', 'deposed', 'retired']),
    leaseExpiresAt: z.number(),
    detail: z.string().max(1000).optional(),
  })
  .readonly() satisfies z.ZodType<HolderInfo>;
const fencedSchema = z
  .strictObject({
    token: count,
    resource: z.enum(FENCED_RESOURCES),
    point: z.enum(GATE_POINTS),
    orderId: z.string().max(32).optional(),
    fence: count,
    at: z.number(),
  })
  .readonly() satisfies z.ZodType<FencedEvent>;
const stockEntry = z.tuple([productSchema, productStockSchema]).readonly();

const authoritySchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('view'),
    view: z
      .strictObject({
        seq: count,
        products: z.array(stockEntry).readonly(),
        orders: z.array(orderRecordSchema).max(MAX_ORDERS_IN_VIEW).readonly(),
        holders: z.array(holderSchema).readonly(),
        fenced: z.array(fencedSchema).readonly(),
      })
      .readonly(),
  }),
  z.strictObject({ type: z.literal('order'), order: orderRecordSchema }),
  z.strictObject({
    type: z.literal('stock'),
    product: productSchema,
    stock: productStockSchema,
    version: count,
  }),
  z.strictObject({ type: z.literal('holders'), holders: z.array(holderSchema).readonly() }),
  z.strictObject({ type: z.literal('fenced'), event: fencedSchema }),
  z.strictObject({ type: z.literal('refused'), key: idSchema, reason: z.string().max(1000) }),
]) satisfies z.ZodType<AuthorityMessage>;

export function encodeClientMessage(message: ClientMessage): Uint8Array {
  return jsonBytes(parseWith(clientSchema, message, 'checkout message'));
}

export function encodeAuthorityMessage(message: AuthorityMessage): Uint8Array {
  return jsonBytes(message);
}

/** Throws TypeError naming what is wrong. */
export function decodeClientMessage(bytes: Uint8Array): ClientMessage {
  if (bytes.length > MAX_MESSAGE_BYTES)
    throw new TypeError(`checkout message of ${bytes.length} bytes is too large`);
  return parseWith(clientSchema, fromJsonBytes(bytes, 'checkout message'), 'checkout message');
}

/** Throws TypeError naming what is wrong. */
export function decodeAuthorityMessage(bytes: Uint8Array): AuthorityMessage {
  if (bytes.length > MAX_MESSAGE_BYTES)
    throw new TypeError(`authority message of ${bytes.length} bytes is too large`);
  return parseWith(authoritySchema, fromJsonBytes(bytes, 'authority message'), 'authority message');
}
