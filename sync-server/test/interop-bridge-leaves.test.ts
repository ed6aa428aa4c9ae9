/**
 * A stock client that edits and leaves at once: its bridge leaves the room only once the room holds the
 * edit in every engine. The bridge serves its client once its primary engine has caught up; the others
 * may still be taking the room in (here a window's Automerge answers slowly), so their part of the edit
 * is still on its way when the client leaves. A bridge that closed then left the room without it (until
 * that client came back).
 */
import type { Transport } from '@converge/protocol';
import { ENGINES } from '@converge/replica';
import { wrappedTransport } from '@converge/replica/testing';
import { describe, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { interopGateways } from '../src/interop/index.ts';
import {
  cleanupsAfterEach,
  closeRelaysAfterEach,
  credentialFor,
  openWindow,
  relayTransport,
  startRelay,
  waitFor,
} from './support.ts';

closeRelaysAfterEach();
const cleanups = cleanupsAfterEach();

/**
 * `inner`, sending what it sends on `channel` `delayMs` late (a window whose engine answers slowly), except
 * the first `prompt` payloads to each peer.
 */
function slowOn(inner: Transport, channel: number, delayMs: number, prompt: number): Transport {
  const sent = new Map<string, number>();
  return wrappedTransport(inner, {
    send: (to, ch, payload) => {
      const n = ch === channel ? (sent.get(to) ?? 0) + 1 : 0;
      if (ch === channel) sent.set(to, n);
      if (n > prompt) setTimeout(() => inner.send(to, ch, payload), delayMs);
      else inner.send(to, ch, payload);
    },
  });
}

describe('a y-websocket client that edits and leaves at once', () => {
  it.each([
    ['before any answer of a peer came', 0],
    ['after a peer told what it holds, before its changes came', 1],
  ])('leaves its edit in every engine of the room: %s', async (_, prompt) => {
    const { relay } = await startRelay({ gateways: interopGateways() });
    const automerge = ENGINES.get('automerge').wireCode;
    const window = await openWindow(relay, 'team', 'alice', {
      transport: slowOn(relayTransport(relay, 'team', 'alice'), automerge, 600, prompt),
    });
    cleanups.push(() => window.close());
    await window.apply({ op: 'text.insert', pos: 0, text: 'from the window' });
    await waitFor(() => window.connection() === 'online', 'alice online');
    for (let i = 0; i < 3; i++) {
      const doc = new Y.Doc();
      const provider = new WebsocketProvider(`${relay.url}/yjs`, 'team', doc, {
        WebSocketPolyfill: WebSocket as never,
        params: { token: await credentialFor(relay, 'team', `client-${i}`) },
        disableBc: true,
      });
      await new Promise<void>((resolve) => provider.once('sync', () => resolve()));
      const text = doc.getText('text');
      text.insert(text.length, ` <${i}>`);
      provider.destroy();
      doc.destroy();
      await waitFor(
        () => ENGINES.names.every((name) => window.view(name).text.includes(` <${i}>`)),
        `<${i}> in every engine of the window`,
      );
    }
  });
});
