// Three relay processes (the CLI with --cluster) and a redis-server: SIGKILL the owner of a room while
// its windows edit, and SIGSTOP another until its lease passed. Either way the room moves to another
// node, the windows reconnect, every acknowledged edit is there and the stopped owner writes nothing.
import type { Replica } from '@converge/replica';
import { expect, it } from 'vitest';
import { roomKeys } from '../../src/cluster/index.ts';
import { cleanupsAfterEach, waitFor } from '../support.ts';
import { describeWithRedis, redisServerPerFile } from '../with-redis.ts';
import { clusterProcesses, LEASE_MS, type Node } from './processes.ts';
import {
  cartsOf,
  engines,
  waitConverged,
  waitOnline,
  waitStoredDurably,
  windowsClosedBy,
} from './support.ts';

const redis = redisServerPerFile();
const { startNode, leaseHolder } = clusterProcesses(redis);
const cleanups = cleanupsAfterEach();
const window = windowsClosedBy(cleanups);

/** Windows adding one unit of their own product every few ms; counts what each had acknowledged. */
function editing(windows: readonly Replica[]) {
  const acked = new Map(windows.map((w) => [w.id, 0]));
  let running = true;
  const loops = windows.map(async (w) => {
    while (running) {
      try {
        await w.apply({ op: 'cart.add', product: w.id, qty: 1 });
      } catch {
        return; // the window was closed (the test failed and is cleaning up)
      }
      acked.set(w.id, (acked.get(w.id) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
  });
  return {
    acked: () => Object.fromEntries(acked),
    async stop() {
      running = false;
      await Promise.all(loops);
      return Object.fromEntries(acked) as Record<string, number>;
    },
  };
}

/** Every engine of every replica shows exactly `cart`. */
function expectCarts(replicas: readonly Replica[], cart: Record<string, number>): void {
  for (const r of replicas) {
    expect(cartsOf(r)).toEqual(Object.fromEntries(engines.map((e) => [e, cart])));
  }
}

/** A window with an empty store, on `node`, after every other window left: what the room's storage holds. */
async function storedView(node: Node, room: string, cart: Record<string, number>): Promise<void> {
  const late = await window(() => [node], room, 'late');
  // Key order differs between engines; compare the entries.
  const same = (shown: Readonly<Record<string, number>>): boolean =>
    JSON.stringify(Object.entries(shown).sort()) === JSON.stringify(Object.entries(cart).sort());
  await waitFor(
    () => engines.every((e) => same(late.view(e).cart)),
    `a late window on ${node.id} to get ${JSON.stringify(cart)} from storage`,
    45_000,
  );
  expectCarts([late], cart);
}

describeWithRedis('relay cluster processes', () => {
  it('loses nothing acknowledged when the owner is SIGKILLed mid-edit', async () => {
    const [n1, n2, n3] = (await Promise.all(['n1', 'n2', 'n3'].map(startNode))) as [Node, Node, Node];
    const room = 'killed-owner';
    const w0 = await window(() => [n1, n2, n3], room, 'w0');
    await waitOnline(w0);
    const w1 = await window(() => [n2], room, 'w1');
    const w2 = await window(() => [n3], room, 'w2');
    await Promise.all([waitOnline(w1), waitOnline(w2)]);
    expect(await leaseHolder(room)).toEqual({ node: 'n1', token: expect.any(Number) });
    const firstToken = (await leaseHolder(room))?.token ?? 0;

    const edits = editing([w0, w1, w2]);
    await waitFor(() => Object.values(edits.acked()).every((n) => n >= 3), 'some edits', 30_000);
    n1.child.kill('SIGKILL');
    const killedAt = Date.now();
    // The room waits for the dead owner's lease to pass, then another node takes it.
    let holder: { node: string; token: number } | undefined;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      holder = await leaseHolder(room);
      if (holder !== undefined && holder.node !== 'n1') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(holder?.node).toMatch(/^n[23]$/);
    expect(holder?.token).toBeGreaterThan(firstToken);
    // Taken within a lease of the kill (plus the time the new owner needs to be asked).
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 5000);
    await new Promise((resolve) => setTimeout(resolve, 300)); // keep editing on the new owner a moment
    const cart = await edits.stop();

    await waitConverged([w0, w1, w2]);
    expectCarts([w0, w1, w2], cart);
    await waitStoredDurably(n3, room, w2);
    for (const w of [w0, w1, w2]) await w.close();
    await storedView(n3, room, cart);
  }, 180_000);

  it('fences off an owner SIGSTOPped past its lease: it writes nothing after it wakes', async () => {
    const [n1, n2] = (await Promise.all(['n1', 'n2'].map(startNode))) as [Node, Node];
    const room = 'paused-owner';
    const w0 = await window(() => [n1, n2], room, 'w0');
    await waitOnline(w0);
    const w1 = await window(() => [n2], room, 'w1');
    await waitOnline(w1);
    const first = await leaseHolder(room);
    expect(first?.node).toBe('n1');
    const edits = editing([w0, w1]);
    await waitFor(() => Object.values(edits.acked()).every((n) => n >= 3), 'some edits', 30_000);

    n1.child.kill('SIGSTOP');
    let holder = first;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && holder?.node !== 'n2'; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      holder = await leaseHolder(room);
    }
    expect(holder?.node).toBe('n2');
    expect(holder?.token).toBeGreaterThan(first?.token ?? 0);
    await waitFor(() => edits.acked().w1 !== undefined, 'edits');
    const w1Before = edits.acked().w1 ?? 0;
    await waitFor(() => (edits.acked().w1 ?? 0) >= w1Before + 3, 'w1 to keep editing through n2', 30_000);

    n1.child.kill('SIGCONT');
    await waitFor(
      () => n1.logs().some((l) => l.event === 'lease-lost'),
      'n1 to see it lost the lease',
      30_000,
    );
    const cart = await edits.stop();
    await waitConverged([w0, w1]);
    expectCarts([w0, w1], cart);
    await waitStoredDurably(n2, room, w0);

    // Redis holds no write of the old token after the new owner's first: the woken n1 was fenced off.
    const stream = await redis().client().xrange(roomKeys(room).log('storage').records, '-', '+');
    const tokens = stream.map(([, fields]) => Number(fields[1]));
    expect(tokens.length).toBeGreaterThan(0);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThanOrEqual(tokens[i - 1] as number);
    // The new owner wrote under its own, larger token; nothing came after it under the old one.
    expect(tokens.some((t) => t > (first?.token ?? 0))).toBe(true);
    expect(tokens.at(-1)).toBeLessThanOrEqual((await leaseHolder(room))?.token ?? 0);
    for (const w of [w0, w1]) await w.close();
    await storedView(n2, room, cart);
  }, 180_000);
});
