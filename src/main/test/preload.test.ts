import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CONVERGE_API_KEY, type ConvergeApi, IPC_CHANNELS } from '../../preload/api.ts';

const exposed = new Map<string, unknown>();
const invoke = vi.fn(async (..._args: unknown[]): Promise<unknown> => undefined);

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
  ipcRenderer: { invoke: (...args: unknown[]) => invoke(...args) },
}));

describe('preload', () => {
  beforeEach(() => invoke.mockClear());

  it('exposes exactly one API object, as window.converge, with nothing but its typed calls', async () => {
    await import('../../preload/index.ts');
    expect([...exposed.keys()]).toEqual([CONVERGE_API_KEY]);
    const api = exposed.get(CONVERGE_API_KEY) as ConvergeApi;
    expect(Object.keys(api).sort()).toEqual(['getWindowConfig', 'newReplicaWindow', 'platform', 'store']);
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
    // Extra arguments a caller sneaks in are not forwarded.
    await (api.store.append as (...a: unknown[]) => Promise<void>)(record, 'other-replica');
    expect(invoke.mock.calls).toEqual([
      [IPC_CHANNELS.getWindowConfig],
      [IPC_CHANNELS.storeOpen],
      [IPC_CHANNELS.storeAppend, record],
      [IPC_CHANNELS.storeCompact, record],
      [IPC_CHANNELS.storeClose],
      [IPC_CHANNELS.newReplicaWindow],
      [IPC_CHANNELS.storeAppend, record],
    ]);
  });
});
