/**
 * Starting one window's replica: the relay connection (tapped for the wire inspector), the replica with
 * every registered engine (it announces its digests to its peers, and learns theirs, over that
 * connection), the app model for React and the admin API client for the network panel.
 */
import { attachCheckout, type CheckoutClient } from '@converge/checkout';
import { realTimers } from '@converge/protocol';
import { ENGINES, RelayTransport, Replica } from '@converge/replica';
import { AppModel } from './logic/app-model.ts';
import { keptCheckoutSession } from './logic/checkout-session-store.ts';
import { frameKind } from './logic/frame-kind.ts';
import { NetworkStore } from './logic/network-store.ts';
import { type EventSourceLike, RelayAdmin } from './logic/relay-admin.ts';
import { describeRelayProblem } from './logic/relay-problem.ts';
import {
  broadcastReplayChannel,
  ReplayAgent,
  type ReplayChannel,
  windowActions,
} from './logic/replay-channel.ts';
import { broadcastSessionChannel, SessionRecorder, snapshotOf } from './logic/session-recorder.ts';
import { TappedTransport } from './logic/tapped-transport.ts';
import { WireLog } from './logic/wire-log.ts';
import type { WindowSetup } from './platform.ts';

export interface Session {
  readonly setup: WindowSetup;
  readonly model: AppModel;
  readonly network: NetworkStore;
  /** The room's channel for replays across windows (undefined without BroadcastChannel). */
  readonly replayChannel: ReplayChannel | undefined;
  /** Checkout over the same connection: strong, needs the room's authority. */
  readonly checkout: CheckoutClient;
  /** The relay's admin API with this window's credential (the Checkout tab's operator controls). */
  readonly admin: RelayAdmin;
  /** Start writing whatever the store has queued (the page is being hidden or going away). */
  flush(): void;
  close(): Promise<void>;
}

export async function startSession(setup: WindowSetup): Promise<Session> {
  const { config } = setup;
  const wire = new WireLog(ENGINES.names, 400);
  let model: AppModel | undefined;
  // The network panel follows the relay's admin API with the window's credential, so it starts once
  // there is one: at once, or when a connection attempt finally gets it (asked before each attempt).
  let networkStarted = false;
  let startNetwork = (): void => {};
  const credential = async (): Promise<string> => {
    const token = await setup.credential();
    startNetwork();
    return token;
  };
  const relay = new RelayTransport({
    url: config.relayUrl,
    room: config.room,
    nodeId: config.replicaId,
    role: 'replica',
    token: credential,
    onProblem: (problem) => model?.relayReported(describeRelayProblem(problem)),
  });
  // One connection: the replica's half (tapped for the wire log) and checkout's channel to the authority.
  const kept = keptCheckoutSession(globalThis.localStorage, config.room, config.replicaId);
  const checkout = attachCheckout(relay, {
    clock: realTimers,
    // Before welcome nothing is granted yet; a window then cannot reach the authority anyway.
    canWrite: () => relay.state() !== 'online' || relay.rights().includes('write'),
    ...(kept.restored === undefined ? {} : { restored: kept.restored }),
    persist: kept.persist,
  });
  const transport = new TappedTransport(checkout.transport, ENGINES, (direction, peer, engine, payload) => {
    wire.record({
      at: Date.now(),
      direction,
      peer,
      engine,
      kind: frameKind(ENGINES.get(engine), payload),
      bytes: payload.length,
    });
    model?.wireChanged();
  });
  const replica = await Replica.open({
    id: config.replicaId,
    transport,
    store: setup.store,
    engines: ENGINES,
  });
  // The windows of this origin share one session log per room (BroadcastChannel), so any window's
  // export holds every window's steps.
  const sessionChannel = broadcastSessionChannel(config.room);
  const recorder = new SessionRecorder(config.replicaId, {
    snapshot: () => snapshotOf(replica),
    ...(sessionChannel === undefined ? {} : { channel: sessionChannel }),
  });
  model = new AppModel({
    replica,
    wire,
    recorder,
    schedule: nextFrame,
    now: Date.now,
    // The whole-state snapshot (status, digests) at most ~8 times a second: typing never waits for it.
    minRebuildMs: 120,
  });
  if (setup.notice !== undefined) model.notify('info', setup.notice);
  // Any window of the room may conduct a replay across windows: this one answers on the room's channel.
  const replayChannel = broadcastReplayChannel(config.room);
  const replayAgent =
    replayChannel === undefined ? undefined : new ReplayAgent(windowActions(model), replayChannel);
  if (kept.problem !== undefined) model.notify('error', kept.problem);
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
    checkout: checkout.client,
    admin,
    flush: () => replica.flush(),
    close: async () => {
      networkStarted = true; // a credential arriving later must not start it again
      network.stop();
      checkout.client.close();
      recorder.close();
      sessionChannel?.close();
      replayAgent?.close();
      replayChannel?.close();
      opened.close();
      await replica.close();
      await setup.store.close();
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

/**
 * Run `flush` on the next animation frame, or after 250 ms if no frame comes: hidden tabs get no frames,
 * and a hidden window's snapshot must still keep up with its replica.
 */
function nextFrame(flush: () => void): void {
  let done = false;
  const run = (): void => {
    if (done) return;
    done = true;
    flush();
  };
  requestAnimationFrame(run);
  setTimeout(run, 250);
}
