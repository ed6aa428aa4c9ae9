/**
 * A replica's own settings, stored with its data: the clock skew the engines see (last-writer-wins stamps
 * writes with it), the primary engine (whose text the user edits), and the Offline switch (a replica
 * reopened offline stays offline, so it pushes nothing until the user switches it back).
 */
import type { Transport } from '@converge/protocol';
import type { EngineName } from '../engine-name.ts';
import type { ReplicaMetadata } from '../store.ts';
import { ReplicaError } from './events.ts';

/** A transport that can take its node offline on request (SimTransport, RelayTransport). */
interface OfflineSwitch {
  setOffline(offline: boolean): void;
}

export class Settings {
  skewMs = 0;
  offline = false;

  constructor(
    private readonly replicaId: string,
    private readonly transport: Transport,
    public primary: EngineName,
  ) {}

  /** The settings as the store keeps them. */
  metadata(): ReplicaMetadata {
    return {
      replicaId: this.replicaId,
      skewMs: this.skewMs,
      primary: this.primary,
      ...(this.offline ? { offline: true } : {}),
    };
  }

  setSkew(ms: number): void {
    if (!Number.isSafeInteger(ms)) throw new ReplicaError(`skew must be a safe integer of ms, got ${ms}`);
    this.skewMs = ms;
  }

  /** Take the transport offline or back online; throws (changing nothing) if it cannot be switched. */
  setOffline(offline: boolean): void {
    const transport = this.transport as Partial<OfflineSwitch>;
    if (typeof transport.setOffline !== 'function') {
      throw new ReplicaError('this transport cannot be switched offline');
    }
    transport.setOffline.call(this.transport, offline);
    this.offline = offline;
  }

  /** Whether the stored settings differ from these (so they must be written again). */
  differsFrom(saved: ReplicaMetadata | undefined): boolean {
    return (
      saved === undefined ||
      saved.skewMs !== this.skewMs ||
      saved.primary !== this.primary ||
      (saved.offline === true) !== this.offline
    );
  }
}
