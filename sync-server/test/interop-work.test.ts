// Per-keystroke work of the gateways is proportional to the edit, never to the document: on a large
// document, a window's keystroke reaching a stock client and a stock client's keystroke reaching the
// engines read no more than a few characters of text in the relay. Work is counted (text materialized
// by Y.Text#toString and Replica#textSlice, whole views built: each counts as the document), never timed.
import { splice } from '@automerge/automerge';
import { Repo } from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';
import { Replica } from '@converge/replica';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { interopGateways } from '../src/interop/index.ts';
import {
  cleanupsAfterEach,
  closeRelaysAfterEach,
  credentialFor,
  openWindow,
  startRelay,
  waitFor,
} from './support.ts';

closeRelaysAfterEach();
const cleanups = cleanupsAfterEach();
afterEach(() => vi.restoreAllMocks());

const LARGE = 50_000;
const KEYSTROKES = 10;
/** Characters read per keystroke allowed: a handful of small fields, nowhere near the document. */
const BUDGET_PER_KEYSTROKE = 200;

/** Count the text the process reads whole from now on: characters, plus the document per whole view. */
function countWork(): () => number {
  const read = { chars: 0, views: 0 };
  // Y.Text's toString is not in its declared keys (it overrides Object's): spy through a plain record.
  const yText = Y.Text.prototype as unknown as Record<'toString', () => string>;
  const textOf = yText.toString;
  vi.spyOn(yText, 'toString').mockImplementation(function (this: Y.Text) {
    const text = textOf.call(this);
    read.chars += text.length;
    return text;
  });
  const textSlice = Replica.prototype.textSlice;
  vi.spyOn(Replica.prototype, 'textSlice').mockImplementation(function (this: Replica, ...args) {
    const text = textSlice.apply(this, args);
    read.chars += text.length;
    return text;
  });
  const view = Replica.prototype.view;
  vi.spyOn(Replica.prototype, 'view').mockImplementation(function (this: Replica, ...args) {
    read.views++;
    return view.apply(this, args);
  });
  return () => read.chars + read.views * LARGE;
}

describe('gateway work per keystroke on a large document', () => {
  it('y-websocket: proportional to the edit in both directions', async () => {
    const { relay } = await startRelay({ gateways: interopGateways() });
    const window = await openWindow(relay, 'big', 'alice');
    cleanups.push(() => window.close());
    await window.apply({ op: 'text.insert', pos: 0, text: 'x'.repeat(LARGE) });
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`${relay.url}/yjs`, 'big', doc, {
      WebSocketPolyfill: WebSocket as never,
      params: { token: await credentialFor(relay, 'big', 'yjs-app') },
      disableBc: true,
    });
    cleanups.push(() => provider.destroy());
    const text = doc.getText('text');
    await waitFor(() => text.length === LARGE, 'the large text in the client', 20_000);

    const counted = countWork();
    for (let i = 1; i <= KEYSTROKES; i++) {
      await window.apply({ op: 'text.insert', pos: LARGE / 2, text: 'w' });
      await waitFor(() => text.length === LARGE + 2 * i - 1, "the window's keystroke in the client", 10_000);
      text.insert(LARGE / 4, 'y');
      await waitFor(() => window.textLength('yjs') === LARGE + 2 * i, "the client's keystroke in the window");
    }
    await waitFor(() => window.textLength('converge') === LARGE + 2 * KEYSTROKES, 'every engine');
    const perKeystroke = counted() / (2 * KEYSTROKES);
    vi.restoreAllMocks();

    expect(perKeystroke).toBeLessThan(BUDGET_PER_KEYSTROKE);
    // And the mirror is exact.
    expect(text.toString()).toBe(window.view('yjs').text);
    expect(text.toString().split('w').length - 1).toBe(KEYSTROKES);
  }, 60_000);

  it('automerge-repo: proportional to the edit in both directions', async () => {
    const { relay } = await startRelay({ gateways: interopGateways() });
    const window = await openWindow(relay, 'big', 'alice');
    cleanups.push(() => window.close());
    const token = await credentialFor(relay, 'big', 'am-app');
    const response = await fetch(`${relay.adminUrl}/rooms/big/automerge`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { url } = (await response.json()) as { url: string };
    const repo = new Repo({ network: [new WebSocketClientAdapter(`${relay.url}/automerge?token=${token}`)] });
    cleanups.push(() => repo.shutdown());
    const handle = await repo.find<{ text: string }>(url as never);
    const length = (): number => handle.doc().text.length;
    // Written once the client is in: a client joining a room that already holds this much may give up
    // finding the document before its bridge caught up (automerge-repo's own wait is short).
    await window.apply({ op: 'text.insert', pos: 0, text: 'x'.repeat(LARGE) });
    await waitFor(() => length() === LARGE, 'the large text in the client', 20_000);

    const counted = countWork();
    for (let i = 1; i <= KEYSTROKES; i++) {
      await window.apply({ op: 'text.insert', pos: LARGE / 2, text: 'w' });
      await waitFor(() => length() === LARGE + 2 * i - 1, "the window's keystroke in the client", 10_000);
      handle.change((d) => splice(d, ['text'], LARGE / 4, 0, 'a'));
      await waitFor(
        () => window.textLength('automerge') === LARGE + 2 * i,
        "the client's keystroke in the window",
      );
    }
    await waitFor(() => window.textLength('converge') === LARGE + 2 * KEYSTROKES, 'every engine');
    const perKeystroke = counted() / (2 * KEYSTROKES);
    vi.restoreAllMocks();

    expect(perKeystroke).toBeLessThan(BUDGET_PER_KEYSTROKE);
    expect(handle.doc().text).toBe(window.view('automerge').text);
  }, 60_000);
});
