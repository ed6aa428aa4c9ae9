/**
 * Electron main process: thin wiring of Electron APIs around MainServices (main-services.ts), where
 * the logic lives and is tested in plain Node. Nothing here decides anything by itself: security
 * policy comes from security.ts, IPC validation from ipc-schema.ts, the menu from menu.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  type IpcMainInvokeEvent,
  ipcMain,
  Menu,
  protocol,
  type Rectangle,
  screen,
  session,
  type WebContents,
} from 'electron';
import { IPC_EVENTS } from '../preload/api.ts';
import type { IpcSender } from './ipc-schema.ts';
import type { Logger, MainServices } from './main-services.ts';
import { startMainServices } from './main-services.ts';
import { buildMenuTemplate } from './menu.ts';
import { ReplicaWindows } from './replica-windows.ts';
import { registerRoomLinks } from './room-links.ts';
import {
  APP_ENTRY_URL,
  APP_HOST,
  APP_SCHEME,
  decideNavigation,
  decidePermission,
  decideWindowOpen,
  secureWebPreferences,
  securityHeaders,
} from './security.ts';
import { resolveStaticFile } from './static-files.ts';
import { cascadeFrom, DEFAULT_WINDOW_SIZE, placeOnScreen } from './window-bounds.ts';
import type { WindowRecord } from './window-state.ts';

const log: Logger = {
  info: (m) => console.log(`[converge] ${m}`),
  warn: (m) => console.warn(`[converge] warning: ${m}`),
  error: (m) => console.error(`[converge] error: ${m}`),
};

// Must happen before `ready`: gives the renderer a real, secure origin (converge://app).
protocol.registerSchemesAsPrivileged([
  {
    scheme: APP_SCHEME,
    // corsEnabled lets module scripts (<script type="module" crossorigin>) load from the scheme;
    // our responses carry no Access-Control-Allow-Origin, so no other origin can read them.
    privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true },
  },
]);

const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const rendererRoot = fileURLToPath(new URL('../renderer', import.meta.url));
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));

// One process per user-data folder: two would open the same replica logs.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void run();
}

async function run(): Promise<void> {
  await app.whenReady();
  let services: MainServices;
  try {
    const { startEmbeddedRelay } = await import('./embedded-relay.ts');
    services = await startMainServices({
      userData: app.getPath('userData'),
      argv: process.argv.slice(1),
      startRelay: startEmbeddedRelay,
      randomBytes: (n) => new Uint8Array(randomBytes(n)),
      log,
      ...(devServerUrl !== undefined ? { devServerUrl } : {}),
    });
  } catch (error) {
    dialog.showErrorBox('Converge cannot start', (error as Error).message);
    app.exit(1);
    return;
  }
  const shell = new AppShell(services);
  shell.install();
  for (const record of services.initialWindows) shell.openWindow(record);
}

class AppShell {
  private readonly windows = new ReplicaWindows<BrowserWindow>();
  private shutDown = false;

  constructor(private readonly services: MainServices) {}

  install(): void {
    const { services } = this;
    const headers = securityHeaders(services.csp);

    protocol.handle(APP_SCHEME, async (request) => {
      const url = new URL(request.url);
      if (url.host !== APP_HOST || request.method !== 'GET') {
        return new Response('not found', { status: 404, headers });
      }
      const found = await resolveStaticFile(rendererRoot, url.pathname);
      if (found.kind === 'not-found') return new Response('not found', { status: 404, headers });
      return new Response(new Uint8Array(await readFile(found.path)), {
        status: 200,
        headers: { ...headers, 'Content-Type': found.contentType },
      });
    });

    if (devServerUrl !== undefined) {
      // The dev server's pages get the (dev) policy as a header too.
      const devOrigin = new URL(devServerUrl).origin;
      session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
        const responseHeaders = { ...details.responseHeaders };
        if (new URL(details.url).origin === devOrigin)
          responseHeaders['Content-Security-Policy'] = [services.csp];
        callback({ responseHeaders });
      });
    }

    session.defaultSession.setPermissionRequestHandler((contents, permission, callback) => {
      const decision = decidePermission(permission, contents.getURL(), services.isAppUrl);
      if (!decision.granted) log.warn(decision.reason);
      callback(decision.granted);
    });
    session.defaultSession.setPermissionCheckHandler(
      (_contents, permission, requestingOrigin) =>
        decidePermission(permission, requestingOrigin, services.isAppUrl).granted,
    );

    app.on('web-contents-created', (_event, contents) => this.lockDown(contents));

    const openRoom = async (room?: string): Promise<void> => {
      this.openWindow({
        replicaId: await services.allocateReplicaId(),
        ...(room === undefined ? {} : { room }),
      });
    };
    const handlers = services.createIpcHandlers({ newReplicaWindow: () => openRoom(), openRoom });
    for (const [channel, handler] of Object.entries(handlers)) {
      ipcMain.handle(channel, async (event, ...args: unknown[]) => {
        try {
          return await handler(senderOf(event), args);
        } catch (error) {
          log.warn(`IPC ${channel} from webContents ${event.sender.id}: ${(error as Error).message}`);
          throw error;
        }
      });
    }

    registerRoomLinks(app, {
      defaultApp: process.defaultApp === true,
      execPath: process.execPath,
      appPath: process.argv[1],
      open: (room) =>
        void openRoom(room).catch((error) =>
          log.warn(`cannot open room ${room}: ${(error as Error).message}`),
        ),
      other: () => this.focusAnyOrOpen(),
      warn: (message) => log.warn(message),
    });
    app.on('activate', () => this.focusAnyOrOpen());
    app.on('window-all-closed', () => {
      if (process.platform !== 'darwin') app.quit();
    });
    app.on('before-quit', () => services.windowState.beginQuit());
    app.on('will-quit', (event) => {
      if (this.shutDown) return;
      event.preventDefault();
      void services.shutdown().finally(() => {
        this.shutDown = true;
        app.quit();
      });
    });
    void this.refreshMenu();
  }

  /** Show the replica's window: the one it already has (one writer per replica id), else a new one. */
  openWindow(record: WindowRecord): void {
    const { window, created } = this.windows.open(record.replicaId, () => this.createWindow(record));
    if (created) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  }

  private createWindow(record: WindowRecord): BrowserWindow {
    const { services } = this;
    const workAreas = screen.getAllDisplays().map((d) => d.workArea);
    const last = this.windows.all().at(-1)?.getBounds();
    const bounds =
      placeOnScreen(record.bounds, workAreas) ?? cascadeFrom(last, screen.getPrimaryDisplay().workArea);
    const win = new BrowserWindow({
      ...DEFAULT_WINDOW_SIZE,
      ...(bounds ?? {}),
      minWidth: 480,
      minHeight: 360,
      show: false,
      title: `Converge — replica ${record.replicaId}`,
      webPreferences: secureWebPreferences(preloadPath),
    });
    const contentsId = win.webContents.id;
    services.registry.register(contentsId, record.replicaId);
    services.windowState.opened({
      replicaId: record.replicaId,
      ...(record.room === undefined ? {} : { room: record.room }),
      bounds: toBounds(win.getNormalBounds()),
      maximized: record.maximized === true,
    });
    if (record.maximized === true) win.maximize();

    const saveBounds = (): void =>
      services.windowState.updateBounds(record.replicaId, toBounds(win.getNormalBounds()), win.isMaximized());
    win.on('resize', saveBounds);
    win.on('move', saveBounds);
    win.on('maximize', saveBounds);
    win.on('unmaximize', saveBounds);
    win.once('ready-to-show', () => win.show());
    // Keep the replica id in the title whatever the page calls itself.
    win.on('page-title-updated', (event, title) => {
      event.preventDefault();
      win.setTitle(`${title} — replica ${record.replicaId}`);
    });
    win.on('closed', () => {
      services.registry.unregister(contentsId);
      this.windows.closed(record.replicaId, win);
      services.windowState.closed(record.replicaId);
      // Its pending writes finish; the data stays on disk for File > Reopen Replica.
      services.stores.close(record.replicaId).catch((error: unknown) => log.error((error as Error).message));
      void this.refreshMenu();
    });

    void win.loadURL(devServerUrl ?? APP_ENTRY_URL).catch((error: unknown) => {
      log.error(`window for replica ${record.replicaId} failed to load: ${(error as Error).message}`);
    });
    void this.refreshMenu();
    return win;
  }

  /** Applies the navigation, window.open and webview policy to every webContents, ours or not. */
  private lockDown(contents: WebContents): void {
    contents.on('will-navigate', (event) => {
      const decision = decideNavigation(event.url);
      if (!decision.allow) {
        event.preventDefault();
        log.warn(decision.reason);
      }
    });
    contents.on('will-redirect', (event) => {
      if (!decideNavigation(event.url).allow) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const decision = decideWindowOpen(url);
      log.warn(decision.reason);
      return { action: decision.action };
    });
  }

  /** Focus a window; with none open (macOS), bring back the remembered ones or a new replica. */
  private focusAnyOrOpen(): void {
    const first = this.windows.all()[0];
    if (first !== undefined) {
      if (first.isMinimized()) first.restore();
      first.focus();
      return;
    }
    const remembered = this.services.windowState.list();
    if (remembered.length > 0) {
      for (const record of remembered) this.openWindow(record);
      return;
    }
    void this.services.allocateReplicaId().then((replicaId) => this.openWindow({ replicaId }));
  }

  private async refreshMenu(): Promise<void> {
    const closedReplicas = await this.services.closedReplicas().catch(() => []);
    const template = buildMenuTemplate({
      platform: process.platform,
      dev: devServerUrl !== undefined,
      appName: app.name,
      closedReplicas,
      actions: {
        newReplicaWindow: () => {
          void this.services.allocateReplicaId().then((replicaId) => this.openWindow({ replicaId }));
        },
        reopenReplica: (replicaId) => this.openWindow({ replicaId }),
        editHistory: (op) => BrowserWindow.getFocusedWindow()?.webContents.send(IPC_EVENTS.editHistory, op),
      },
    });
    Menu.setApplicationMenu(Menu.buildFromTemplate(template));
  }
}

function senderOf(event: IpcMainInvokeEvent): IpcSender {
  const frame = event.senderFrame;
  return {
    webContentsId: event.sender.id,
    frameUrl: frame?.url,
    isMainFrame: frame !== null && frame.parent === null,
  };
}

function toBounds(r: Rectangle): { x: number; y: number; width: number; height: number } {
  return { x: Math.round(r.x), y: Math.round(r.y), width: Math.round(r.width), height: Math.round(r.height) };
}
