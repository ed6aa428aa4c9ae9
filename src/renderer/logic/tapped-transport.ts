/**
 * A transport that reports every frame passing through it, for the wire inspector. It wraps the real
 * transport (relay or simulated) without changing what is sent or delivered, and forwards the offline
 * switch when the inner transport has one.
 */
import type { ConnectionState, EngineName, Transport, TransportHandlers } from '@converge/replica';

export type FrameTap = (
  direction: 'out' | 'in',
  peer: string,
  engine: EngineName,
  payload: Uint8Array,
) => void;

interface OfflineSwitch {
  setOffline(offline: boolean): void;
}

export class TappedTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly tap: FrameTap,
  ) {}

  get nodeId(): string {
    return this.inner.nodeId;
  }

  start(handlers: TransportHandlers): void {
    this.inner.start({
      ...handlers,
      message: (from, engine, payload) => {
        this.report('in', from, engine, payload);
        handlers.message(from, engine, payload);
      },
    });
  }

  send(to: string, engine: EngineName, payload: Uint8Array): void {
    this.inner.send(to, engine, payload);
    this.report('out', to, engine, payload);
  }

  reachable(): ReadonlySet<string> {
    return this.inner.reachable();
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

  private report(direction: 'out' | 'in', peer: string, engine: EngineName, payload: Uint8Array): void {
    try {
      this.tap(direction, peer, engine, payload);
    } catch {
      // The inspector must never disturb replication.
    }
  }
}
