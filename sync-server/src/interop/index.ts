// The relay's interop plugin: stock y-websocket and automerge-repo clients in Converge rooms (depends on
// @converge/replica: each outside client's edits enter the engines through a replica of its own).
import { randomBytes } from 'node:crypto';
import type { GatewayPlugin, RelayGateway } from '../gateways.ts';
import { AutomergeGateway } from './automerge-gateway.ts';
import { InteropState } from './bridge-slot.ts';
import type { InteropPresence } from './presence.ts';
import { YjsGateway } from './yjs-gateway.ts';

export type { OutsideDocument } from './client-bridge.ts';
export { intentsBetween, type OutsideProblem, type OutsideState, outsideStateOf } from './outside-state.ts';
export type { InteropPresence, OutsideClient } from './presence.ts';
export { REGISTERS } from './yjs-document.ts';

export interface InteropGateways extends GatewayPlugin {
  /** The outside clients of each room, once the relay started the plugin (undefined before). */
  readonly presence: InteropPresence | undefined;
}

/** Both gateways: y-websocket at /yjs/ROOM, automerge-repo at /automerge (pass as `gateways` to createRelay). */
export function interopGateways(): InteropGateways {
  let state: InteropState | undefined;
  return {
    get presence() {
      return state;
    },
    async start(host) {
      const shared = new InteropState(randomBytes(4).toString('hex'));
      state = shared;
      const gateways: RelayGateway[] = [new YjsGateway(host, shared), new AutomergeGateway(host, shared)];
      return gateways;
    },
  };
}
