/**
 * The replica worker's main part, imported by its entry (replica-worker.ts) once the read of the store the
 * page guessed has started: one per window, started by the page (worker/replica-client.ts). It opens
 * the window's replica off the UI thread (replica-host.ts) and answers the page protocol (protocol.ts).
 * A malformed message is answered with a protocol error and dropped.
 *
 * A worker drops messages that arrive before it listens: so its entry says 'listening' first, and the
 * page sends 'init' only then; the entry holds what comes before this part has loaded (early-listen.ts). This module imports no engine: the host (replica-host.ts, which brings the
 * converge and last-writer-wins engines' code) is a dynamic import started once the worker listens, so
 * it loads while the page waits for its config, and on 'init' while the store is read (read-ahead.ts); Yjs's, Automerge's and Loro's code (their WebAssembly) loads later still, when the
 * replica builds each (replica/README.md, "Engines' code on demand"). `src/renderer/test/page-imports.test.ts`
 * checks that it stays so.
 */
import { errorMessage } from '@converge/protocol';
import type { Store } from '@converge/replica';
import { IndexedDbStore, LogStore } from '@converge/replica/browser';
import { markStart } from '../logic/timing.ts';
import { earlyRead, takeOverMessages } from './early-read.ts';
import { PagePoster } from './page-poster.ts';
import { PortByteLog } from './port-byte-log.ts';
import { parseToWorker, type StoreSpec, type ToPage, type ToWorker } from './protocol.ts';
import { openReadingAhead } from './read-ahead.ts';
import type { ReplicaHost } from './replica-host.ts';

const scope = globalThis as unknown as { postMessage(message: unknown): void };
const poster = new PagePoster((message) => scope.postMessage(message));
const post = (message: ToPage): void => poster.post(message);

let host: ReplicaHost | undefined;
let starting = false;
const queued: ToWorker[] = [];
let credentialId = 0;
const credentials = new Map<number, { resolve(token: string): void; reject(error: Error): void }>();

function credential(): Promise<string> {
  if (credentialId === 0) markStart('converge:credential-asked');
  const id = ++credentialId;
  return new Promise((resolve, reject) => {
    credentials.set(id, { resolve, reject });
    post({ type: 'credential-request', id });
  });
}

function openStore(spec: StoreSpec, ports: readonly MessagePort[]): Store {
  if (spec.kind === 'indexeddb') return new IndexedDbStore(spec.name);
  const port = ports[0];
  if (port === undefined) throw new Error('the byte-log store needs its port');
  return new LogStore(new PortByteLog(port));
}

// The host's code (converge's and last-writer-wins's engines) loads from now on (before the held messages are handled),
// while the page loads its app and its config: 'init', which needs the config, then finds it loaded or loading. A failure is
// the window's start failing, on 'init'.
const hostCode = import('./replica-host.ts');
hostCode.catch(() => {});

takeOverMessages((event) => {
  const parsed = parseToWorker(event.data);
  if (!parsed.ok) {
    post({ type: 'protocol-error', message: parsed.error });
    return;
  }
  const message = parsed.message;
  if (message.type === 'credential') {
    const waiter = credentials.get(message.id);
    credentials.delete(message.id);
    if (message.id === 1) markStart('converge:credential-answered');
    if (message.token !== undefined) waiter?.resolve(message.token);
    else waiter?.reject(new Error(message.error ?? 'no credential'));
    return;
  }
  if (message.type === 'init') {
    if (starting) {
      post({ type: 'protocol-error', message: 'the replica worker is already started' });
      return;
    }
    starting = true;
    let store: Store;
    const ports = event.ports;
    try {
      // The store read since the worker started when the page guessed this one, else opened now.
      store =
        earlyRead?.take(message.store, () => openStore(message.store, ports)) ??
        openStore(message.store, ports);
    } catch (error) {
      post({ type: 'failed', message: errorMessage(error) });
      return;
    }
    const init = message;
    markStart('converge:init');
    openReadingAhead(
      store,
      async () => {
        const { ReplicaHost } = await hostCode;
        markStart('converge:host-imported');
        return (reading) => ReplicaHost.open({ init, store: reading, post, credential });
      },
      () => markStart('converge:store-read'),
    ).then(
      (opened) => {
        host = opened;
        for (const waiting of queued.splice(0)) opened.handle(waiting);
      },
      (error: unknown) => post({ type: 'failed', message: errorMessage(error) }),
    );
    return;
  }
  if (host === undefined) queued.push(message);
  else host.handle(message);
});
