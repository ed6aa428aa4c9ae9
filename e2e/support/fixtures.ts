/**
 * Playwright fixtures for web mode. Every test gets its own web-mode server (relay + renderer on free
 * ports, a temporary data folder, its own room), so tests share no relay state and can run in
 * parallel; its own browser context (so its own IndexedDB), in which each page is one replica window;
 * and a console guard that fails the test on any console error, uncaught exception or failed response.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, expect } from '@playwright/test';
import { attachEmbeddedRelay } from '../../src/main/embedded-relay.ts';
import { startWebMode, type WebMode } from '../../src/main/web-mode.ts';
import { ConsoleGuard } from './console-guard.ts';
import { escapeRegExp } from './regexp.ts';
import { RestartableRelay } from './restartable-relay.ts';
import { Workbench } from './workbench.ts';

export interface WebApp {
  /** The page to open, with its launch key after `#key=` (a replica per `?replica=`). */
  readonly url: string;
  readonly relayUrl: string;
  readonly room: string;
  /** A credential for `replica` in this test's room (for a client outside the app, e.g. a stock Yjs app). */
  mintCredential(replica: string): Promise<string>;
  /**
   * Stop the relay, as if its process went away; the page server stays up. The pages' failed
   * reconnects and admin calls (the relay's paths only) are tolerated by the console guard from here on.
   */
  stopRelay(): Promise<void>;
  /** Start the relay again on the same port and data folder. */
  startRelay(): Promise<void>;
  /**
   * Stop the whole of web mode (page server and relay), as when `npm run web` is interrupted, and start
   * it again on the same port and data folder once `whileDown` is done. Everything the pages try in
   * between is tolerated by the console guard from here on.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

export interface Windows {
  /** Open a window (a page of this test's context) hosting `replicaId`, and wait until it has loaded. */
  open(replicaId: string): Promise<Workbench>;
  /** Open a window without `?replica=`: the page makes up a replica id (and puts it in its URL). */
  openNew(): Promise<Workbench>;
  /** Open several, in order, and wait until they all are online and see each other. */
  openAll<const Ids extends readonly string[]>(...replicaIds: Ids): Promise<{ [K in keyof Ids]: Workbench }>;
}

interface Fixtures {
  consoleGuard: ConsoleGuard;
  webApp: WebApp;
  windows: Windows;
}

export const test = base.extend<Fixtures>({
  consoleGuard: [
    async ({ context }, use) => {
      const guard = new ConsoleGuard();
      guard.watch(context);
      await use(guard);
      expect(guard.problems, 'console errors, uncaught exceptions or failed responses').toEqual([]);
    },
    { auto: true },
  ],

  webApp: async ({ consoleGuard }, use, testInfo) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'converge-e2e-'));
    const room = `e2e-${testInfo.testId}`.slice(0, 64);
    let relay = new RestartableRelay(attachEmbeddedRelay);
    let web: WebMode = await startWebMode({ port: 0, dataDir, room, attachRelay: relay.attachRelay });
    // The network panel asks for the room's traffic right after finding the room in the relay's list;
    // when the room's last node leaves in between (every window offline), the relay has forgotten the
    // room and answers 404, which the panel handles (it keeps the traffic it had). Chromium still logs
    // that 404 as a console error; it is the only failed response these tests accept.
    consoleGuard.tolerateResponse(404, new RegExp(`^${escapeRegExp(web.adminUrl)}/rooms/[^/]+/traffic$`));
    const relayPaths = new RegExp(`//${escapeRegExp(new URL(web.url).host)}/(relay|api)(?![\\w-])`);
    try {
      await use({
        url: web.url,
        relayUrl: web.relayUrl,
        room,
        mintCredential: async (replica) =>
          (await relay.mintCredential({ room, replica, rights: ['read', 'write'] })).token,
        stopRelay: async () => {
          consoleGuard.tolerate(relayPaths);
          consoleGuard.tolerateResponse(503, new RegExp(`^${escapeRegExp(web.adminUrl)}/`));
          await relay.stop();
        },
        startRelay: () => relay.start(),
        restart: async (whileDown) => {
          consoleGuard.tolerate(new RegExp(`//${escapeRegExp(new URL(web.url).host)}/`));
          // While web mode shuts down, its relay answers the admin API with 503 (shutting down).
          consoleGuard.tolerateResponse(503, new RegExp(`^${escapeRegExp(new URL(web.url).origin)}/api/`));
          await web.close();
          await whileDown?.();
          relay = new RestartableRelay(attachEmbeddedRelay);
          const port = Number(new URL(web.url).port);
          web = await startWebMode({ port, dataDir, room, attachRelay: relay.attachRelay });
        },
      });
    } finally {
      await web.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  },

  windows: async ({ context, webApp }, use) => {
    const open = async (replicaId: string): Promise<Workbench> => {
      const page = await context.newPage();
      const url = new URL(webApp.url);
      url.searchParams.set('replica', replicaId);
      await page.goto(url.href);
      const window = new Workbench(page, replicaId);
      await window.waitUntilLoaded();
      return window;
    };
    await use({
      open,
      openNew: async () => {
        const page = await context.newPage();
        await page.goto(webApp.url);
        const replicaId = await page.getByTestId('replica-id').textContent();
        if (replicaId === null || replicaId === '') throw new Error('the page shows no replica id');
        const window = new Workbench(page, replicaId);
        await window.waitUntilLoaded();
        return window;
      },
      openAll: async <const Ids extends readonly string[]>(...replicaIds: Ids) => {
        const opened: Workbench[] = [];
        for (const id of replicaIds) opened.push(await open(id));
        for (const window of opened) {
          await window.expectSyncingWith(replicaIds.filter((id) => id !== window.replicaId));
        }
        return opened as { [K in keyof Ids]: Workbench };
      },
    });
    // Close the windows while the relay still runs, so closing it logs nothing in them.
    for (const page of context.pages()) await page.close();
  },
});

export { expect };
