/**
 * Channels: the one byte of a data frame that says which engine its payload is for. Each engine declares
 * its own stable wire code (the replica runtime's engine registry holds them, one table, never renumbered);
 * the relay forwards the byte uninterpreted and counts traffic per channel, so adding or reordering
 * engines changes neither the relay nor the bytes of any other engine.
 */

/** Channels are one byte on the wire. */
export const MAX_CHANNEL = 0xff;

/** Why a number cannot be a channel, or undefined when it can. */
export function checkChannel(channel: unknown): string | undefined {
  return Number.isInteger(channel) && (channel as number) >= 0 && (channel as number) <= MAX_CHANNEL
    ? undefined
    : `channel must be an integer in 0..${MAX_CHANNEL}, got ${String(channel)}`;
}

/**
 * The channel of checkout: messages between the windows of a room and its inventory authority (a node
 * living in the relay's process). Not an engine's: the engine registry refuses it as a wire code, and a
 * replica ignores frames on it.
 */
export const CHECKOUT_CHANNEL = 0xc0;

/** Channels no engine may claim. */
export const RESERVED_CHANNELS: ReadonlySet<number> = new Set([CHECKOUT_CHANNEL]);

/** The inventory authority's node id in every room (reserved, like the storage peer's: no window can take it). */
export const AUTHORITY_NODE_ID = 'authority';
