/**
 * The IPC handlers as plain async functions of (sender, arguments). index.ts registers each with
 * ipcMain.handle; tests call them directly. Every handler validates its sender first (which also
 * decides the replica the call is bound to), then its arguments, and only then acts.
 */
import { IPC_CHANNELS, type IpcChannel, type StoredLog, type WindowConfig } from '../preload/api.ts';
import { type IpcSender, parseIpcArguments, type SenderPolicy, validateSender } from './ipc-schema.ts';

/** The replica log operations the handlers need (ReplicaStores in the app). */
export interface ReplicaLogs {
  open(replicaId: string): Promise<StoredLog>;
  append(replicaId: string, record: Uint8Array): Promise<void>;
  compact(replicaId: string, snapshot: Uint8Array): Promise<void>;
  close(replicaId: string): Promise<void>;
}

export interface IpcHandlerDeps {
  readonly senders: SenderPolicy;
  readonly logs: ReplicaLogs;
  /** The configuration of the window hosting `replicaId`, with its room credential. */
  windowConfig(replicaId: string): Promise<WindowConfig>;
  readonly windows: WindowOpeners;
}

/** What a renderer may ask main to open. */
export interface WindowOpeners {
  /** A window with a new replica in the app's room. */
  newReplicaWindow(): Promise<void>;
  /** A window with a new replica in `room` (validated). */
  openRoom(room: string): Promise<void>;
}

export type IpcHandler = (sender: IpcSender, args: readonly unknown[]) => Promise<unknown>;

export function createIpcHandlers(deps: IpcHandlerDeps): Record<IpcChannel, IpcHandler> {
  const caller = (channel: IpcChannel, sender: IpcSender): string =>
    validateSender(channel, sender, deps.senders);
  return {
    [IPC_CHANNELS.getWindowConfig]: async (sender, args) => {
      const replicaId = caller(IPC_CHANNELS.getWindowConfig, sender);
      parseIpcArguments(IPC_CHANNELS.getWindowConfig, args);
      return deps.windowConfig(replicaId);
    },
    [IPC_CHANNELS.storeOpen]: async (sender, args) => {
      const replicaId = caller(IPC_CHANNELS.storeOpen, sender);
      parseIpcArguments(IPC_CHANNELS.storeOpen, args);
      return deps.logs.open(replicaId);
    },
    [IPC_CHANNELS.storeAppend]: async (sender, args) => {
      const replicaId = caller(IPC_CHANNELS.storeAppend, sender);
      const [record] = parseIpcArguments(IPC_CHANNELS.storeAppend, args);
      await deps.logs.append(replicaId, record);
    },
    [IPC_CHANNELS.storeCompact]: async (sender, args) => {
      const replicaId = caller(IPC_CHANNELS.storeCompact, sender);
      const [snapshot] = parseIpcArguments(IPC_CHANNELS.storeCompact, args);
      await deps.logs.compact(replicaId, snapshot);
    },
    [IPC_CHANNELS.storeClose]: async (sender, args) => {
      const replicaId = caller(IPC_CHANNELS.storeClose, sender);
      parseIpcArguments(IPC_CHANNELS.storeClose, args);
      await deps.logs.close(replicaId);
    },
    [IPC_CHANNELS.newReplicaWindow]: async (sender, args) => {
      caller(IPC_CHANNELS.newReplicaWindow, sender);
      parseIpcArguments(IPC_CHANNELS.newReplicaWindow, args);
      await deps.windows.newReplicaWindow();
    },
    [IPC_CHANNELS.openRoom]: async (sender, args) => {
      caller(IPC_CHANNELS.openRoom, sender);
      const [room] = parseIpcArguments(IPC_CHANNELS.openRoom, args);
      await deps.windows.openRoom(room);
    },
  };
}
