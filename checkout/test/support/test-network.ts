/**
 * A tiny network between windows and the authority node on a virtual clock: each window's link to the
 * authority can be cut (both ways), and messages are delayed by a seeded random latency (so they can
 * overtake each other), dropped or duplicated.
 */
import type { SeededRandom } from '@converge/crdt-core';
import type { Clock } from '../../src/index.ts';
import { AUTHORITY_NODE_ID } from '../../src/index.ts';

export interface Faults {
  readonly drop: number;
  readonly duplicate: number;
  readonly maxDelayMs: number;
}

export class TestNetwork {
  private readonly cut = new Set<string>();
  private readonly handlers = new Map<string, (from: string, bytes: Uint8Array) => void>();
  private readonly linkListeners = new Map<string, (peer: string, up: boolean) => void>();
  faults: Faults = { drop: 0, duplicate: 0, maxDelayMs: 5 };

  constructor(
    private readonly clock: Clock,
    private readonly random: SeededRandom,
    readonly windows: readonly string[],
  ) {}

  /** `node` receives messages with `handler` and hears of link changes with `onLink`. */
  attach(
    node: string,
    handler: (from: string, bytes: Uint8Array) => void,
    onLink?: (peer: string, up: boolean) => void,
  ): void {
    this.handlers.set(node, handler);
    if (onLink !== undefined) this.linkListeners.set(node, onLink);
    if (node === AUTHORITY_NODE_ID) this.announceAuthority(true);
  }

  /** The node is gone (a crashed process): its links go down, its messages in flight are lost. */
  detach(node: string): void {
    this.handlers.delete(node);
    this.linkListeners.delete(node);
    if (node === AUTHORITY_NODE_ID) this.announceAuthority(false);
  }

  private announceAuthority(up: boolean): void {
    for (const window of this.windows) {
      if (this.cut.has(window) || !this.handlers.has(window)) continue;
      this.linkListeners.get(window)?.(AUTHORITY_NODE_ID, up);
      if (up) this.linkListeners.get(AUTHORITY_NODE_ID)?.(window, true);
    }
  }

  reachable(a: string, b: string): boolean {
    const window = a === AUTHORITY_NODE_ID ? b : a;
    return !this.cut.has(window) && this.handlers.has(a) && this.handlers.has(b);
  }

  setCut(window: string, isCut: boolean): void {
    if (this.cut.has(window) === isCut) return;
    if (isCut) this.cut.add(window);
    else this.cut.delete(window);
    this.linkListeners.get(window)?.(AUTHORITY_NODE_ID, !isCut);
    this.linkListeners.get(AUTHORITY_NODE_ID)?.(window, !isCut);
  }

  healAll(): void {
    for (const window of [...this.cut]) this.setCut(window, false);
  }

  send(from: string, to: string, bytes: Uint8Array): void {
    if (!this.reachable(from, to)) return;
    if (this.random.next() < this.faults.drop) return;
    const copies = this.random.next() < this.faults.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = 1 + Math.floor(this.random.next() * this.faults.maxDelayMs);
      this.clock.setTimeout(() => {
        // A link cut while the message was on its way loses it.
        if (this.reachable(from, to)) this.handlers.get(to)?.(from, bytes);
      }, delay);
    }
  }
}
