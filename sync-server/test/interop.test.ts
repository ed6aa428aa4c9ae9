// Stock clients in a Converge room, against a real relay: a y-websocket WebsocketProvider and an
// automerge-repo Repo edit the room; a headless Converge replica (a window) sees their edits in every
// engine, and its edits reach them. Credentials apply, and a client sending garbage is cut off alone.
import {
  Counter,
  change,
  encodeSyncMessage,
  generateSyncMessage,
  getHeads,
  getLastLocalChange,
  initSyncState,
  load,
  updateText,
} from '@automerge/automerge';
import { cbor, Repo } from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';
import { ENGINES, type EngineName, type Replica, type ReplicaOptions, WORKSPACE } from '@converge/replica';
import { automergeGenesis } from '@converge/replica/engines/automerge';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { ClientBridge } from '../src/interop/client-bridge.ts';
import { CLUSTER_REFUSAL, gatewaysRefused, interopGateways } from '../src/interop/index.ts';
import { SlotLog } from '../src/interop/slot-log.ts';
import {
  cleanupsAfterEach,
  closeRelaysAfterEach,
  credentialFor,
  openWindow as openReplicaWindow,
  type RelayAccess,
  startRelay,
  upgradeAnswer,
  waitFor,
} from './support.ts';

closeRelaysAfterEach();
const cleanups = cleanupsAfterEach();
afterEach(() => vi.restoreAllMocks());

const engines = ENGINES.names as EngineName[];

async function relayWithGateways() {
  const gateways = interopGateways();
  const { relay, logs } = await startRelay({ gateways });
  return { relay, logs, gateways };
}

type Relay = Awaited<ReturnType<typeof relayWithGateways>>['relay'];

async function openWindow(
  relay: RelayAccess,
  room: string,
  id: string,
  options: Partial<ReplicaOptions> = {},
): Promise<Replica> {
  const replica = await openReplicaWindow(relay, room, id, options);
  cleanups.push(() => replica.close());
  return replica;
}

async function yjsClient(relay: Relay, room: string, replica: string, rights?: ('read' | 'write')[]) {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${relay.url}/yjs`, room, doc, {
    WebSocketPolyfill: WebSocket as never,
    params: { token: await credentialFor(relay, room, replica, rights) },
    disableBc: true,
  });
  cleanups.push(() => {
    provider.destroy();
    doc.destroy();
  });
  await waitFor(() => provider.synced, `${replica} synced`);
  return { doc, provider };
}

function everyEngine(replica: Replica, check: (view: ReturnType<Replica['view']>) => boolean): () => boolean {
  return () => engines.every((name) => check(replica.view(name)));
}

describe('a stock y-websocket client', () => {
  it("edits reach every engine of a window, and the window's edits reach it", async () => {
    const { relay } = await relayWithGateways();
    const window = await openWindow(relay, 'team', 'alice');
    const { doc } = await yjsClient(relay, 'team', 'yjs-app');

    doc.getText('text').insert(0, 'hello from yjs');
    doc.getMap('cart').set('apple', 3);
    doc.getMap('counters').set('likes', 2);
    doc.getMap('registers').set('note', 'from outside');
    await waitFor(
      everyEngine(
        window,
        (v) =>
          v.text === 'hello from yjs' &&
          v.cart.apple === 3 &&
          v.counters.likes === 2 &&
          v.note.includes('from outside'),
      ),
      'the outside edits in every engine',
      10_000,
    );
    // They are the outside client's replica's edits: LWW's versions name it.
    const lww = window.version('lww');
    expect(
      lww.kind === 'vector' && Object.keys(lww.entries).some((id) => id.startsWith('yjs-app@yjs.')),
    ).toBe(true);

    await window.apply({ op: 'text.insert', pos: 5, text: ',' });
    await window.apply({ op: 'cart.add', product: 'pear', qty: 1 });
    await window.apply({ op: 'counter.increment', name: 'stock', by: -4 });
    await waitFor(
      () =>
        doc.getText('text').toString() === 'hello, from yjs' &&
        doc.getMap('cart').get('pear') === 1 &&
        doc.getMap('counters').get('stock') === -4,
      "the window's edits in the stock client's document",
      10_000,
    );
  });

  it('gets the room as it is at its first sync', async () => {
    const { relay } = await relayWithGateways();
    const window = await openWindow(relay, 'team', 'alice');
    await window.apply({ op: 'text.insert', pos: 0, text: 'already here' });
    await window.apply({ op: 'cart.add', product: 'fig', qty: 4 });
    // The bridge catches up with whoever is in the room when it joins.
    await waitFor(() => window.connection() === 'online', 'the window in the room');
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`${relay.url}/yjs`, 'team', doc, {
      WebSocketPolyfill: WebSocket as never,
      params: { token: await credentialFor(relay, 'team', 'late-app') },
      disableBc: true,
    });
    cleanups.push(() => provider.destroy());
    // What the app sees the moment the provider says it is synced (an app acts on that event).
    const atSync = await new Promise<unknown>((resolve) =>
      provider.once('sync', () =>
        resolve({ text: doc.getText('text').toString(), fig: doc.getMap('cart').get('fig') }),
      ),
    );
    expect(atSync).toEqual({ text: 'already here', fig: 4 });
  });

  it('keeps awareness among y-websocket clients and lists it as presence', async () => {
    const { relay, gateways } = await relayWithGateways();
    const a = await yjsClient(relay, 'team', 'app-a');
    const b = await yjsClient(relay, 'team', 'app-b');
    a.provider.awareness.setLocalStateField('user', { name: 'Ada' });
    await waitFor(
      () => [...b.provider.awareness.getStates().values()].some((s) => s.user?.name === 'Ada'),
      'b sees a',
    );
    const presence = gateways.presence?.presence('team') ?? [];
    expect(presence).toContainEqual(
      expect.objectContaining({ protocol: 'yjs', state: { user: { name: 'Ada' } } }),
    );
    expect(presence.find((p) => (p.state as { user?: unknown } | null)?.user)?.replica).toMatch(
      /^app-a@yjs\./,
    );
  });

  it("shows in a window's presence list, named and coloured after its awareness", async () => {
    const { relay } = await relayWithGateways();
    const window = await openWindow(relay, 'team', 'alice');
    const a = await yjsClient(relay, 'team', 'app-a');
    a.provider.awareness.setLocalStateField('user', { name: 'Ada', color: '#30BCED' });
    const ada = () => window.presence().find((peer) => peer.id.startsWith('app-a@yjs.'));
    await waitFor(() => ada()?.name === 'Ada', 'the window lists Ada');
    expect(ada()).toMatchObject({ colour: '#30bced', panel: 'y-websocket', caret: null, status: 'here' });
    // A new name reaches the window; leaving takes the client off the list.
    a.provider.awareness.setLocalStateField('user', { name: 'Ada L.', color: '#30bced' });
    await waitFor(() => ada()?.name === 'Ada L.', 'the window sees the new name');
    a.provider.destroy();
    await waitFor(() => ada()?.status !== 'here', 'Ada left');
  });

  it('needs a credential for the room it names, loopback included', async () => {
    const { relay } = await relayWithGateways();
    const refusal = (url: string) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(url);
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.on('open', () => resolve(101));
        socket.on('error', () => {});
      });
    expect(await refusal(`${relay.url}/yjs/team`)).toBe(401);
    expect(await refusal(`${relay.url}/yjs/team?token=forged`)).toBe(401);
    const other = await credentialFor(relay, 'other', 'app');
    expect(await refusal(`${relay.url}/yjs/team?token=${other}`)).toBe(403);
    expect(await refusal(`${relay.url}/automerge?token=forged`)).toBe(401);
  });

  it('is refused with 503 and the reason where the relay does not serve stock clients (a cluster)', async () => {
    const { relay } = await startRelay({ gateways: gatewaysRefused(CLUSTER_REFUSAL) });
    const token = await credentialFor(relay, 'team', 'app');
    for (const url of [`${relay.url}/yjs/team?token=${token}`, `${relay.url}/automerge?token=${token}`]) {
      const { status, body } = await upgradeAnswer(url);
      expect(status).toBe(503);
      expect(body).toContain('not served by a relay cluster');
    }
  });

  it("applies no update from a reader's client, which still receives the room", async () => {
    const { relay } = await relayWithGateways();
    const window = await openWindow(relay, 'team', 'alice');
    await window.apply({ op: 'text.insert', pos: 0, text: 'shared' });
    const reader = await yjsClient(relay, 'team', 'viewer', ['read']);
    await waitFor(
      () => reader.doc.getText('text').toString() === 'shared',
      'the reader gets the room',
      10_000,
    );
    reader.doc.getText('text').insert(0, 'sneaky ');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(window.view('converge').text).toBe('shared');
  });

  it('cuts off a client that sends garbage, and keeps serving the others', async () => {
    const { relay, logs } = await relayWithGateways();
    const good = await yjsClient(relay, 'team', 'good');
    const token = await credentialFor(relay, 'team', 'bad');
    const bad = new WebSocket(`${relay.url}/yjs/team?token=${token}`);
    await new Promise((resolve) => bad.once('open', resolve));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      bad.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    bad.send(new Uint8Array([0, 2, 5, 1, 2, 3, 4, 5])); // an update whose bytes are not a Yjs update
    const { code, reason } = await closed;
    expect(code).toBe(4000);
    expect(reason).toMatch(/malformed y-websocket message/);
    expect(logs.some((line) => line.includes('malformed y-websocket message'))).toBe(true);
    const window = await openWindow(relay, 'team', 'alice');
    good.doc.getText('text').insert(0, 'still served');
    await waitFor(() => window.view('yjs').text === 'still served', 'the good client still served', 10_000);
  });

  it('reports what the workspace cannot carry and puts it back', async () => {
    const { relay, logs } = await relayWithGateways();
    const window = await openWindow(relay, 'team', 'alice');
    const { doc } = await yjsClient(relay, 'team', 'yjs-app');
    doc.getMap('cart').set('apple', 2);
    await waitFor(() => window.view('converge').cart.apple === 2, 'apple');
    doc.getMap('cart').set('apple', 'lots');
    doc.getArray('todo').push(['x']);
    await waitFor(() => doc.getMap('cart').get('apple') === 2, 'the mistyped quantity put back');
    expect(logs.some((l) => l.includes('interop-untranslatable') && l.includes('cart/apple'))).toBe(true);
    expect(logs.some((l) => l.includes('interop-untranslatable') && l.includes('todo'))).toBe(true);
    const status = await fetch(`${relay.adminUrl}/rooms/team/interop`, {
      headers: { authorization: `Bearer ${await credentialFor(relay, 'team', 'alice', ['read'])}` },
    });
    const { bridges } = (await status.json()) as {
      bridges: { replica: string; problems: { path: string }[] }[];
    };
    expect(bridges.flatMap((b) => b.problems.map((p) => p.path))).toContain('todo');
  });
});

/** The room's document as a stock Automerge app types it. */
interface AutomergeRoom {
  text: string;
  cart: Record<string, Counter>;
  counters: Record<string, Counter>;
}

describe('a stock automerge-repo client', () => {
  /** The room's document URL for the client holding `token` (GET /rooms/ROOM/automerge). */
  async function automergeUrl(relay: Relay, room: string, token: string): Promise<string> {
    const response = await fetch(`${relay.adminUrl}/rooms/${room}/automerge`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const { url } = (await response.json()) as { url: string };
    expect(url).toMatch(/^automerge:/);
    return url;
  }

  async function automergeClient(relay: Relay, room: string, replica: string) {
    const token = await credentialFor(relay, room, replica);
    const url = await automergeUrl(relay, room, token);
    const repo = new Repo({ network: [new WebSocketClientAdapter(`${relay.url}/automerge?token=${token}`)] });
    cleanups.push(() => repo.shutdown());
    const handle = await repo.find<AutomergeRoom>(url as never);
    return { repo, handle };
  }

  it("edits reach every engine of a window, and the window's edits reach it", async () => {
    const { relay } = await relayWithGateways();
    const window = await openWindow(relay, 'team', 'alice');
    const { handle } = await automergeClient(relay, 'team', 'am-app');
    handle.change((d) => {
      updateText(d, ['text'], 'hello from automerge');
      d.cart.apple = new Counter(2);
      d.counters.likes?.increment(3);
    });
    await waitFor(
      everyEngine(
        window,
        (v) => v.text === 'hello from automerge' && v.cart.apple === 2 && v.counters.likes === 3,
      ),
      'the outside edits in every engine',
      10_000,
    );
    handle.change((d) => d.cart.apple?.increment(1));
    await waitFor(
      everyEngine(window, (v) => v.cart.apple === 3),
      'a counted cart line',
      10_000,
    );

    await window.apply({ op: 'text.insert', pos: 0, text: '¡' });
    await window.apply({ op: 'cart.add', product: 'pear', qty: 2 });
    await waitFor(
      () => handle.doc().text === '¡hello from automerge' && handle.doc().cart.pear?.value === 2,
      "the window's edits in the stock client's document",
      10_000,
    );
  });

  it('is served at once in a room whose window has not loaded Automerge yet', async () => {
    // A window loads engines' code on demand: until its Automerge has loaded, it announces no digest of
    // it. The bridge waited for one (3 s); automerge-repo's client gives a server 1 s to answer, then
    // finds no peer and calls the document unavailable.
    const { relay } = await relayWithGateways();
    const window = await openWindow(relay, 'team', 'alice', {
      engines: ENGINES.only(engines.filter((name) => name !== 'automerge')),
    });
    await waitFor(() => window.connection() === 'online', 'the window in the room');
    const { handle } = await automergeClient(relay, 'team', 'am-app');
    handle.change((d) => updateText(d, ['text'], 'from the client'));
    await waitFor(
      () => window.view('converge').text === 'from the client',
      "the client's edit in the window",
      10_000,
    );
  });

  it('is answered at once, and syncs once its bridge has caught up', async () => {
    // automerge-repo's client calls the document unavailable when no `peer` answers its join within 1 s
    // of connecting, and a bridge may take longer to catch up (a window busy loading engines' code).
    // Here the bridge catches up, and the slot's log is durable, only when the test lets them: the join
    // must be answered before that, and the client's request only after.
    const { relay } = await relayWithGateways();
    const window = await openWindow(relay, 'team', 'alice');
    await window.apply({ op: 'text.insert', pos: 0, text: 'the room' });
    let release = (): void => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const caughtUp = ClientBridge.prototype.caughtUp;
    const waited = vi.spyOn(ClientBridge.prototype, 'caughtUp').mockImplementation(function (
      this: ClientBridge,
      ...args
    ) {
      return held.then(() => caughtUp.apply(this, args));
    });
    const durable = SlotLog.prototype.durable;
    vi.spyOn(SlotLog.prototype, 'durable').mockImplementation(function (this: SlotLog) {
      return held.then(() => durable.call(this));
    });
    cleanups.push(release);
    const token = await credentialFor(relay, 'team', 'am-app');
    const url = await automergeUrl(relay, 'team', token);
    const repo = new Repo({ network: [new WebSocketClientAdapter(`${relay.url}/automerge?token=${token}`)] });
    cleanups.push(() => repo.shutdown());
    const finding = repo.find<AutomergeRoom>(url as never);
    let found = false;
    finding.then(
      () => {
        found = true;
      },
      () => {},
    );
    await waitFor(() => repo.peers.length === 1, 'the relay answering the join', 10_000);
    await waitFor(() => waited.mock.calls.length === 1, 'the bridge catching up', 10_000);
    // Past the client's own 1 s: it waits for the document, not for a peer.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(found).toBe(false);
    release();
    const handle = await finding;
    await waitFor(() => handle.doc().text === 'the room', 'the room in the client', 10_000);
    handle.change((d) => updateText(d, ['text'], 'the room, and the client'));
    await waitFor(
      everyEngine(window, (v) => v.text === 'the room, and the client'),
      "the client's edit in every engine",
      10_000,
    );
  });

  it("disconnects a reader's client that sends changes, and applies none", async () => {
    const { relay, logs } = await relayWithGateways();
    const window = await openWindow(relay, 'team', 'alice');
    const token = await credentialFor(relay, 'team', 'am-viewer', ['read']);
    const url = await automergeUrl(relay, 'team', token);
    const repo = new Repo({ network: [new WebSocketClientAdapter(`${relay.url}/automerge?token=${token}`)] });
    cleanups.push(() => repo.shutdown());
    const handle = await repo.find<AutomergeRoom>(url as never);
    handle.change((d) => updateText(d, ['text'], 'sneaky'));
    await waitFor(() => logs.some((l) => l.includes('does not grant write')), 'the write refused');
    // A time bound without a sleep: had the Repo taken the refused change, the reader's bridge would
    // have translated it by the time a writer's later edit, through another bridge, reaches the window.
    const writer = await automergeClient(relay, 'team', 'am-writer');
    writer.handle.change((d) => d.counters.stock?.increment(3));
    await waitFor(() => window.view('automerge').counters.stock === 3, 'the writer’s edit arrived', 10_000);
    expect(window.view('automerge').text).toBe('');
  });

  it("hands a reader's refused sync message to the Repo not even once", async () => {
    const { relay, logs } = await relayWithGateways();
    const window = await openWindow(relay, 'team', 'alice');
    const token = await credentialFor(relay, 'team', 'am-raw-viewer', ['read']);
    const url = await automergeUrl(relay, 'team', token);
    const documentId = url.slice('automerge:'.length);
    // A change on top of the room's genesis, which the room's document already holds.
    const genesis = load<AutomergeRoom>(automergeGenesis(WORKSPACE));
    const edited = change(genesis, (d) => updateText(d, ['text'], 'sneaky'));
    const raw = new WebSocket(`${relay.url}/automerge?token=${token}`);
    await new Promise((resolve) => raw.once('open', resolve));
    const closed = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)));
    const received: { type: string; senderId: string }[] = [];
    raw.on('message', (data: Buffer) => received.push(cbor.decode(new Uint8Array(data))));
    const senderId = 'raw-viewer';
    raw.send(cbor.encode({ type: 'join', senderId, peerMetadata: {}, supportedProtocolVersions: ['1'] }));
    await waitFor(() => received.some((m) => m.type === 'peer'), 'the relay peer');
    const targetId = received.find((m) => m.type === 'peer')?.senderId;
    // As a stock Repo does: request the document (no changes: allowed), then sync a change.
    const [, request] = generateSyncMessage(genesis, initSyncState());
    raw.send(cbor.encode({ type: 'request', senderId, targetId, documentId, data: request }));
    await waitFor(() => received.some((m) => m.type === 'sync'), "the relay's answer");
    const sync = encodeSyncMessage({
      heads: getHeads(edited),
      need: [],
      have: [],
      changes: [getLastLocalChange(edited) as Uint8Array],
    });
    raw.send(cbor.encode({ type: 'sync', senderId, targetId, documentId, data: sync }));
    expect(await closed).toBe(4000);
    expect(logs.some((l) => l.includes('does not grant write'))).toBe(true);
    // Anything the Repo took would be in the window once a later edit is.
    const { handle } = await automergeClient(relay, 'team', 'am-app');
    handle.change((d) => updateText(d, ['text'], 'allowed'));
    await waitFor(() => window.view('automerge').text.includes('allowed'), 'the writer edit', 10_000);
    for (const engine of engines) expect(window.view(engine).text).not.toContain('sneaky');
  });

  it('answers the document URL only with a credential for the room', async () => {
    const { relay } = await relayWithGateways();
    const anonymous = await fetch(`${relay.adminUrl}/rooms/team/automerge`);
    expect(anonymous.status).toBe(401);
    const other = await credentialFor(relay, 'other', 'app');
    const wrong = await fetch(`${relay.adminUrl}/rooms/team/automerge`, {
      headers: { authorization: `Bearer ${other}` },
    });
    expect(wrong.status).toBe(403);
  });

  it('cuts off a client that sends garbage, and keeps serving the others', async () => {
    const { relay } = await relayWithGateways();
    const window = await openWindow(relay, 'team', 'alice');
    const { handle } = await automergeClient(relay, 'team', 'am-app');
    const token = await credentialFor(relay, 'team', 'am-app');
    const bad = new WebSocket(`${relay.url}/automerge?token=${token}`);
    await new Promise((resolve) => bad.once('open', resolve));
    const closed = new Promise<number>((resolve) => bad.once('close', (code) => resolve(code)));
    bad.send(new Uint8Array([0xff, 0x00, 0x13]));
    expect(await closed).toBe(4000);
    handle.change((d) => updateText(d, ['text'], 'still served'));
    await waitFor(() => window.view('automerge').text === 'still served', 'still served', 10_000);
  });
});
