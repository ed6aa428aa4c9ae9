import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReplicaClient, type WorkerLike } from '../worker/replica-client.ts';
import { startReplicaWorker } from '../worker/replica-worker-start.ts';
import { pageImportGraph } from './page-import-graph.ts';

const root = join(import.meta.dirname, '../../..');

/** A real Worker's behaviour: an event fires on whatever handler is set then (none: it is lost). */
function rawWorker() {
  const posted: unknown[] = [];
  let terminated = false;
  const worker: WorkerLike = {
    onmessage: null,
    onerror: null,
    postMessage: (message) => posted.push(message),
    terminate: () => {
      terminated = true;
    },
  };
  return {
    worker,
    posted,
    terminated: () => terminated,
    say: (data: unknown) => worker.onmessage?.({ data } as MessageEvent),
    fail: (message: string) => worker.onerror?.({ message } as ErrorEvent),
  };
}

const CLIENT = {
  config: { relayUrl: 'ws://r', adminUrl: 'http://a', room: 'room', replicaId: 'alice' },
  store: { kind: 'indexeddb', name: 'db' },
  credential: async () => 'token',
  persistCheckout: () => {},
} as const;

describe("the replica worker's start", () => {
  it('creates the worker at once, before any client exists', () => {
    let created = 0;
    startReplicaWorker(() => {
      created++;
      return rawWorker().worker;
    });
    expect(created).toBe(1);
  });

  it("keeps the worker's 'listening' said before the client listens: the client still sends 'init'", () => {
    const raw = rawWorker();
    const worker = startReplicaWorker(() => raw.worker);
    raw.say({ type: 'listening' }); // the worker's module loaded while the page's bundle still loads
    void ReplicaClient.start({ ...CLIENT, worker });
    expect(raw.posted).toMatchObject([
      { type: 'init', config: { replicaId: 'alice' }, store: { name: 'db' } },
    ]);
  });

  it('hands later messages to the handler set at the time, and keeps their order', () => {
    const raw = rawWorker();
    const worker = startReplicaWorker(() => raw.worker);
    raw.say(1);
    raw.say(2);
    const seen: unknown[] = [];
    worker.onmessage = (event) => {
      seen.push(event.data);
      // The client replaces its handler on 'ready': what follows goes to the new one.
      if (event.data === 1) worker.onmessage = (next) => seen.push(`after ${next.data}`);
    };
    raw.say(3);
    expect(seen).toEqual([1, 'after 2', 'after 3']);
  });

  it("keeps an error until there is an error handler: the window's start fails with it", async () => {
    const raw = rawWorker();
    const worker = startReplicaWorker(() => raw.worker);
    raw.fail('the script did not load');
    await expect(ReplicaClient.start({ ...CLIENT, worker })).rejects.toThrow('the script did not load');
    worker.terminate();
    expect(raw.terminated()).toBe(true);
  });
});

describe("the page's first script", () => {
  const entry = 'src/renderer/start.ts';

  it("is the page's only script", () => {
    const html = readFileSync(join(root, 'src/renderer/index.html'), 'utf8');
    expect([...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1])).toEqual(['./start.ts']);
  });

  it("imports only the worker's start, the store's guess and the config's request: the app, React and the session are dynamic imports", () => {
    const files = [...pageImportGraph(root, entry).files.keys()].filter((f) => !f.endsWith('.css'));
    expect(files.sort()).toEqual(
      [
        entry,
        'src/renderer/platform/config-request.ts',
        'src/renderer/worker/replica-worker-start.ts',
        'src/renderer/worker/store-hint.ts',
      ].sort(),
    );
    expect([...pageImportGraph(root, entry).packages.keys()]).toEqual([]);
  });

  it("creates the worker before it asks for the app's bundle and the config", () => {
    const code = readFileSync(join(root, entry), 'utf8');
    const started = code.indexOf('startReplicaWorker(() => createReplicaWorker(storeGuess))');
    expect(started).toBeGreaterThan(0);
    for (const later of ["import('./main.tsx')", "import('./platform.ts')", "import('./session.ts')"])
      expect(code.indexOf(later), later).toBeGreaterThan(started);
  });

  it("asks for web mode's config before the session's code loads, and hands the request to the session", () => {
    const code = readFileSync(join(root, entry), 'utf8');
    const asked = code.indexOf('requestWebConfig(');
    expect(asked).toBeGreaterThan(0);
    for (const later of ["import('./platform.ts')", "import('./session.ts')"])
      expect(code.indexOf(later), later).toBeGreaterThan(asked);
    expect(code).toContain('detectPlatform(configRequest)');
  });
});
