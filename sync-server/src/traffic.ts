/** Frame and byte counters per directed link and engine, kept by each room. */
import { ENGINE_NAMES, type EngineName } from '@converge/replica/protocol';

export interface EngineTraffic {
  readonly frames: number;
  readonly bytes: number;
}

export interface LinkTrafficReport {
  readonly from: string;
  readonly to: string;
  readonly offered: number;
  /** Frames and bytes delivered, per engine. */
  readonly engines: Readonly<Record<EngineName, EngineTraffic>>;
  readonly dropped: Readonly<LinkTraffic['dropped']>;
  readonly duplicated: number;
}

export interface LinkTraffic {
  /** "from to", the link's key in its room. */
  readonly key: string;
  /** Frames the sender put on this link (before cuts, chaos and backpressure). */
  offered: number;
  /** Delivered frames and bytes, indexed by engine tag. */
  readonly frames: number[];
  readonly bytes: number[];
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

export function emptyLinkTraffic(key: string): LinkTraffic {
  return {
    key,
    offered: 0,
    frames: ENGINE_NAMES.map(() => 0),
    bytes: ENGINE_NAMES.map(() => 0),
    dropped: { cut: 0, chaos: 0, backpressure: 0, stale: 0, overflow: 0 },
    duplicated: 0,
  };
}

export function reportLinkTraffic(from: string, to: string, traffic: LinkTraffic): LinkTrafficReport {
  const engines = {} as Record<EngineName, EngineTraffic>;
  ENGINE_NAMES.forEach((engine, tag) => {
    engines[engine] = { frames: traffic.frames[tag] ?? 0, bytes: traffic.bytes[tag] ?? 0 };
  });
  return {
    from,
    to,
    offered: traffic.offered,
    engines,
    dropped: { ...traffic.dropped },
    duplicated: traffic.duplicated,
  };
}
