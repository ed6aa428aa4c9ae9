// The gateways' outside documents and bridge replicas survive a relay crash (SIGKILL) with --data-dir:
// a stock y-websocket client and an automerge-repo client that still hold their documents reconnect to
// the restarted relay, resend everything they hold, and nothing reads as a new edit: every engine of a
// Converge window shows each client's text exactly once.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Counter, updateText } from '@automerge/automerge';
import { Repo } from '@automerge/automerge-repo';
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket';
import { ENGINES, type EngineName, type Replica } from '@converge/replica';
import { FileByteLog } from '@converge/replica/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { createRelay } from '../src/index.ts';
import { interopGateways } from '../src/interop/index.ts';
import { SlotLog } from '../src/interop/slot-log.ts';
import { storagePeers } from '../src/storage/index.ts';
import { credentialFor, openWindow, remoteRelay, startRelayProcess, waitFor } from './support.ts';

const ADMIN_TOKEN = 'interop-restart-admin-token';
const engines = ENGINES.names as EngineName[];

let dataDir: string;
const cleanups: (() => unknown)[] = [];
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'converge-interop-restart-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

/** A port free now, so the restarted relay can take the same one and the clients reconnect by themselves. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function relayProcess(port: number) {
  const started = await startRelayProcess({ port, dataDir, adminToken: ADMIN_TOKEN });
  started.child.stderr?.on('data', (chunk: Buffer) =>
    process.stdout.write(`[relay ${port} stderr] ${chunk}`),
  );
  let exited = false;
  started.child.once('exit', () => {
    exited = true;
  });
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (exited) return;
    const gone = new Promise((resolve) => started.child.once('exit', resolve));
    started.child.kill(signal);
    await gone;
  };
  cleanups.push(() => stop('SIGTERM'));
  return { relay: remoteRelay(`ws://127.0.0.1:${port}`, ADMIN_TOKEN), stop };
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

interface AutomergeRoom {
  text: string;
  cart: Record<string, Counter>;
}

describe('the gateways across a relay restart', () => {
  it('recognise what the stock clients already sent: nothing is duplicated', async () => {
    const port = await freePort();
    const first = await relayProcess(port);
    const { relay } = first;
    const window = await openWindow(relay, 'team', 'alice');
    cleanups.push(() => window.close());

    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`${relay.url}/yjs`, 'team', doc, {
      WebSocketPolyfill: WebSocket as never,
      params: { token: await credentialFor(relay, 'team', 'yjs-app') },
      disableBc: true,
    });
    cleanups.push(() => provider.destroy());
    await waitFor(() => provider.synced, 'the provider synced', 15_000);

    const amToken = await credentialFor(relay, 'team', 'am-app');
    const response = await fetch(`${relay.adminUrl}/rooms/team/automerge`, {
      headers: { authorization: `Bearer ${amToken}` },
    });
    const { url } = (await response.json()) as { url: string };
    const repo = new Repo({
      network: [new WebSocketClientAdapter(`${relay.url}/automerge?token=${amToken}`)],
    });
    cleanups.push(() => repo.shutdown());
    const handle = await repo.find<AutomergeRoom>(url as never);

    doc.getText('text').insert(0, '[from yjs]');
    doc.getMap('cart').set('apple', 3);
    await waitFor(
      () => engines.every((name) => window.view(name).text === '[from yjs]'),
      'the yjs edit in every engine',
      15_000,
    );
    await waitFor(() => handle.doc().text === '[from yjs]', 'the yjs edit in the automerge client', 15_000);
    handle.change((d) => updateText(d, ['text'], '[from yjs][from automerge]'));
    const both = (text: string): boolean =>
      occurrences(text, '[from yjs]') === 1 && occurrences(text, '[from automerge]') === 1;
    await waitFor(
      () => engines.every((name) => both(window.view(name).text)),
      'both edits in every engine',
      15_000,
    );
    await waitFor(() => both(doc.getText('text').toString()), 'both edits in the yjs client', 15_000);

    await first.stop('SIGKILL');
    const second = await relayProcess(port);

    // The same client documents reconnect by themselves and resend what they hold; a fresh window joins.
    const fresh = await openWindow(second.relay, 'team', 'bob');
    cleanups.push(() => fresh.close());
    const interop = async (): Promise<{ bridges: { connections: number }[] }> => {
      const answer = await fetch(`${second.relay.adminUrl}/rooms/team/interop`, {
        headers: { authorization: `Bearer ${await credentialFor(second.relay, 'team', 'probe', ['read'])}` },
      });
      return (await answer.json()) as { bridges: { connections: number }[] };
    };
    let bridges = 0;
    const pollBridges = setInterval(() => {
      interop().then(
        (status) => {
          bridges = status.bridges.filter((b) => b.connections > 0).length;
        },
        () => {},
      );
    }, 100);
    cleanups.push(() => clearInterval(pollBridges));
    await waitFor(() => bridges === 2 && provider.synced, 'both clients back', 30_000);

    const texts = (): string[] => [
      ...[window, fresh].flatMap((replica: Replica) => engines.map((name) => replica.view(name).text)),
      doc.getText('text').toString(),
      handle.doc().text,
    ];
    // Everyone converges; then give a duplicate every chance to show before checking there is none.
    await waitFor(() => new Set(texts()).size === 1, 'every engine and client converged', 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await waitFor(() => new Set(texts()).size === 1, 'every engine and client converged again', 30_000);
    expect(texts()[0]).toBe('[from yjs][from automerge]');
    for (const name of engines) expect(fresh.view(name).cart.apple).toBe(3);
  }, 120_000);

  it('translates, exactly once, a client update the relay stored but died before translating', async () => {
    const port = await freePort();
    const start = async () => {
      const relay = await createRelay({
        port,
        adminToken: ADMIN_TOKEN,
        storage: storagePeers(dataDir),
        gateways: interopGateways({ dataDir }),
        logLevel: 'silent',
      });
      cleanups.push(() => relay.close());
      return relay;
    };
    const first = await start();
    const window = await openWindow(first, 'team', 'alice');
    cleanups.push(() => window.close());
    const doc = new Y.Doc();
    const connect = async (relay: typeof first) => {
      const provider = new WebsocketProvider(`${relay.url}/yjs`, 'team', doc, {
        WebSocketPolyfill: WebSocket as never,
        params: { token: await credentialFor(relay, 'team', 'yjs-app') },
        disableBc: true,
      });
      cleanups.push(() => provider.destroy());
      return provider;
    };
    const provider = await connect(first);
    await waitFor(() => provider.synced, 'the provider synced', 15_000);
    doc.getText('text').insert(0, 'one');
    await waitFor(
      () => engines.every((name) => window.view(name).text === 'one'),
      'the first edit in every engine',
      15_000,
    );
    provider.destroy();
    await first.close();

    // What the relay's log holds when it died right after storing the client's next update, before its
    // translation was stored: the update, untranslated.
    const before = Y.encodeStateVector(doc);
    doc.getText('text').insert(3, ' two');
    const { log } = await SlotLog.open(new FileByteLog(join(dataDir, 'team', 'interop', 'yjs-yjs-app')));
    log.untranslatedUpdate(Y.encodeStateAsUpdate(doc, before));
    await log.close();

    const second = await start();
    const again = await connect(second);
    await waitFor(() => again.synced, 'the provider synced again', 15_000);
    const texts = (): string[] => [
      ...engines.map((name) => window.view(name).text),
      doc.getText('text').toString(),
    ];
    await waitFor(
      () => texts().every((text) => text === 'one two'),
      'the stored update in every engine',
      15_000,
    );
    // Give a second translation every chance to show.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(texts()).toEqual(texts().map(() => 'one two'));
  }, 60_000);
});
