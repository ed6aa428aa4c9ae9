/**
 * Replicas announce their per-engine state digests to reachable peers over the same links as the sync
 * traffic: learned on linkUp, updated (coalesced) after changes, repeated by anti-entropy, forgotten on
 * linkDown, and malformed announcements are ignored.
 */
import {
  decodeReplicaMessage,
  encodeDigestMessage,
  encodeSyncMessage,
  type Transport,
  type TransportHandlers,
} from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../src/engine-name.ts';
import { ENGINES } from '../src/engines/index.ts';
import type { PeerDigests, Replica, ReplicaEvent } from '../src/replica.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

const engines = ENGINES;
const channel = (name: EngineName): number => ENGINES.get(name).wireCode;

/** A transport that counts the digest announcements it sends, by engine. */
class CountingTransport implements Transport {
  readonly announced: EngineName[] = [];
  constructor(private readonly inner: Transport) {}
  get nodeId(): string {
    return this.inner.nodeId;
  }
  start(handlers: TransportHandlers): void {
    this.inner.start(handlers);
  }
  send(to: string, channel: number, payload: Uint8Array): void {
    if (decodeReplicaMessage(payload).kind === 'digest')
      this.announced.push(ENGINES.byWireCode(channel)?.name as EngineName);
    this.inner.send(to, channel, payload);
  }
  reachable(): ReadonlySet<string> {
    return this.inner.reachable();
  }
  state() {
    return this.inner.state();
  }
  close(): void {
    this.inner.close();
  }
}

function world(options: { antiEntropyMs?: number; engines?: readonly EngineName[] } = {}) {
  const room = simRoom({
    seed: 3,
    startMs: 1_700_000_000_000,
    latencyMs: 1,
    engines: options.engines === undefined ? engines : engines.only(options.engines),
    antiEntropyMs: options.antiEntropyMs ?? 0,
  });
  const transports = new Map<string, CountingTransport>();
  const open = (id: string) => {
    const transport = new CountingTransport(room.net.transport(id));
    transports.set(id, transport);
    return room.open(id, { transport });
  };
  return { clock: room.clock, net: room.net, open, transports };
}

function ownDigests(replica: Replica): PeerDigests {
  return Object.fromEntries(replica.engineNames.map((e) => [e, replica.digest(e)]));
}

describe('peer digests', () => {
  it('two replicas learn each other’s digests of every engine on linkUp', async () => {
    const { open, clock } = world();
    const a = await open('a');
    await a.apply({ op: 'text.insert', pos: 0, text: 'only a has this' });
    const aBefore = ownDigests(a);
    const b = await open('b');
    const bBefore = ownDigests(b);
    expect(bBefore).not.toEqual(aBefore);
    expect(a.peerDigests().size).toBe(0);
    clock.advance(5);
    // Announced right away on linkUp: the states as they were before b synced.
    expect(a.peerDigests().get('b')).toEqual(bBefore);
    expect(b.peerDigests().get('a')).toEqual(aBefore);
    // Once b synced, its new digests follow.
    clock.advance(500);
    expect(b.peerDigests().get('a')).toEqual(ownDigests(b));
    expect(a.peerDigests().get('b')).toEqual(ownDigests(a));
    expect([...a.peerDigests().keys()]).toEqual(['b']);
  });

  it('announces new digests after edits, once per burst, and notifies subscribers', async () => {
    const { open, clock, transports } = world();
    const a = await open('a');
    const b = await open('b');
    clock.advance(500);
    const events: ReplicaEvent[] = [];
    b.subscribe((event) => {
      if (event.type === 'peer-digests') events.push(event);
    });
    const before = b.peerDigests();
    const sent = transports.get('a')?.announced.length ?? 0;
    for (const char of 'typing') {
      await a.apply({ op: 'text.insert', pos: a.view('converge').text.length, text: char });
      clock.advance(10);
    }
    clock.advance(500);
    expect(a.view('yjs').text).toBe('typing');
    expect(b.peerDigests()).not.toBe(before);
    expect(b.peerDigests().get('a')).toEqual(ownDigests(a));
    expect(b.peerDigests().get('a')).toEqual(ownDigests(b));
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.type === 'peer-digests' && e.peer === 'a')).toBe(true);
    // Six edits 10 ms apart fall in one 100 ms window: one announcement per engine.
    expect((transports.get('a')?.announced.length ?? 0) - sent).toBe(engines.size);
    // Nothing changed since: the same map, no more announcements.
    const settled = b.peerDigests();
    clock.advance(1000);
    expect(b.peerDigests()).toBe(settled);
  });

  it('announces a long burst a few times a second, not once per keystroke, and its end', async () => {
    const { open, clock, transports } = world({ engines: ['converge'] });
    const a = await open('a');
    const b = await open('b');
    clock.advance(500);
    const sent = transports.get('a')?.announced.length ?? 0;
    // Three seconds of typing, a keystroke every 150 ms (each past the 100 ms coalescing window).
    for (let k = 0; k < 20; k++) {
      await a.apply({ op: 'text.insert', pos: k, text: 'x' });
      clock.advance(150);
    }
    const during = (transports.get('a')?.announced.length ?? 0) - sent;
    expect(during).toBeGreaterThanOrEqual(3);
    expect(during).toBeLessThanOrEqual(7); // one per 500 ms at most (it was one per keystroke: 20)
    clock.advance(500);
    expect(b.peerDigests().get('a')).toEqual(ownDigests(a));
  });

  it('forgets a peer’s digests when the link goes down and learns fresh ones when it heals', async () => {
    const { open, clock, net } = world();
    const a = await open('a');
    const b = await open('b');
    clock.advance(500);
    expect(a.peerDigests().has('b')).toBe(true);
    const events: ReplicaEvent[] = [];
    a.subscribe((event) => events.push(event));
    net.cut('b', 'a'); // one direction is enough: the pair is no longer reachable
    expect(a.peerDigests().has('b')).toBe(false);
    expect(b.peerDigests().has('a')).toBe(false);
    expect(events).toContainEqual({ type: 'peer-digests', peer: 'b' });
    await b.apply({ op: 'counter.increment', name: 'likes', by: 3 });
    clock.advance(500);
    expect(a.peerDigests().size).toBe(0); // a cut link carries no announcements
    net.restore('b', 'a');
    clock.advance(5);
    expect(a.peerDigests().get('b')).toEqual(ownDigests(b));
    clock.advance(500);
    expect(a.view('automerge').counters.likes).toBe(3);
    expect(a.peerDigests().get('b')).toEqual(ownDigests(a));
  });

  it('forgets every peer’s digests when going offline', async () => {
    const { open, clock, net } = world();
    const a = await open('a');
    await open('b');
    await open('c');
    clock.advance(50);
    expect([...a.peerDigests().keys()]).toEqual(['b', 'c']);
    net.setOffline('a', true);
    expect(a.peerDigests().size).toBe(0);
    net.setOffline('a', false);
    clock.advance(50);
    expect([...a.peerDigests().keys()]).toEqual(['b', 'c']);
  });

  it('tells a Yjs deletion its state vector leaves out, and anti-entropy repairs a lost announcement', async () => {
    const { open, clock, net } = world({ antiEntropyMs: 1000, engines: ['yjs'] });
    const a = await open('a');
    const b = await open('b');
    await a.apply({ op: 'text.insert', pos: 0, text: 'hello' });
    clock.advance(500);
    expect(b.peerDigests().get('a')?.yjs).toBe(b.digest('yjs'));
    net.setChaos({ drop: 1 });
    await a.apply({ op: 'text.delete', pos: 0, len: 1 }); // its update is lost...
    clock.advance(20);
    net.setChaos(undefined);
    clock.advance(150); // ...its announcement is not
    expect(b.view('yjs').text).toBe('hello');
    expect(b.version('yjs')).toEqual(a.version('yjs')); // equal state vectors prove nothing
    expect(b.peerDigests().get('a')?.yjs).toBe(a.digest('yjs'));
    expect(b.peerDigests().get('a')?.yjs).not.toBe(b.digest('yjs'));
    // Anti-entropy repairs the state, and b's next announcement tells a.
    clock.advance(1500);
    expect(b.view('yjs').text).toBe('ello');
    expect(a.peerDigests().get('b')?.yjs).toBe(a.digest('yjs'));
    // Every announcement lost: the next anti-entropy round announces again.
    net.setChaos({ drop: 1 });
    await a.apply({ op: 'text.insert', pos: 0, text: 'h' });
    clock.advance(500);
    net.setChaos(undefined);
    clock.advance(2500);
    expect(b.view('yjs').text).toBe('hello');
    expect(b.peerDigests().get('a')?.yjs).toBe(a.digest('yjs'));
    expect(a.peerDigests().get('b')?.yjs).toBe(a.digest('yjs'));
  });

  it('ignores malformed announcements without crashing, and keeps the newest of reordered ones', async () => {
    const { clock, net, open } = simRoom({
      seed: 5,
      engines: ENGINES.only(['yjs', 'lww']),
      antiEntropyMs: 0,
    });
    const a = await open('a');
    const evil = net.transport('evil');
    evil.start({ linkUp: () => {}, linkDown: () => {}, message: () => {} });
    clock.advance(5);
    const ascii = (text: string) => new TextEncoder().encode(text);
    const junk: Uint8Array[] = [
      new Uint8Array(), // no kind
      Uint8Array.of(9, 1, 2), // unknown kind
      Uint8Array.of(1), // no sequence number
      Uint8Array.of(1, 1), // no digest
      Uint8Array.of(1, 1, 0), // empty digest
      Uint8Array.of(1, 1, 5, ...ascii('ab')), // truncated digest
      Uint8Array.of(1, 1, 4, ...ascii('a b!')), // a space
      Uint8Array.of(1, 1, 2, 0xff, 0xfe), // not UTF-8
      Uint8Array.of(1, 1, 2, ...ascii('ab'), 0), // trailing byte
      Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), // varint too long
      Uint8Array.of(1, 1, 0x81, 0x01, ...ascii('x'.repeat(129))), // too long
    ];
    for (const payload of junk) evil.send('a', channel('yjs'), payload);
    clock.advance(5);
    expect(a.peerDigests().size).toBe(0);
    expect(a.trafficOf('yjs')).toMatchObject({ framesReceived: junk.length, framesRejected: junk.length });
    expect(a.problems().map((p) => p.kind)).toEqual(junk.map(() => 'rejected-payload'));

    evil.send('a', channel('yjs'), encodeDigestMessage(7, 'newest'));
    evil.send('a', channel('yjs'), encodeDigestMessage(3, 'older')); // overtaken by 7 (reordered by the network)
    evil.send('a', channel('lww'), encodeDigestMessage(4, 'lww-digest'));
    evil.send('a', channel('automerge'), encodeDigestMessage(8, 'not-hosted'));
    clock.advance(5);
    expect(a.peerDigests().get('evil')).toEqual({ yjs: 'newest', lww: 'lww-digest' });
    expect(a.problems().at(-1)).toMatchObject({ kind: 'unknown-engine', peer: 'evil' });
    // Sync messages still reach the engine (which refuses this one).
    evil.send('a', channel('yjs'), encodeSyncMessage(Uint8Array.of(0xff)));
    clock.advance(5);
    expect(a.problems().at(-1)).toMatchObject({ kind: 'rejected-payload', engine: 'yjs', peer: 'evil' });
    expect(a.view('yjs').text).toBe('');
    await a.close();
  });
});
