import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CONVERGE_API_KEY, type ConvergeApi, IPC_CHANNELS, IPC_EVENTS } from '../../preload/api.ts';

const exposed = new Map<string, unknown>();
const invoke = vi.fn(async (..._args: unknown[]): Promise<unknown> => undefined);
const listeners = new Map<string, (event: unknown, ...args: unknown[]) => void>();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: {
    invoke: (...args: unknown[]) => invoke(...args),
    on: (channel: string, listener: (event: unknown, ...args: unknown[]) => void) =>
      listeners.set(channel, listener),
  },
}));

describe('preload', () => {
  beforeEach(() => invoke.mockClear());

  it('exposes exactly one API object, as window.converge, with nothing but its typed calls', async () => {
    await import('../../preload/index.ts');
    expect([...exposed.keys()]).toEqual([CONVERGE_API_KEY]);
    const api = exposed.get(CONVERGE_API_KEY) as ConvergeApi;
    expect(Object.keys(api).sort()).toEqual([
      'getWindowConfig',
      'newReplicaWindow',
      'onEditHistory',
      'openRoom',
      'platform',
      'store',
    ]);
    expect(Object.keys(api.store).sort()).toEqual(['append', 'close', 'compact', 'open']);
    expect(api.platform).toBe('electron');
  });

  it('forwards each call to its channel with only its own arguments', async () => {
    await import('../../preload/index.ts');
    const api = exposed.get(CONVERGE_API_KEY) as ConvergeApi;
    const record = new Uint8Array([1]);
    await api.getWindowConfig();
    await api.store.open();
    await api.store.append(record);
    await api.store.compact(record);
    await api.store.close();
    await api.newReplicaWindow();
    await (api.openRoom as (...a: unknown[]) => Promise<void>)('team', 'extra');
    // Extra arguments a caller sneaks in are not forwarded.
    await (api.store.append as (...a: unknown[]) => Promise<void>)(record, 'other-replica');
    expect(invoke.mock.calls).toEqual([
      [IPC_CHANNELS.getWindowConfig],
      [IPC_CHANNELS.storeOpen],
      [IPC_CHANNELS.storeAppend, record],
      [IPC_CHANNELS.storeCompact, record],
      [IPC_CHANNELS.storeClose],
      [IPC_CHANNELS.newReplicaWindow],
      [IPC_CHANNELS.openRoom, 'team'],
      [IPC_CHANNELS.storeAppend, record],
    ]);
  });

  it('hands the renderer the Edit menu’s undo and redo, and nothing else of the message', async () => {
    await import('../../preload/index.ts');
    const api = exposed.get(CONVERGE_API_KEY) as ConvergeApi;
    const seen: unknown[][] = [];
    api.onEditHistory((...args: unknown[]) => seen.push(args));
    const deliver = listeners.get(IPC_EVENTS.editHistory);
    deliver?.({ sender: 'secret' }, 'undo');
    deliver?.({ sender: 'secret' }, 'redo');
    deliver?.({ sender: 'secret' }, 'rm -rf');
    expect(seen).toEqual([['undo'], ['redo']]);
  });
});
