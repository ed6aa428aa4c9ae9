import { SeededRandom } from '@converge/crdt-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AUTHORITY_NODE_ID,
  AuthorityNode,
  CheckoutClient,
  decodeAuthorityMessage,
  encodeClientMessage,
  READ_ONLY_REASON,
  UNREACHABLE_REASON,
} from '../src/index.ts';
import { startAuthority, type TestAuthority } from './support/authority.ts';
import { TestNetwork } from './support/test-network.ts';
import { resolveIn, runFor } from './support/virtual-time.ts';

let authority: TestAuthority | undefined;
afterEach(async () => {
  await authority?.host.close();
  authority = undefined;
});

async function setUp(options: { canWrite?: (node: string) => boolean } = {}) {
  authority = await startAuthority();
  const a = authority;
  const net = new TestNetwork(a.clock, new SeededRandom(1), ['a', 'b']);
  const malformed: string[] = [];
  const node = new AuthorityNode(
    a.host,
    {
      send: (to, bytes) => net.send(AUTHORITY_NODE_ID, to, bytes),
      windows: () => ['a', 'b'].filter((w) => net.reachable(AUTHORITY_NODE_ID, w)),
    },
    { ...options, onMalformed: (node, problem) => malformed.push(`${node}: ${problem}`) },
  );
  const client = (id: string, canWrite = true) => {
    const c = new CheckoutClient({
      replica: id,
      clock: a.clock,
      retryMs: 300,
      canWrite: () => canWrite,
      link: {
        send: (bytes) => net.send(id, AUTHORITY_NODE_ID, bytes),
        reachable: () => net.reachable(id, AUTHORITY_NODE_ID),
      },
    });
    net.attach(
      id,
      (_from, bytes) => c.receive(bytes),
      (_peer, up) => (up ? c.linkUp() : c.linkDown()),
    );
    return c;
  };
  const clients = { a: client('a'), b: client('b') };
  net.attach(
    AUTHORITY_NODE_ID,
    (from, bytes) => void node.receive(from, bytes),
    (peer, up) => {
      if (up) void node.linkUp(peer);
    },
  );
  await resolveIn(a.clock, a.host.setStock('kiwi', 1));
  await runFor(a.clock, 50);
  return { a, net, node, clients, client, malformed };
}

describe('windows and the authority node', () => {
  it('two windows race for the last item: one order confirmed, the other refused and charged nothing', async () => {
    const { a, clients } = await setUp();
    expect(clients.a.checkout([['kiwi', 1]], 'k1')).toEqual({ kind: 'sent', key: 'k1' });
    expect(clients.b.checkout([['kiwi', 1]], 'k1')).toEqual({ kind: 'sent', key: 'k1' });
    const [endA, endB] = await resolveIn(
      a.clock,
      Promise.all([clients.a.whenFinal('k1'), clients.b.whenFinal('k1')]),
    );
    const phases = [endA, endB].map((e) => (e.kind === 'order' ? e.order.phase : e.kind)).sort();
    expect(phases).toEqual(['confirmed', 'refused']);
    // Each window sees both orders and the stock at the authority.
    await runFor(a.clock, 50);
    expect(clients.a.view().orders).toHaveLength(2);
    expect(clients.b.view().stock).toEqual([['kiwi', { available: 0, reserved: 0, sold: 1, price: 100 }]]);
    expect(a.payment.effects()).toHaveLength(1);
  });

  it('a window cut off from the authority cannot check out, and says why', async () => {
    const { net, clients } = await setUp();
    net.setCut('a', true);
    expect(clients.a.availability()).toEqual({ ok: false, reason: UNREACHABLE_REASON });
    expect(clients.a.checkout([['kiwi', 1]], 'k1')).toEqual({ kind: 'refused', reason: UNREACHABLE_REASON });
    net.setCut('a', false);
    expect(clients.a.availability()).toEqual({ ok: true });
  });

  it('a checkout lost on the way is sent again under the same key until it ends', async () => {
    const { a, net, clients } = await setUp();
    net.faults = { drop: 0.7, duplicate: 0.3, maxDelayMs: 40 };
    clients.a.checkout([['kiwi', 1]], 'k1');
    const end = await resolveIn(a.clock, clients.a.whenFinal('k1'));
    expect(end).toMatchObject({ kind: 'order', order: { phase: 'confirmed' } });
    expect(a.payment.effects()).toHaveLength(1);
    expect((await a.host.view()).orders).toHaveLength(1);
  });

  it('catches up on reconnect: the order that ended meanwhile is shown as it ended', async () => {
    const { a, net, clients } = await setUp();
    a.payment.faults.setLatency(400);
    clients.a.checkout([['kiwi', 1]], 'k1');
    await runFor(a.clock, 20);
    net.setCut('a', true);
    await runFor(a.clock, 5000);
    expect(clients.a.session.ownOrder('k1')?.phase).not.toBe('confirmed');
    net.setCut('a', false);
    const end = await resolveIn(a.clock, clients.a.whenFinal('k1'));
    expect(end).toMatchObject({ kind: 'order', order: { phase: 'confirmed' } });
  });

  it('checkout needs the write right: refused in the window and at the authority', async () => {
    const { a, client, net } = await setUp({ canWrite: (node) => node !== 'c' });
    const reader = client('c', false);
    expect(reader.checkout([['kiwi', 1]], 'k1')).toEqual({ kind: 'refused', reason: READ_ONLY_REASON });
    // A hostile reader that sends anyway is refused by the authority.
    const replies: unknown[] = [];
    net.attach('c', (_from, bytes) => replies.push(decodeAuthorityMessage(bytes)));
    net.send(
      'c',
      AUTHORITY_NODE_ID,
      encodeClientMessage({ type: 'checkout', key: 'k1', lines: [['kiwi', 1]] }),
    );
    await runFor(a.clock, 50);
    expect(replies).toContainEqual({ type: 'refused', key: 'k1', reason: 'checkout needs the write right' });
    expect((await a.host.view()).orders).toHaveLength(0);
  });

  it('malformed messages are refused at both ends and change nothing', async () => {
    const { a, net, clients, malformed } = await setUp();
    const garbage = [
      new Uint8Array([0xff, 0xfe]),
      new TextEncoder().encode('{"type":"checkout","key":"k1"}'),
      new TextEncoder().encode('[]'),
    ];
    for (const bytes of garbage) net.send('a', AUTHORITY_NODE_ID, bytes);
    await runFor(a.clock, 50);
    expect(malformed).toHaveLength(3);
    expect(malformed[0]).toMatch(/^a: checkout message is not UTF-8 JSON/);
    clients.b.receive(new TextEncoder().encode('{"type":"order","order":{}}'));
    expect(clients.b.view().malformed).toBe(1);
    expect((await a.host.view()).orders).toHaveLength(0);
  });
});
