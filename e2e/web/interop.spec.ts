/**
 * Stock Yjs and Automerge apps in a window's room (issue 22): a y-websocket WebsocketProvider and an
 * automerge-repo Repo, unchanged, connect to web mode's relay with a credential; what they write shows
 * in the window in every engine, and what the window writes reaches them.
 */
import { updateText } from '@automerge/automerge';
import { type AutomergeUrl, Counter, Repo } from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { expect, test } from '../support/fixtures.ts';
import { ENGINES, SYNC_TIMEOUT_MS } from '../support/workbench.ts';

test("a stock y-websocket client's edits show in the window in every engine", async ({ webApp, windows }) => {
  const alice = await windows.open('alice');
  await alice.expectOnline();
  await alice.typeAtEnd('window: ');

  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${webApp.relayUrl}/yjs`, webApp.room, doc, {
    WebSocketPolyfill: WebSocket as never,
    params: { token: await webApp.mintCredential('yjs-app') },
    disableBc: true,
  });
  try {
    await expect.poll(() => doc.getText('text').toString(), { timeout: SYNC_TIMEOUT_MS }).toBe('window: ');
    // The app types after the window's text is in every engine of its bridge. An engine the window was
    // still loading took the typing later; in it, an edit the bridge made meanwhile is concurrent with
    // the typing, and Loro may put it first (replica/README.md, "Progressive open").
    for (const engine of ENGINES)
      await expect(alice.convergedBadge(engine)).toHaveAttribute(
        'title',
        /^yjs-app@\S+: same \(by digest\)$/m,
        {
          timeout: SYNC_TIMEOUT_MS,
        },
      );
    doc.transact(() => {
      doc.getText('text').insert(doc.getText('text').length, 'hello from a Yjs app');
      doc.getMap('cart').set('apple', 2);
    });

    await expect(alice.editor).toHaveText('window: hello from a Yjs app', { timeout: SYNC_TIMEOUT_MS });
    await alice.openTab('compare');
    for (const engine of ENGINES) {
      await expect(alice.compareText(engine)).toHaveText('window: hello from a Yjs app', {
        timeout: SYNC_TIMEOUT_MS,
      });
      await expect(alice.compareCart(engine)).toHaveText('apple ×2', { timeout: SYNC_TIMEOUT_MS });
    }

    await alice.addToCart('pear', 1);
    await expect.poll(() => doc.getMap('cart').get('pear'), { timeout: SYNC_TIMEOUT_MS }).toBe(1);
  } finally {
    provider.destroy();
    provider.awareness.destroy();
    doc.destroy();
  }
});

test("a stock automerge-repo client's edits show in the window in every engine", async ({
  webApp,
  windows,
}) => {
  const alice = await windows.open('alice');
  await alice.expectOnline();
  const token = await webApp.mintCredential('automerge-app');
  const api = webApp.relayUrl.replace(/^ws/, 'http').replace(/\/relay$/, '/api');
  const response = await fetch(`${api}/rooms/${webApp.room}/automerge`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  const { url } = (await response.json()) as { url: AutomergeUrl };
  const repo = new Repo({
    network: [new WebSocketClientAdapter(`${webApp.relayUrl}/automerge?token=${token}`)],
  });
  try {
    const handle = await repo.find<{ text: string; cart: Record<string, Counter> }>(url);
    handle.change((d) => {
      updateText(d, ['text'], 'hello from an Automerge app');
      d.cart.fig = new Counter(3);
    });
    await expect(alice.editor).toHaveText('hello from an Automerge app', { timeout: SYNC_TIMEOUT_MS });
    await alice.openTab('compare');
    for (const engine of ENGINES) {
      await expect(alice.compareText(engine)).toHaveText('hello from an Automerge app', {
        timeout: SYNC_TIMEOUT_MS,
      });
      await expect(alice.compareCart(engine)).toHaveText('fig ×3', { timeout: SYNC_TIMEOUT_MS });
    }
  } finally {
    await repo.shutdown();
  }
});
