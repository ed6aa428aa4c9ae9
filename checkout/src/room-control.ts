/**
 * What an operator (the admin API, a scenario step, the app's Checkout tab) may do to a room's
 * authority, as one schema: set stock, make the next calls of a simulated service fail or time out, give
 * it latency, pause and resume the serving holder. The scenario format's checkout steps are these same
 * objects, so a step means the same on the relay and in the simulation.
 */
import { z } from 'zod';
import { FAULT_MODES } from './faults.ts';
import { MAX_LINE_QUANTITY } from './lines.ts';
import type { RoomCheckout } from './room-checkout.ts';
import { SIMULATED_SERVICES } from './room-checkout.ts';
import { parseWith, productSchema } from './schemas.ts';

const quantity = z.number().int().min(0).max(MAX_LINE_QUANTITY);

export const roomControlSchema = z.union([
  z.strictObject({
    stock: z.strictObject({ product: productSchema, quantity, price: quantity.optional() }),
  }),
  z.strictObject({
    fail: z.strictObject({
      service: z.enum(SIMULATED_SERVICES),
      calls: z.number().int().min(1).max(1000),
      mode: z.enum(FAULT_MODES).optional(),
    }),
  }),
  z.strictObject({
    latency: z.strictObject({
      service: z.enum(SIMULATED_SERVICES),
      ms: z.number().int().min(0).max(600_000),
    }),
  }),
  z.strictObject({ pause: z.literal('authority') }),
  z.strictObject({ resume: z.literal('authority') }),
]);

export type RoomControl = z.infer<typeof roomControlSchema>;

/** Throws TypeError naming what is wrong. */
export function parseRoomControl(value: unknown): RoomControl {
  return parseWith(roomControlSchema, value, 'checkout control');
}

/** Apply a control to a room's checkout. */
export async function applyRoomControl(checkout: RoomCheckout, control: RoomControl): Promise<void> {
  if ('stock' in control) {
    const { product, quantity: amount, price } = control.stock;
    await checkout.host.setStock(product, amount, price);
  } else if ('fail' in control) {
    checkout.fail(control.fail.service, control.fail.calls, control.fail.mode);
  } else if ('latency' in control) {
    checkout.setLatency(control.latency.service, control.latency.ms);
  } else if ('pause' in control) {
    checkout.pause();
  } else {
    checkout.resume();
  }
}
