export {
  HostPolicy,
  HostPolicyError,
  hostNamesFor,
  isLocalOrigin,
  isLoopbackHost,
  LOOPBACK_HOST_NAMES,
} from './access.ts';
export { type ChaosConfig, ChaosConfigError, NO_CHAOS, parseChaosConfig } from './chaos.ts';
export { ControlError, type HealthInfo, type RelayControl, type RelayStats } from './control.ts';
export {
  type Credential,
  CredentialError,
  type CredentialRequest,
  generateAdminToken,
  type MintedCredential,
  RESERVED_REPLICA_IDS,
} from './credentials.ts';
export type { LeaveReason, RelayEvent, RelayEventListener, Violation } from './events.ts';
export { DEFAULT_LIMITS, type RelayLimits } from './limits.ts';
export { type DirectedLink, type LinkOperation, LinkOperationError } from './link-table.ts';
export { type LocalNodeOptions, LocalTransport } from './local-node.ts';
export { createLogger, type Logger, type LogLevel } from './log.ts';
export { type PendingSocketLimits, PendingSockets } from './pending-sockets.ts';
export {
  type AttachedRelay,
  type AttachedRelayOptions,
  attachRelay,
  createRelay,
  type Relay,
  RelayConfigError,
  type RelayMount,
  type RelayOptions,
} from './relay.ts';
export type { LinkChange, NodeInfo, RoomChaosInfo, RoomInfo } from './room.ts';
export { AuthorityControlError, type AuthorityPlugin, type RoomAuthorities } from './room-authority.ts';
export type { RoomStorage, StorageHost, StoragePlugin, StorageStatus } from './room-storage.ts';
export type { ChannelTraffic, LinkTrafficReport } from './traffic.ts';
