/** Electron: configuration and a durable store from the preload API (window.converge). */
import { keepCredential } from '@converge/protocol';
import { type ConvergeApi, ROOM_LINK_PREFIX } from '../../preload/api.ts';
import type { WindowSetup } from '../platform.ts';
import { freshRoomName } from './room-link.ts';
import { parseWindowConfig } from './window-config.ts';

export async function electronSetup(api: ConvergeApi): Promise<WindowSetup> {
  const { token, credentialProblem, ...config } = parseWindowConfig(await api.getWindowConfig());
  let first = token;
  return {
    platform: 'electron',
    config,
    // Main mints it; when it could not (a remote relay unreachable), ask again before each connection.
    credential: keepCredential(async () => {
      if (first !== undefined) return first;
      const again = parseWindowConfig(await api.getWindowConfig());
      if (again.token === undefined)
        throw new Error(again.credentialProblem ?? credentialProblem ?? 'none yet');
      first = again.token;
      return first;
    }),
    // The preload store has the ByteLog shape and is bound by main to this window's replica.
    store: { kind: 'byte-log', log: api.store },
    openNewReplica: () => {
      void api.newReplicaWindow().catch(() => {});
    },
    roomLink: (room) => `${ROOM_LINK_PREFIX}${room}`,
    openRoom: (room) => {
      void api.openRoom(room).catch(() => {});
    },
    freshRoomName: () => freshRoomName(() => crypto.getRandomValues(new Uint32Array(1))[0] as number),
    onEditHistory: (listener) => api.onEditHistory(listener),
  };
}
