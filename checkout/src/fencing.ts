/**
 * Fencing tokens: every lease on a room's authority comes with a token larger than any before it. Every
 * resource the holder writes to (the stock store, the payment and shipment services) remembers the largest
 * token it has seen and refuses smaller ones, so a holder that was paused or partitioned past its lease
 * cannot write after its successor has started, whatever it believes about its lease.
 */
export type FencingToken = number;

/** Tokens are positive safe integers; 0 is "no holder yet". */
export function isFencingToken(value: unknown): value is FencingToken {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** The resources that check tokens, as they are named in events and the UI. */
export const FENCED_RESOURCES = ['stock store', 'payment', 'shipment'] as const;
export type FencedResource = (typeof FENCED_RESOURCES)[number];

/** A resource's answer to a stale token. */
export interface Fenced {
  readonly kind: 'fenced';
  /** The largest token the resource has seen. */
  readonly fence: FencingToken;
}

/** A write with `token` is allowed by a resource whose fence is `fence`. */
export function admits(fence: FencingToken, token: FencingToken): boolean {
  return token >= fence;
}

export function fencedMessage(resource: FencedResource, token: FencingToken, fence: FencingToken): string {
  return `${resource} refused fencing token ${token}: it has seen ${fence}`;
}
