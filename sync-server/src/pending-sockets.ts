/**
 * Sockets that have not proven anything yet: TCP connections still sending their first request's
 * headers, and WebSocket connections upgraded but not yet joined with a valid credential. Each costs a
 * file descriptor and memory while costing its sender almost nothing, so they are capped, and one that
 * does not finish its headers in time is destroyed.
 */

import type { Socket } from 'node:net';
import type { Cancel, Timers } from '@converge/protocol';

export interface PendingSocketLimits {
  readonly headerTimeoutMs: number;
  readonly maxPendingSockets: number;
}

export type PendingSocketRefusal = 'header-timeout' | 'pending-socket-limit';

export class PendingSockets {
  /** Each pending socket, with the cancel of its header timer (undefined once its headers arrived). */
  private readonly pending = new Map<Socket, Cancel | undefined>();

  constructor(
    private readonly clock: Timers,
    private readonly limits: PendingSocketLimits,
    private readonly refused: (socket: Socket, why: PendingSocketRefusal, detail: string) => void,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** A new TCP connection: counted until it settles; destroyed at once when too many are pending. */
  admit(socket: Socket): void {
    if (this.pending.size >= this.limits.maxPendingSockets) {
      this.refused(socket, 'pending-socket-limit', `${this.pending.size} sockets pending`);
      socket.destroy();
      return;
    }
    const timer = this.clock.setTimeout(() => {
      if (!this.pending.has(socket)) return;
      this.pending.delete(socket);
      this.refused(socket, 'header-timeout', `no complete request within ${this.limits.headerTimeoutMs} ms`);
      socket.destroy();
    }, this.limits.headerTimeoutMs);
    this.pending.set(socket, timer);
    socket.once('close', () => this.settle(socket));
  }

  /** Its first request's headers arrived (an upgrade stays pending until it joins). */
  headersReceived(socket: Socket): void {
    if (!this.pending.has(socket)) return;
    this.pending.get(socket)?.();
    this.pending.set(socket, undefined);
  }

  /** No longer pending: it sent a whole request, or its WebSocket joined a room, or it closed. */
  settle(socket: Socket): void {
    this.pending.get(socket)?.();
    this.pending.delete(socket);
  }

  /** Stop every header timer (shutdown). */
  clear(): void {
    for (const cancel of this.pending.values()) cancel?.();
    this.pending.clear();
  }
}
