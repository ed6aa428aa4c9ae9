/**
 * What a replica puts on the wire, by kind: a transport wrapped so every frame it sends is counted by its
 * engine (the channel), the kind of replica message (a digest announcement, or the engine's own sync
 * message as its descriptor names it) and its addressing (to one peer, or one broadcast the relay fans
 * out). Bytes are whole relay frames (`encodeData`: the payload and the frame's header with the sender
 * and recipient ids), each frame counted once whatever the number of recipients: what `bench:app`
 * counts in the browser.
 */
import { decodeReplicaMessage, encodeData, reportingSends, type Transport } from '@converge/protocol';
import type { EngineRegistry } from '@converge/replica';

export interface WireCount {
  readonly frames: number;
  readonly bytes: number;
}

/** engine → "addressing: kind" → what was sent. */
export type WireBreakdown = Readonly<Record<string, Readonly<Record<string, WireCount>>>>;

export class WireTap {
  private readonly counts = new Map<string, Map<string, { frames: number; bytes: number }>>();

  constructor(private readonly engines: EngineRegistry) {}

  /** `transport`, counting every frame it sends. */
  wrap(transport: Transport): Transport {
    return reportingSends(transport, (to, channel, payload) =>
      this.count(transport.nodeId, to, channel, payload),
    );
  }

  /** Everything counted so far. */
  snapshot(): WireBreakdown {
    const out: Record<string, Record<string, WireCount>> = {};
    for (const [engine, kinds] of this.counts) {
      out[engine] = Object.fromEntries([...kinds].map(([kind, c]) => [kind, { ...c }]));
    }
    return out;
  }

  private count(from: string, to: string | null, channel: number, payload: Uint8Array): void {
    const descriptor = this.engines.byWireCode(channel);
    const engine = descriptor?.name ?? `channel ${channel}`;
    let kind = 'unrecognised';
    try {
      const message = decodeReplicaMessage(payload);
      kind =
        message.kind === 'sync' ? (descriptor?.describePayload(message.payload) ?? 'sync') : message.kind;
    } catch {
      // counted as unrecognised
    }
    // "sync (3 changes)" and "sync (1 change)" are one kind.
    const key = `${to === null ? 'broadcast' : 'to a peer'}: ${kind.replace(/\d+ changes?/, 'changes')}`;
    let kinds = this.counts.get(engine);
    if (kinds === undefined) {
      kinds = new Map();
      this.counts.set(engine, kinds);
    }
    const c = kinds.get(key) ?? { frames: 0, bytes: 0 };
    c.frames++;
    c.bytes += encodeData(from, to, channel, payload).length;
    kinds.set(key, c);
  }
}

/** What was sent between two snapshots. */
export function wireSince(before: WireBreakdown, after: WireBreakdown): WireBreakdown {
  const out: Record<string, Record<string, WireCount>> = {};
  for (const [engine, kinds] of Object.entries(after)) {
    const diff: Record<string, WireCount> = {};
    for (const [kind, c] of Object.entries(kinds)) {
      const b = before[engine]?.[kind] ?? { frames: 0, bytes: 0 };
      if (c.frames > b.frames) diff[kind] = { frames: c.frames - b.frames, bytes: c.bytes - b.bytes };
    }
    out[engine] = diff;
  }
  return out;
}
