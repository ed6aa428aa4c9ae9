import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IPC_CHANNELS, type WindowConfig } from '../../preload/api.ts';
import { createIpcHandlers, type IpcHandler } from '../ipc-handlers.ts';
import type { IpcSender } from '../ipc-schema.ts';
import { ReplicaStores } from '../replica-stores.ts';
import { APP_ENTRY_URL, createAppUrlPolicy } from '../security.ts';
import { WindowRegistry } from '../window-registry.ts';

const win = (webContentsId: number): IpcSender => ({
  webContentsId,
  frameUrl: APP_ENTRY_URL,
  isMainFrame: true,
});
const bytes = (...v: number[]) => Uint8Array.from(v);

describe('IPC handlers', () => {
  let dir: string;
  let stores: ReplicaStores;
  let registry: WindowRegistry;
  let handlers: Record<string, IpcHandler>;
  let newWindows: number;
  let rooms: string[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-ipc-'));
    stores = new ReplicaStores({ root: join(dir, 'replicas') });
    registry = new WindowRegistry();
    registry.register(1, 'alpha');
    registry.register(2, 'beta');
    newWindows = 0;
    rooms = [];
    handlers = createIpcHandlers({
      senders: { replicaFor: (id) => registry.replicaFor(id), isAppUrl: createAppUrlPolicy() },
      logs: stores,
      windowConfig: async (replicaId): Promise<WindowConfig> => ({
        replicaId,
        room: 'default',
        relayUrl: 'ws://127.0.0.1:1',
        adminUrl: 'http://127.0.0.1:1',
        token: `credential-of-${replicaId}`,
      }),
      windows: {
        newReplicaWindow: async () => {
          newWindows++;
        },
        openRoom: async (room) => {
          rooms.push(room);
        },
      },
    });
  });
  afterEach(async () => {
    await stores.closeAll();
    await rm(dir, { recursive: true, force: true });
  });

  const call = (channel: string, sender: IpcSender, ...args: unknown[]) => handlers[channel]!(sender, args);

  it('has a handler for every channel', () => {
    expect(Object.keys(handlers).sort()).toEqual(Object.values(IPC_CHANNELS).sort());
  });

  it('binds every store call to the calling window’s replica', async () => {
    expect(await call(IPC_CHANNELS.getWindowConfig, win(2))).toMatchObject({
      replicaId: 'beta',
      token: 'credential-of-beta',
    });
    expect(await call(IPC_CHANNELS.storeOpen, win(1))).toEqual({ records: [], damage: [] });
    await call(IPC_CHANNELS.storeAppend, win(1), bytes(1));
    await call(IPC_CHANNELS.storeAppend, win(2), bytes(2));
    await call(IPC_CHANNELS.storeCompact, win(2), bytes(22));
    await call(IPC_CHANNELS.storeAppend, win(1), bytes(3));
    expect(await call(IPC_CHANNELS.storeOpen, win(1))).toEqual({ records: [bytes(1), bytes(3)], damage: [] });
    expect(await call(IPC_CHANNELS.storeOpen, win(2))).toEqual({
      snapshot: bytes(22),
      records: [],
      damage: [],
    });
    await call(IPC_CHANNELS.storeClose, win(1));
    expect(await call(IPC_CHANNELS.storeOpen, win(1))).toMatchObject({ records: [bytes(1), bytes(3)] });
  });

  it('cannot be steered to another replica through its arguments', async () => {
    await expect(call(IPC_CHANNELS.storeOpen, win(1), 'beta')).rejects.toThrow(/at most 0 argument/);
    await expect(call(IPC_CHANNELS.storeAppend, win(1), bytes(1), 'beta')).rejects.toThrow(
      /at most 1 argument/,
    );
    await expect(call(IPC_CHANNELS.getWindowConfig, win(1), { replicaId: 'beta' })).rejects.toThrow(
      /at most 0/,
    );
  });

  it('refuses unknown windows and foreign frames before touching anything', async () => {
    await expect(call(IPC_CHANNELS.storeAppend, win(9), bytes(1))).rejects.toThrow(/not a replica window/);
    await expect(
      call(
        IPC_CHANNELS.storeAppend,
        { webContentsId: 1, frameUrl: 'https://evil.example/', isMainFrame: true },
        bytes(1),
      ),
    ).rejects.toThrow(/not the app/);
    await expect(
      call(IPC_CHANNELS.storeOpen, { webContentsId: 1, frameUrl: APP_ENTRY_URL, isMainFrame: false }),
    ).rejects.toThrow(/main frame/);
    await expect(call(IPC_CHANNELS.newReplicaWindow, win(9))).rejects.toThrow(/not a replica window/);
    expect(newWindows).toBe(0);
    await expect(readdir(join(dir, 'replicas'))).rejects.toThrow(/ENOENT/);
  });

  it('rejects bad arguments without writing', async () => {
    await expect(call(IPC_CHANNELS.storeAppend, win(1), 'not bytes')).rejects.toThrow(
      'converge:store-append: invalid arguments: argument 1: record must be a Uint8Array',
    );
    await expect(
      call(IPC_CHANNELS.storeAppend, win(1), new Uint8Array(16 * 1024 * 1024 + 1)),
    ).rejects.toThrow(/exceeds the limit/);
    await expect(call(IPC_CHANNELS.storeCompact, win(1), [1, 2, 3])).rejects.toThrow(
      /snapshot must be a Uint8Array/,
    );
    expect(await call(IPC_CHANNELS.storeOpen, win(1))).toEqual({ records: [], damage: [] });
  });

  it('opens a new replica window on request, in a room when asked, with a valid room name only', async () => {
    await call(IPC_CHANNELS.newReplicaWindow, win(1));
    expect(newWindows).toBe(1);
    await call(IPC_CHANNELS.openRoom, win(1), 'team-2');
    expect(rooms).toEqual(['team-2']);
    await expect(call(IPC_CHANNELS.openRoom, win(1), '../x')).rejects.toThrow(/room may only contain/);
    await expect(call(IPC_CHANNELS.openRoom, win(1))).rejects.toThrow(/argument/);
    await expect(call(IPC_CHANNELS.openRoom, win(9), 'x')).rejects.toThrow(/not a replica window/);
    expect(rooms).toEqual(['team-2']);
  });

  it('stops answering for a window once it is unregistered', async () => {
    registry.unregister(1);
    await expect(call(IPC_CHANNELS.storeOpen, win(1))).rejects.toThrow(/not a replica window/);
  });
});
