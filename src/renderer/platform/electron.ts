/** Electron: configuration and a durable store from the preload API (window.converge). */
import { LogStore } from '@converge/replica';
import type { ConvergeApi } from '../../preload/api.ts';
import type { WindowSetup } from '../platform.ts';
import { parseWindowConfig } from './window-config.ts';

export async function electronSetup(api: ConvergeApi): Promise<WindowSetup> {
  const config = parseWindowConfig(await api.getWindowConfig());
  return {
    platform: 'electron',
    config,
    // The preload store has the ByteLog shape and is bound by main to this window's replica.
    store: new LogStore(api.store),
    openNewReplica: () => {
      void api.newReplicaWindow().catch(() => {});
    },
  };
}
