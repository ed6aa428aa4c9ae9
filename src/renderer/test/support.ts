/**
 * Replicas on a simulated network, wired like the app wires its window (tapped transport, wire log).
 * `closeModelsAfterEach` closes every model and replica a test opened, as a window does on pagehide.
 */

import { SeededRandom } from '@converge/crdt-core';
import { splitCheckoutChannel, VirtualClock } from '@converge/protocol';
import { ENGINES, MemoryStore, Replica, SimNetwork, type Store } from '@converge/replica';
import type { ScenarioWorld } from '@converge/scenarios';
import { afterEach } from 'vitest';
import { AppModel } from '../logic/app-model.ts';
import { type SessionChannel, type SessionMessage, SessionRecorder } from '../logic/session-recorder.ts';
import { TappedTransport, wireLogTap } from '../logic/tapped-transport.ts';
import { WireLog } from '../logic/wire-log.ts';

export interface TestWorld {
  readonly clock: VirtualClock;
  readonly network: SimNetwork;
}

export function world(seed = 1): TestWorld {
  const clock = new VirtualClock(1_700_000_000_000);
  return { clock, network: new SimNetwork({ timers: clock, seed }) };
}

const opened = new Set<{ readonly model: AppModel; readonly replica: Replica }>();

/** Call once at the top of a test file that opens models. */
export function closeModelsAfterEach(): void {
  afterEach(async () => {
    const windows = [...opened];
    opened.clear();
    for (const { model, replica } of windows) {
      model.close();
      await replica.close();
    }
  });
}

export async function openModel(
  w: TestWorld,
  id: string,
  store: Store = new MemoryStore(),
): Promise<AppModel> {
  const wire = new WireLog(ENGINES.names, 50);
  let model: AppModel | undefined;
  const transport = new TappedTransport(
    w.network.transport(id),
    ENGINES,
    wireLogTap(
      wire,
      ENGINES,
      () => w.clock.now(),
      () => model?.wireChanged(),
    ),
  );
  let seed = id.charCodeAt(0) * 7919;
  const replica = await Replica.open({
    id,
    transport,
    store,
    engines: ENGINES,
    timers: w.clock,
    randomUint32: () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    },
  });
  model = new AppModel({
    replica,
    wire,
    recorder: new SessionRecorder(id),
    schedule: (flush) => flush(),
    now: () => w.clock.now(),
  });
  opened.add({ model, replica });
  return model;
}

/** Let durable appends resolve and the simulated network deliver, a few rounds. */
export async function settle(w: TestWorld, rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    w.clock.advance(5);
  }
}

/**
 * BroadcastChannel's semantics in memory, for the session log the windows share: each channel is one
 * window's; every other window's channel gets each message, structured-cloned and asynchronously.
 */
export function sessionChannels(): () => SessionChannel {
  return windowChannels<SessionMessage>();
}

/** BroadcastChannel's semantics in memory, for messages of type M (see sessionChannels). */
export function windowChannels<M>(): () => {
  post(message: M): void;
  subscribe(listener: (message: unknown) => void): () => void;
} {
  const members = new Set<(message: unknown) => void>();
  return () => {
    let self: ((message: unknown) => void) | undefined;
    return {
      post: (message: M) => {
        const copy = structuredClone(message);
        for (const member of members) if (member !== self) queueMicrotask(() => member(copy));
      },
      subscribe: (listener) => {
        self = listener;
        members.add(listener);
        return () => members.delete(listener);
      },
    };
  };
}

/**
 * Replicas with every engine on a scenario world (`simWorld`), opened in order, with identities drawn from
 * one seeded stream (as the scenario runner draws them), then the world's storage peer started.
 */
export async function openOnWorld(
  world: ScenarioWorld,
  ids: readonly string[],
  seed: number,
): Promise<Map<string, Replica>> {
  const random = new SeededRandom(seed);
  const replicas = new Map<string, Replica>();
  for (const id of ids) {
    replicas.set(
      id,
      await Replica.open({
        id,
        // As the app does: the replica's half of the connection (the checkout authority is no peer).
        transport: splitCheckoutChannel(world.transport(id)).transport,
        store: new MemoryStore(),
        engines: ENGINES,
        timers: world.timers,
        now: world.now,
        antiEntropyMs: world.antiEntropyMs,
        randomUint32: () => random.nextUint32(),
      }),
    );
  }
  await world.start();
  return replicas;
}
