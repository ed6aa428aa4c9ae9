/**
 * Sandboxed preload: exposes exactly `ConvergeApi` as `window.converge` and nothing else.
 * Bundled as one CommonJS file (sandboxed preloads cannot load ES modules or other files).
 */
import { contextBridge, ipcRenderer } from 'electron';
import {
  CONVERGE_API_KEY,
  type ConvergeApi,
  IPC_CHANNELS,
  IPC_EVENTS,
  type StoredLog,
  type WindowConfig,
} from './api.ts';

// Each function passes only its own arguments on: the renderer never gets ipcRenderer itself.
const api: ConvergeApi = {
  platform: 'electron',
  getWindowConfig: (): Promise<WindowConfig> => ipcRenderer.invoke(IPC_CHANNELS.getWindowConfig),
  store: {
    open: (): Promise<StoredLog> => ipcRenderer.invoke(IPC_CHANNELS.storeOpen),
    append: (record: Uint8Array): Promise<void> => ipcRenderer.invoke(IPC_CHANNELS.storeAppend, record),
    compact: (snapshot: Uint8Array): Promise<void> => ipcRenderer.invoke(IPC_CHANNELS.storeCompact, snapshot),
    close: (): Promise<void> => ipcRenderer.invoke(IPC_CHANNELS.storeClose),
  },
  newReplicaWindow: (): Promise<void> => ipcRenderer.invoke(IPC_CHANNELS.newReplicaWindow),
  openRoom: (room: string): Promise<void> => ipcRenderer.invoke(IPC_CHANNELS.openRoom, room),
  onEditHistory: (listener: (op: 'undo' | 'redo') => void): void => {
    // Only the op crosses over, and only a valid one: never the event (it holds the sender).
    ipcRenderer.on(IPC_EVENTS.editHistory, (_event, op: unknown) => {
      if (op === 'undo' || op === 'redo') listener(op);
    });
  },
};

contextBridge.exposeInMainWorld(CONVERGE_API_KEY, api);
