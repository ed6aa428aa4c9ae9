/**
 * Frame and byte counters per directed link and channel, kept by each room. A channel is the byte a data
 * frame carries for its engine; the relay counts it without knowing what engine it stands for (the
 * admin API reports counts by channel, and clients name them from their own engine registry).
 */

export interface ChannelTraffic {
  readonly frames: number;
  readonly bytes: number;
}

export interface LinkTrafficReport {
  readonly from: string;
  readonly to: string;
  readonly offered: number;
  /** Frames and bytes delivered, per channel that carried any (keys are the channel numbers). */
  readonly channels: Readonly<Record<string, ChannelTraffic>>;
  readonly dropped: Readonly<LinkTraffic['dropped']>;
  readonly duplicated: number;
}

export interface LinkTraffic {
  /** "from to", the link's key in its room. */
  readonly key: string;
  /** Frames the sender put on this link (before cuts, chaos and backpressure). */
  offered: number;
  /** Delivered frames and bytes, by channel. */
  readonly channels: Map<number, { frames: number; bytes: number }>;
  readonly dropped: {
    /** The link was cut when the frame was sent. */
    cut: number;
    /** Chaos dropped it. */
    chaos: number;
    /** The recipient was past its buffered-bytes high-water mark. */
    backpressure: number;
    /** Held by chaos past a cut, a leave or a reconnect: belongs to a link that no longer exists. */
    stale: number;
    /** Chaos already held the room's maximum of delayed bytes. */
    overflow: number;
  };
  duplicated: number;
}

/** The frames dropped on links whose nodes left (their own counters are forgotten with them). */
export interface DepartedTrafficReport {
  /** How many such links there were. */
  readonly links: number;
  readonly dropped: Readonly<LinkTraffic['dropped']>;
}

export function emptyDropped(): LinkTraffic['dropped'] {
  return { cut: 0, chaos: 0, backpressure: 0, stale: 0, overflow: 0 };
}

/** Add `from`'s drop counts to `into`. */
export function addDropped(into: LinkTraffic['dropped'], from: Readonly<LinkTraffic['dropped']>): void {
  into.cut += from.cut;
  into.chaos += from.chaos;
  into.backpressure += from.backpressure;
  into.stale += from.stale;
  into.overflow += from.overflow;
}

export function emptyLinkTraffic(key: string): LinkTraffic {
  return {
    key,
    offered: 0,
    channels: new Map(),
    dropped: emptyDropped(),
    duplicated: 0,
  };
}

/** One frame of `bytes` delivered on `channel`. */
export function countDelivery(traffic: LinkTraffic, channel: number, bytes: number): void {
  const counts = traffic.channels.get(channel);
  if (counts === undefined) traffic.channels.set(channel, { frames: 1, bytes });
  else {
    counts.frames++;
    counts.bytes += bytes;
  }
}

export function reportLinkTraffic(from: string, to: string, traffic: LinkTraffic): LinkTrafficReport {
  const channels: Record<string, ChannelTraffic> = {};
  for (const [channel, counts] of [...traffic.channels].sort(([a], [b]) => a - b)) {
    channels[String(channel)] = { ...counts };
  }
  return {
    from,
    to,
    offered: traffic.offered,
    channels,
    dropped: { ...traffic.dropped },
    duplicated: traffic.duplicated,
  };
}
