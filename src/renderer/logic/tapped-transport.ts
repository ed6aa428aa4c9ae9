/**
 * A transport that reports every frame passing through it, for the wire inspector. It wraps the real
 * transport (relay or simulated) without changing what is sent or delivered, and forwards the offline
 * switch when the inner transport has one.
 */
import type { ConnectionState, Transport, TransportHandlers } from '@converge/protocol';
import type { EngineName, EngineRegistry } from '@converge/replica';
import { frameKind } from './frame-kind.ts';
import type { WireLog } from './wire-log.ts';

export type FrameTap = (
  direction: 'out' | 'in',
  peer: string,
  engine: EngineName,
  payload: Uint8Array,
) => void;

/**
 * The tap that records each frame in `wire` (with its kind, from the engine's descriptor) and then calls
 * `recorded` (the app model's `wireChanged`).
 */
export function wireLogTap(
  wire: WireLog,
  engines: EngineRegistry,
  now: () => number,
  recorded: () => void,
): FrameTap {
  return (direction, peer, engine, payload) => {
    wire.record({
      at: now(),
      direction,
      peer,
      engine,
      kind: frameKind(engines.get(engine), payload),
      bytes: payload.length,
    });
    recorded();
  };
}

/** What the wire log names as the peer of a frame sent to every peer at once. */
export const BROADCAST_PEER = 'all peers';

interface OfflineSwitch {
  setOffline(offline: boolean): void;
}

export class TappedTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    /** The engines whose channels it names (the replica's). */
    private readonly engines: EngineRegistry,
    private readonly tap: FrameTap,
  ) {}

  get nodeId(): string {
    return this.inner.nodeId;
  }

  start(handlers: TransportHandlers): void {
    this.inner.start({
      ...handlers,
      message: (from, channel, payload) => {
        this.report('in', from, channel, payload);
        handlers.message(from, channel, payload);
      },
    });
  }

  send(to: string, channel: number, payload: Uint8Array): void {
    this.inner.send(to, channel, payload);
    this.report('out', to, channel, payload);
  }

  /** Present only when the inner transport broadcasts (else the replica sends to each peer). */
  get broadcast(): ((channel: number, payload: Uint8Array) => void) | undefined {
    const inner = this.inner;
    if (inner.broadcast === undefined) return undefined;
    return (channel, payload) => {
      inner.broadcast?.(channel, payload);
      this.report('out', BROADCAST_PEER, channel, payload);
    };
  }

  reachable(): ReadonlySet<string> {
    return this.inner.reachable();
  }

  /** Whether two nodes reach each other, as the inner transport knows (undefined: it cannot tell). */
  linked(from: string, to: string): boolean | undefined {
    return this.inner.linked?.(from, to);
  }

  state(): ConnectionState {
    return this.inner.state();
  }

  close(): void {
    this.inner.close();
  }

  /** Present so the replica's Offline toggle reaches the inner transport. */
  setOffline(offline: boolean): void {
    const inner = this.inner as Partial<OfflineSwitch>;
    if (typeof inner.setOffline !== 'function') throw new Error('this transport cannot be switched offline');
    inner.setOffline.call(this.inner, offline);
  }

  private report(direction: 'out' | 'in', peer: string, channel: number, payload: Uint8Array): void {
    // A channel no engine of ours stands for is the replica's to report (as an unknown engine).
    const engine = this.engines.byWireCode(channel)?.name;
    if (engine === undefined) return;
    try {
      this.tap(direction, peer, engine, payload);
    } catch {
      // The inspector must never disturb replication.
    }
  }
}
