/** The Loro engine's envelope and message kinds (no library needed: its descriptor reads them). */

/** Envelope kinds (kit/envelope.ts) of this engine's bytes. */
export const EnvelopeKind = {
  /** A Loro update or snapshot, for the store. */
  LoroUpdate: 10,
  /** A sync message to a peer. */
  LoroMessage: 11,
} as const;

export const MessageKind = { Hello: 1, Update: 2 } as const;
