/**
 * What happens in the relay, as events for the admin stream (and tests). Every event carries the
 * time it was emitted (`at`, from the relay's clock).
 */
import type { NodeRole } from '@converge/protocol';
import type { ChaosConfig } from './chaos.ts';
import type { LinkTrafficReport } from './traffic.ts';

/** Violations of the protocol or of a limit; each is counted. */
export const VIOLATIONS = [
  'bad-frame',
  'hello-required',
  'hello-timeout',
  'protocol-version',
  'unauthorized',
  'room-limit',
  'node-limit',
  'connection-limit',
  'bad-origin',
  'frame-too-large',
  'rate-limited',
  'spoofed-sender',
  'backpressure',
  'slow-consumer',
  'heartbeat-timeout',
  'admin-unauthorized',
  'forbidden',
  'identity-in-use',
  'room-creation-rate',
  'bad-host',
  'header-timeout',
  'pending-socket-limit',
] as const;
export type Violation = (typeof VIOLATIONS)[number];

export type LeaveReason = 'closed' | 'replaced' | 'slow-consumer' | 'shutdown' | 'error';

export type RelayEventBody =
  | { readonly type: 'room-created'; readonly room: string }
  | { readonly type: 'room-removed'; readonly room: string }
  | {
      readonly type: 'join';
      readonly room: string;
      readonly node: string;
      readonly role: NodeRole;
      readonly remote: string;
    }
  | { readonly type: 'leave'; readonly room: string; readonly node: string; readonly reason: LeaveReason }
  | { readonly type: 'cut'; readonly room: string; readonly from: string; readonly to: string }
  | { readonly type: 'heal'; readonly room: string; readonly from: string; readonly to: string }
  | {
      readonly type: 'chaos';
      readonly room: string;
      /** The link the config applies to, or null for the room default. */
      readonly link: { readonly from: string; readonly to: string } | null;
      readonly config: ChaosConfig | null;
    }
  | {
      readonly type: 'violation';
      readonly violation: Violation;
      readonly remote: string;
      readonly room?: string;
      readonly node?: string;
      readonly detail: string;
    }
  | {
      /** Cumulative counters of the links that carried or dropped frames since the last traffic event. */
      readonly type: 'traffic';
      readonly room: string;
      readonly links: readonly LinkTrafficReport[];
    };

export type RelayEvent = RelayEventBody & { readonly at: number };

export type RelayEventListener = (event: RelayEvent) => void;

/** Fan-out of relay events; a failing listener is removed and never disturbs the relay. */
export class EventBus {
  private readonly listeners = new Set<RelayEventListener>();

  constructor(private readonly now: () => number) {}

  get listening(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: RelayEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(body: RelayEventBody): void {
    if (this.listeners.size === 0) return;
    const event = { ...body, at: this.now() } as RelayEvent;
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }
}
