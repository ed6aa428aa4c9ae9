// The relay's interop plugin: stock y-websocket and automerge-repo clients in Converge rooms (depends on
// @converge/replica: each outside client's edits enter the engines through a replica of its own).
import { randomBytes } from 'node:crypto';
import { ENGINES } from '@converge/replica';
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

export interface InteropOptions {
  /**
   * Where each outside client's document and bridge replica are kept (`DATA_DIR/<room>/interop/`,
   * crash-safe), so a client that still holds its document after a relay restart is recognised; the
   * relay's `--data-dir`. Without it they live in memory while the relay runs.
   */
  readonly dataDir?: string;
}

/** Both gateways: y-websocket at /yjs/ROOM, automerge-repo at /automerge (pass as `gateways` to createRelay). */
export function interopGateways(options: InteropOptions = {}): InteropGateways {
  let state: InteropState | undefined;
  return {
    get presence() {
      return state;
    },
    async start(host) {
      // Each outside client's bridge replica hosts every engine. Their code loads now, with the relay,
      // not when a client first connects: a bridge that took seconds to open then left a stock client
      // with no peer, and automerge-repo gave up on the document ("unavailable").
      await ENGINES.loadAll();
      const shared = new InteropState(randomBytes(4).toString('hex'), options.dataDir, host.log);
      state = shared;
      const gateways: RelayGateway[] = [new YjsGateway(host, shared), new AutomergeGateway(host, shared)];
      return gateways;
    },
  };
}

/**
 * Why a cluster does not serve stock clients: a gateway socket reaches whichever node the load balancer
 * picks, not the room's owner, so its bridge would join a copy of the room that no window is in; and
 * the outside documents live in the data directory, which a cluster node does not have (its rooms'
 * storage is in Redis), so after a restart or an owner change a client's resent document would read as
 * new edits.
 */
export const CLUSTER_REFUSAL =
  'stock y-websocket and automerge-repo clients are not served by a relay cluster; connect them to a standalone relay (--data-dir)';

/** Gateways that answer every stock client's upgrade with 503 and `reason` (e.g. in a cluster). */
export function gatewaysRefused(reason: string): GatewayPlugin {
  const refusing = (segment: string): RelayGateway => ({
    segment,
    admit: () => ({ status: 503, message: reason }),
    accept: (socket) => socket.close(1013, 'not served'),
    close: async () => {},
  });
  return {
    async start(host) {
      host.log.info('interop-refused', { reason });
      return [refusing('yjs'), refusing('automerge')];
    },
  };
}
