/**
 * A stock automerge-repo app in a Converge room: a Repo with the stock WebSocket client adapter, pointed
 * at the relay's automerge-repo endpoint with a room credential. It asks the relay for the room's
 * document URL (GET /rooms/ROOM/automerge), prints what the room holds, and with `--append` / `--add`
 * makes an edit that every engine of every window then shows.
 *
 *   npx tsx examples/automerge-app.ts --relay ws://127.0.0.1:4455 --room team --token "$TOKEN" --add pear
 *
 * (`--relay ws://127.0.0.1:5173/relay --api http://127.0.0.1:5173/api` for web mode.)
 */
import { parseArgs } from 'node:util';
import { updateText } from '@automerge/automerge';
import { type AutomergeUrl, Counter, Repo } from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';
import { connectionOptions, fail, printRoom } from './options.ts';

const { relay, room, token, values } = connectionOptions(
  parseArgs({
    options: {
      relay: { type: 'string', default: 'ws://127.0.0.1:4455' },
      api: { type: 'string' },
      room: { type: 'string', default: 'team' },
      token: { type: 'string' },
      append: { type: 'string' },
      add: { type: 'string' },
    },
  }).values,
);

/** The room's root keys: text (string), cart ({ product: Counter }), counters ({ likes, stock }), note. */
interface Room {
  text: string;
  cart: Record<string, Counter>;
  counters: Record<string, Counter>;
  note?: string;
}

const api = values.api ?? relay.replace(/^ws/, 'http');
const response = await fetch(`${api}/rooms/${room}/automerge`, {
  headers: { authorization: `Bearer ${token}` },
});
if (!response.ok) fail(`GET ${api}/rooms/${room}/automerge: ${response.status} ${await response.text()}`);
const { url } = (await response.json()) as { url: AutomergeUrl };

const repo = new Repo({ network: [new WebSocketClientAdapter(`${relay}/automerge?token=${token}`)] });
const timer = setTimeout(() => fail(`no document from ${relay}/automerge within 10 s`), 10_000);
const handle = await repo.find<Room>(url);
clearTimeout(timer);
const doc = handle.doc();
printRoom({
  text: doc.text,
  cart: Object.fromEntries(Object.entries(doc.cart).map(([p, q]) => [p, q.value])),
  counters: Object.fromEntries(Object.entries(doc.counters).map(([n, c]) => [n, c.value])),
});
handle.change((d) => {
  if (values.append !== undefined) updateText(d, ['text'], d.text + values.append);
  if (values.add !== undefined) {
    const line = d.cart[values.add];
    if (line === undefined) d.cart[values.add] = new Counter(1);
    else line.increment(1);
  }
});
// automerge-repo sends sync messages a moment after a change (it batches them): give it that moment.
await new Promise((resolve) => setTimeout(resolve, 500));
await repo.shutdown();
