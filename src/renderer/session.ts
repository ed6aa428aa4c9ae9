/**
 * Starting one window: its replica in a dedicated worker (worker/replica-worker.ts: the relay
 * connection, every registered engine, the store, checkout on the same connection), the page's client
 * of it (worker/replica-client.ts) for React, and the admin API client for the network panel, which
 * stays on the page with the window's credential.
 */
import { realTimers } from '@converge/protocol';
import { keptCheckoutSession } from './logic/checkout-session-store.ts';
import { NetworkStore } from './logic/network-store.ts';
import { type EventSourceLike, RelayAdmin } from './logic/relay-admin.ts';
import { broadcastReplayChannel, type ReplayChannel } from './logic/replay-channel.ts';
import type { WindowSetup } from './platform.ts';
import { browserAfterFrame } from './worker/after-frame-posts.ts';
import { serveByteLog } from './worker/port-byte-log.ts';
import type { StoreSpec } from './worker/protocol.ts';
import { type CheckoutProxy, ReplicaClient, type WorkerLike } from './worker/replica-client.ts';

export interface Session {
  readonly setup: WindowSetup;
  readonly model: ReplicaClient;
  readonly network: NetworkStore;
  /** The room's channel for replays across windows (undefined without BroadcastChannel). */
  readonly replayChannel: ReplayChannel | undefined;
  /** Checkout over the replica's connection (in the worker): strong, needs the room's authority. */
  readonly checkout: CheckoutProxy;
  /** The relay's admin API with this window's credential (the Checkout tab's operator controls). */
  readonly admin: RelayAdmin;
  /** Start writing whatever the store has queued (the page is being hidden or going away). */
  flush(): void;
  close(): Promise<void>;
}

/** `worker` is the window's replica worker, already started (worker/replica-worker-start.ts). */
export async function startSession(setup: WindowSetup, worker: WorkerLike): Promise<Session> {
  const { config } = setup;
  // Asked for now (both platforms keep one per page): the worker's relay connection wants it as soon
  // as its replica is open, and the request then overlaps the worker's start instead of following it.
  setup.credential().catch(() => {});
  // The network panel follows the relay's admin API with the window's credential, so it starts once
  // there is one: at once, or when a connection attempt finally gets it (asked before each attempt).
  let networkStarted = false;
  let startNetwork = (): void => {};
  const credential = async (): Promise<string> => {
    const token = await setup.credential();
    startNetwork();
    return token;
  };
  const kept = keptCheckoutSession(globalThis.localStorage, config.room, config.replicaId);
  let store: StoreSpec;
  const transfer: Transferable[] = [];
  if (setup.store.kind === 'indexeddb') store = { kind: 'indexeddb', name: setup.store.name };
  else {
    // Only the page has the preload API: it serves the byte log to the worker over a port of its own.
    const channel = new MessageChannel();
    serveByteLog(channel.port1, setup.store.log);
    store = { kind: 'byte-log' };
    transfer.push(channel.port2);
  }
  let model: ReplicaClient;
  try {
    model = await ReplicaClient.start({
      worker,
      config: {
        relayUrl: config.relayUrl,
        adminUrl: config.adminUrl,
        room: config.room,
        replicaId: config.replicaId,
      },
      store,
      transfer,
      ...(kept.restored === undefined ? {} : { checkoutRestored: kept.restored }),
      ...(setup.notice === undefined ? {} : { notice: setup.notice }),
      credential,
      afterFrame: browserAfterFrame(),
      persistCheckout: (snapshot) => kept.persist(snapshot as Parameters<typeof kept.persist>[0]),
    });
  } catch (error) {
    worker.terminate();
    throw error;
  }
  if (kept.problem !== undefined) model.notify('error', kept.problem);
  // The conductor of a replay across windows lives on the page; this window's agent in the worker.
  const replayChannel = broadcastReplayChannel(config.room);
  const admin = new RelayAdmin({
    baseUrl: config.adminUrl,
    token: setup.credential,
    fetch: (input, init) => fetch(input, init),
    eventSource: openEventSource,
  });
  const network = new NetworkStore({ admin, room: config.room, timers: realTimers });
  startNetwork = () => {
    if (networkStarted) return;
    networkStarted = true;
    network.start();
  };
  void setup.credential().then(startNetwork, () => {});
  const opened = model;
  return {
    setup,
    model: opened,
    network,
    replayChannel,
    checkout: opened.checkout,
    admin,
    flush: () => opened.flush(),
    close: async () => {
      networkStarted = true; // a credential arriving later must not start it again
      network.stop();
      replayChannel?.close();
      await opened.close();
    },
  };
}

/** The browser's EventSource in the admin client's shape. */
function openEventSource(url: string): EventSourceLike {
  const source = new EventSource(url);
  const wrapped: EventSourceLike = {
    onopen: null,
    onerror: null,
    addEventListener: (type, listener) =>
      source.addEventListener(type, (event) => listener({ data: (event as MessageEvent).data })),
    close: () => source.close(),
  };
  source.onopen = (event) => wrapped.onopen?.(event);
  source.onerror = (event) => wrapped.onerror?.(event);
  return wrapped;
}
