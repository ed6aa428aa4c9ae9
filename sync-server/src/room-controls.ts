/**
 * A room's controls — its cut links and its chaos — as one value that can leave the process: what a
 * cluster keeps in Redis so that the room's next owner applies the same cuts and chaos (issue 24).
 * Saved JSON is validated when read back like any other input: ids as the protocol allows them, chaos
 * configs as the admin API does.
 */
import { idProblem } from '@converge/protocol';
import { type ChaosConfig, parseChaosConfig } from './chaos.ts';
import type { DirectedLink } from './link-table.ts';
import type { Room, RoomChaosInfo } from './room.ts';

export interface RoomControls {
  readonly cut: readonly DirectedLink[];
  readonly chaos: RoomChaosInfo;
}

/** Nothing cut, no chaos: a room as it starts. */
export function isDefaultControls(controls: RoomControls): boolean {
  return controls.cut.length === 0 && controls.chaos.room === null && controls.chaos.links.length === 0;
}

export function controlsOf(room: Room): RoomControls {
  const info = room.info();
  return { cut: info.cut, chaos: info.chaos };
}

/** Apply saved controls to a room that was just opened (its links all up, no chaos). */
export function restoreControls(room: Room, controls: RoomControls): void {
  for (const link of controls.cut) room.applyLinks({ op: 'cut', from: link.from, to: link.to });
  if (controls.chaos.room !== null) room.setChaos(null, controls.chaos.room);
  for (const { from, to, config } of controls.chaos.links) room.setChaos({ from, to }, config);
}

export class RoomControlsError extends Error {
  override readonly name = 'RoomControlsError';
}

/** Read saved controls back (JSON text); throws RoomControlsError naming what is wrong. */
export function parseRoomControls(text: string): RoomControls {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RoomControlsError('saved room controls are not JSON');
  }
  const record = asRecord(value, 'room controls');
  if (!Array.isArray(record.cut)) throw new RoomControlsError('room controls without a cut list');
  const cut = record.cut.map((link) => directedLink(link));
  const chaos = asRecord(record.chaos, 'room chaos');
  if (!Array.isArray(chaos.links)) throw new RoomControlsError('room chaos without a link list');
  return {
    cut,
    chaos: {
      room: chaos.room === null ? null : config(chaos.room),
      links: chaos.links.map((entry) => ({ ...directedLink(entry), config: config(asRecord(entry).config) })),
    },
  };
}

function asRecord(value: unknown, what = 'entry'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RoomControlsError(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function directedLink(value: unknown): DirectedLink {
  const { from, to } = asRecord(value, 'link');
  for (const id of [from, to]) {
    const problem = idProblem(id);
    if (problem !== undefined) throw new RoomControlsError(`link end ${JSON.stringify(id)} ${problem}`);
  }
  if (from === to) throw new RoomControlsError('a link joins two different nodes');
  return { from: from as string, to: to as string };
}

function config(value: unknown): ChaosConfig {
  try {
    return parseChaosConfig(value);
  } catch (error) {
    throw new RoomControlsError(`saved chaos: ${(error as Error).message}`);
  }
}
