/**
 * The cluster's event channel: every node publishes its relay events on one Redis pub/sub channel, and a
 * node with an admin event stream open listens to it, so `/events` on any node shows every node's rooms.
 * The subscriber connection is opened with the first listener and closed with the last. Pub/sub is
 * at-most-once (a node that is not connected misses what was published meanwhile): a stream's snapshot
 * (`/rooms` across the cluster) is the state, events are what changed since.
 */
import { errorMessage } from '@converge/protocol';
import type { Redis } from 'ioredis';
import type { RelayEvent } from '../events.ts';
import type { Logger } from '../log.ts';
import type { ClusterEventChannel } from '../room-ownership.ts';
import { KEY_PREFIX } from './redis-scripts.ts';

export const EVENTS_CHANNEL = `${KEY_PREFIX}:events`;

type Listener = (relay: string, event: RelayEvent) => void;

export class RedisClusterEvents implements ClusterEventChannel {
  private readonly listeners = new Set<Listener>();
  private subscriber: Redis | undefined;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly nodeId: string,
    private readonly log: Logger,
  ) {}

  publish(event: RelayEvent): void {
    if (this.closed) return;
    this.redis
      .publish(EVENTS_CHANNEL, JSON.stringify({ relay: this.nodeId, event }))
      .catch((error: unknown) =>
        this.log.debug('cluster-event-publish-failed', { error: errorMessage(error) }),
      );
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    if (this.subscriber === undefined && !this.closed) this.open();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.stop();
  }

  private open(): void {
    const subscriber = this.redis.duplicate({ lazyConnect: false });
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) =>
      this.log.debug('cluster-event-subscriber-error', { error: error.message }),
    );
    subscriber.on('message', (_channel: string, message: string) => this.receive(message));
    subscriber
      .subscribe(EVENTS_CHANNEL)
      .catch((error: unknown) => this.log.warn('cluster-events-unavailable', { error: errorMessage(error) }));
  }

  private stop(): void {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    subscriber?.quit().catch(() => subscriber.disconnect());
  }

  private receive(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      this.log.warn('cluster-event-malformed', { detail: 'not JSON' });
      return;
    }
    const { relay, event } = (parsed ?? {}) as { relay?: unknown; event?: unknown };
    const type = (event as { type?: unknown } | undefined)?.type;
    if (typeof relay !== 'string' || typeof type !== 'string') {
      this.log.warn('cluster-event-malformed', { detail: 'without relay or event type' });
      return;
    }
    if (relay === this.nodeId) return; // this node's own events reach its streams directly
    for (const listener of [...this.listeners]) listener(relay, event as RelayEvent);
  }
}
