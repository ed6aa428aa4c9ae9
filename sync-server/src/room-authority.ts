/**
 * The relay's seam for a room's inventory authority (issue 20): a plugin with a node of its own in each
 * room that checkout needs (`authorities(dataDir)` in ./checkout). Like room storage, the relay core knows
 * only this interface, so it depends on the protocol alone. Status and control are JSON whose shape the
 * plugin owns (the admin API passes them through: `GET` / `POST /rooms/ROOM/checkout`).
 */
import type { StorageHost } from './room-storage.ts';

/** A control the plugin refused: 400 for a bad body, 409 for one the room's state does not allow now. */
export class AuthorityControlError extends Error {
  override readonly name = 'AuthorityControlError';
  constructor(
    message: string,
    readonly status: 400 | 409 = 400,
  ) {
    super(message);
  }
}

/** A running authority plugin. */
export interface RoomAuthorities {
  /** Bring the room's authority in line with the room (called after every join and leave). */
  reconcile(room: string): Promise<void>;
  /** What the room's authority holds (stock, orders, holders), or undefined when it has none. */
  status(room: string): Promise<unknown>;
  /** Apply an operator's control (JSON, validated by the plugin); resolves to the status after it. */
  control(room: string, body: unknown): Promise<unknown>;
  /** Stop every authority with its state durable; nothing loads afterwards. */
  close(): Promise<void>;
}

export interface AuthorityPlugin {
  /** Where the authorities keep their state, for the relay's log. */
  readonly location: string;
  /** Start; called once, before the relay accepts any node (sagas left open resume here). */
  start(host: StorageHost): Promise<RoomAuthorities>;
}
