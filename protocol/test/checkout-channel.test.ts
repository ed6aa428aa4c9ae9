import { describe, expect, it } from 'vitest';
import { splitCheckoutChannel, type Transport, type TransportHandlers } from '../src/index.ts';

const CHECKOUT = 7;
const YJS = 1;

class FakeTransport implements Transport {
  readonly nodeId = 'a';
  handlers: TransportHandlers | undefined;
  readonly peers = new Set<string>();
  readonly sent: [string, number][] = [];
  start(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }
  send(to: string, channel: number): void {
    this.sent.push([to, channel]);
  }
  reachable(): ReadonlySet<string> {
    return this.peers;
  }
  state() {
    return 'online' as const;
  }
  close(): void {}
  up(peer: string): void {
    this.peers.add(peer);
    this.handlers?.linkUp(peer);
  }
}

describe('the checkout channel', () => {
  it('hides the authority from the replica and gives checkout its channel alone', () => {
    const inner = new FakeTransport();
    const split = splitCheckoutChannel(inner, CHECKOUT);
    const replicaSaw: string[] = [];
    const checkoutSaw: string[] = [];
    split.transport.start({
      linkUp: (peer) => replicaSaw.push(`up ${peer}`),
      linkDown: (peer) => replicaSaw.push(`down ${peer}`),
      message: (from, channel) => replicaSaw.push(`${from}/${channel}`),
    });
    split.listen({
      linkUp: () => checkoutSaw.push('up'),
      linkDown: () => checkoutSaw.push('down'),
      message: (payload) => checkoutSaw.push(`message ${payload.length}`),
    });
    inner.up('b');
    inner.up('authority');
    expect(split.link.reachable()).toBe(true);
    expect([...split.transport.reachable()]).toEqual(['b']);
    inner.handlers?.message('authority', CHECKOUT, new Uint8Array(3));
    inner.handlers?.message('authority', YJS, new Uint8Array(1)); // not checkout: dropped
    inner.handlers?.message('b', CHECKOUT, new Uint8Array(1)); // a window posing as the authority: dropped
    inner.handlers?.message('b', YJS, new Uint8Array(1));
    split.transport.send('authority', YJS, new Uint8Array(1)); // the replica cannot reach it
    split.transport.send('b', CHECKOUT, new Uint8Array(1)); // nor speak checkout to a window
    split.link.send(new Uint8Array(2));
    inner.handlers?.linkDown('authority');
    expect(replicaSaw).toEqual(['up b', `b/${YJS}`]);
    expect(checkoutSaw).toEqual(['up', 'message 3', 'down']);
    expect(inner.sent).toEqual([['authority', CHECKOUT]]);
  });

  it('broadcasts the replica’s frames through a connection that broadcasts, never checkout’s channel', () => {
    const broadcasts: number[] = [];
    const inner = Object.assign(new FakeTransport(), {
      broadcast: (channel: number) => broadcasts.push(channel),
    });
    const split = splitCheckoutChannel(inner, CHECKOUT);
    split.transport.broadcast?.(YJS, new Uint8Array(1));
    split.transport.broadcast?.(CHECKOUT, new Uint8Array(1));
    expect(broadcasts).toEqual([YJS]);
    expect(splitCheckoutChannel(new FakeTransport(), CHECKOUT).transport.broadcast).toBeUndefined();
  });

  it('passes the Offline toggle through to the connection', () => {
    const calls: boolean[] = [];
    const inner = Object.assign(new FakeTransport(), {
      setOffline: (offline: boolean) => calls.push(offline),
    });
    const split = splitCheckoutChannel(inner, CHECKOUT).transport as Transport & {
      setOffline?: (offline: boolean) => void;
    };
    split.setOffline?.(true);
    expect(calls).toEqual([true]);
    expect('setOffline' in splitCheckoutChannel(new FakeTransport(), CHECKOUT).transport).toBe(false);
  });
});
