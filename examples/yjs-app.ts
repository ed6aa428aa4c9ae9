/**
 * A stock Yjs app in a Converge room: the `y-websocket` WebsocketProvider, unchanged, pointed at the
 * relay's y-websocket endpoint with a room credential. It prints what the room holds, and with
 * `--append` / `--add` makes an edit that every engine of every window then shows.
 *
 *   npx tsx examples/yjs-app.ts --relay ws://127.0.0.1:4455 --room team --token "$TOKEN" --append ' hi' --add apple
 *
 * (`--relay ws://127.0.0.1:5173/relay` for web mode's relay.) The token is a room credential (POST
 * /rooms/ROOM/credentials, see the README); it can also come from CONVERGE_TOKEN.
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { connectionOptions, fail, printRoom } from './options.ts';

const { relay, room, token, values } = connectionOptions(
  parseArgs({
    options: {
      relay: { type: 'string', default: 'ws://127.0.0.1:4455' },
      room: { type: 'string', default: 'team' },
      token: { type: 'string' },
      append: { type: 'string' },
      add: { type: 'string' },
      name: { type: 'string', default: 'yjs-app' },
    },
  }).values,
);

const doc = new Y.Doc();
// The room's layout: getText('text'), getMap('cart') (product → quantity), getMap('counters'),
// getMap('registers') (note).
const text = doc.getText('text');
const cart = doc.getMap<number>('cart');
const provider = new WebsocketProvider(`${relay}/yjs`, room, doc, {
  WebSocketPolyfill: WebSocket as never,
  params: { token },
  disableBc: true,
});
provider.awareness.setLocalStateField('user', { name: values.name });

const timer = setTimeout(() => fail(`no sync with ${relay}/yjs/${room} within 10 s`), 10_000);
provider.once('sync', () => {
  clearTimeout(timer);
  printRoom({ text: text.toString(), cart: cart.toJSON(), counters: doc.getMap('counters').toJSON() });
  doc.transact(() => {
    if (values.append !== undefined) text.insert(text.length, values.append);
    if (values.add !== undefined) cart.set(values.add, (cart.get(values.add) ?? 0) + 1);
  });
  // The edit is on the socket; closing after it still delivers it.
  provider.destroy();
  provider.awareness.destroy();
  doc.destroy();
});
