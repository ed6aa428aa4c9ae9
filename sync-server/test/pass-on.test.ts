// A peer's keystroke over a real relay with the room's storage peer (issue 19): a window gets it from the
// typist only, not passed on again by the storage peer and the other window, unless the link from the
// typist is cut; then the others pass it on and the cut-off window still sees the keys live.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeReplicaMessage, STORAGE_NODE_ID, type Transport } from '@converge/protocol';
import { ENGINES, type Replica } from '@converge/replica';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.ts';
import { storagePeers } from '../src/storage/index.ts';
import { openWindow, relayTransport, waitFor } from './support.ts';

let dataDir: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'converge-pass-on-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

/** Converge's changes (`ops` payloads) a window received, by sender. */
type OpsFrom = Map<string, number>;

function countingOps(inner: Transport, ops: OpsFrom): Transport {
  const converge = ENGINES.get('converge');
  return {
    nodeId: inner.nodeId,
    start: (handlers) =>
      inner.start({
        ...handlers,
        message: (from, channel, payload) => {
          if (channel === converge.wireCode) {
            const message = decodeReplicaMessage(payload);
            if (message.kind === 'sync' && converge.describePayload(message.payload) === 'ops')
              ops.set(from, (ops.get(from) ?? 0) + 1);
          }
          handlers.message(from, channel, payload);
        },
      }),
    send: (to, channel, payload) => inner.send(to, channel, payload),
    broadcast: (channel, payload) => inner.broadcast?.(channel, payload),
    reachable: () => inner.reachable(),
    linked: (from, to) => inner.linked?.(from, to),
    state: () => inner.state(),
    close: () => inner.close(),
  };
}

async function room(): Promise<{ relay: Relay; windows: Replica[]; ops: OpsFrom }> {
  const relay = await createRelay({ storage: storagePeers(dataDir), logLevel: 'error' });
  cleanups.push(() => relay.close());
  const ops: OpsFrom = new Map();
  const windows: Replica[] = [];
  for (const id of ['alice', 'bob', 'carol']) {
    // Anti-entropy far off: whatever reaches bob within the test came live.
    const transport = relayTransport(relay, 'notes', id);
    const options = { antiEntropyMs: 600_000 };
    const window = await openWindow(relay, 'notes', id, {
      ...options,
      transport: id === 'bob' ? countingOps(transport, ops) : transport,
    });
    cleanups.push(() => window.close());
    windows.push(window);
  }
  await waitFor(
    () => windows.every((w) => w.peers().length === 3 && w.peers().includes(STORAGE_NODE_ID)),
    'every window linked to the others and the storage peer',
    15_000,
  );
  return { relay, windows, ops };
}

async function type(typist: Replica, reader: Replica, keys: string): Promise<void> {
  for (const key of keys) {
    await typist.apply({ op: 'text.insert', pos: typist.textLength('converge'), text: key });
    const length = typist.textLength('converge');
    await waitFor(() => reader.textLength('converge') === length, `${reader.id} sees key ${key}`, 15_000);
  }
}

describe("a peer's keystroke over a relay with a storage peer", () => {
  it('reaches a window from the typist only when every link is up', async () => {
    const { windows, ops } = await room();
    const [alice, bob] = windows as [Replica, Replica, Replica];
    ops.clear();
    const keys = 'hello, world';
    await type(alice, bob, keys);
    // Copies the others would pass on could trail the typist's frame: the next key's wait covers them.
    await type(alice, bob, '!');
    expect(ops.get('alice')).toBeGreaterThanOrEqual(keys.length + 1);
    // Passed on, every key came twice more (the storage peer, carol). What may still come is an answer
    // to a hello bob sent when a digest announced a key before the typist's frame brought it.
    const copies = (ops.get(STORAGE_NODE_ID) ?? 0) + (ops.get('carol') ?? 0);
    expect(copies, JSON.stringify([...ops])).toBeLessThan(keys.length / 2);
  }, 60_000);

  it('reaches a window cut from the typist live, passed on by the others', async () => {
    const { relay, windows, ops } = await room();
    const [alice, bob] = windows as [Replica, Replica, Replica];
    relay.applyLinks('notes', { op: 'cut', from: 'alice', to: 'bob', bothWays: true });
    await waitFor(() => !bob.peers().includes('alice'), 'bob cut from alice');
    ops.clear();
    await type(alice, bob, 'hello');
    expect(ops.get('alice') ?? 0).toBe(0);
    expect((ops.get(STORAGE_NODE_ID) ?? 0) + (ops.get('carol') ?? 0)).toBeGreaterThanOrEqual(5);
  }, 60_000);
});
