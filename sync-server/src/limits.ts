/**
 * Every limit the relay enforces, with defaults sized for a desktop app's handful of windows per room
 * and generous headroom for scripted scenarios and benchmarks.
 */
export interface RelayLimits {
  /** Largest frame accepted (WebSocket maxPayload); larger ones close the connection with 1009. */
  readonly maxFrameBytes: number;
  /** Sustained frames per second per connection (token bucket refill rate). */
  readonly framesPerSecond: number;
  /** Frames a connection may send at once above the sustained rate (token bucket size). */
  readonly frameBurst: number;
  /** Frames dropped by the rate limit within one second after which the connection is closed. */
  readonly rateLimitTolerance: number;
  /** High-water mark of bytes queued towards one connection; past it, frames to it are dropped. */
  readonly maxBufferedBytes: number;
  /** A connection that stays past the high-water mark this long is closed as a slow consumer. */
  readonly slowConsumerMs: number;
  /** Malformed frames a connection may send before it is closed. */
  readonly maxBadFrames: number;
  readonly maxRooms: number;
  readonly maxNodesPerRoom: number;
  /** Open WebSocket connections, including those that have not said hello yet. */
  readonly maxConnections: number;
  /** Time from connecting to hello. */
  readonly helloTimeoutMs: number;
  /** Time from opening a TCP connection to the end of its first request's headers. */
  readonly headerTimeoutMs: number;
  /**
   * Sockets not yet past their first request's headers, or upgraded but not yet joined with a valid
   * credential; more are dropped on arrival.
   */
  readonly maxPendingSockets: number;
  /** Rooms one source address may create per minute (token bucket refill rate)… */
  readonly roomCreationsPerMinute: number;
  /** …and at once (bucket size). */
  readonly roomCreationBurst: number;
  /** Ping interval; a connection that has not answered the previous ping is terminated. */
  readonly heartbeatMs: number;
  /** Bytes chaos may hold back (delayed or reordered) per room; more frames are dropped. */
  readonly maxDelayedBytesPerRoom: number;
  /** Time a closing connection gets to finish the close handshake before it is terminated. */
  readonly closeGraceMs: number;
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxFrameBytes: 1024 * 1024,
  framesPerSecond: 2000,
  frameBurst: 4000,
  rateLimitTolerance: 1000,
  maxBufferedBytes: 8 * 1024 * 1024,
  slowConsumerMs: 5000,
  maxBadFrames: 8,
  maxRooms: 1000,
  maxNodesPerRoom: 64,
  maxConnections: 4096,
  helloTimeoutMs: 5000,
  headerTimeoutMs: 10_000,
  maxPendingSockets: 256,
  roomCreationsPerMinute: 60,
  roomCreationBurst: 60,
  heartbeatMs: 15_000,
  maxDelayedBytesPerRoom: 64 * 1024 * 1024,
  closeGraceMs: 2000,
};

export class LimitsError extends Error {
  override readonly name = 'LimitsError';
}

/** Defaults overridden by `overrides`; every value must be a positive safe integer. */
export function resolveLimits(overrides: Partial<RelayLimits> = {}): RelayLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in DEFAULT_LIMITS)) throw new LimitsError(`unknown limit ${name}`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new LimitsError(`limit ${name} must be a positive integer, got ${String(value)}`);
    }
    (limits as Record<string, number>)[name] = value;
  }
  return limits;
}
