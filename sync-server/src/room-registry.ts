/** The relay's rooms by id: created on first use (within the room limit), forgotten when empty and unconfigured. */
import { Room, type RoomServices } from './room.ts';

export type RoomLookup =
  | { readonly ok: true; readonly room: Room }
  | { readonly ok: false; readonly reason: string };

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();

  constructor(private readonly services: RoomServices) {}

  get size(): number {
    return this.rooms.size;
  }

  get(id: string): Room | undefined {
    return this.rooms.get(id);
  }

  all(): Room[] {
    return [...this.rooms.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The room, created if it does not exist and the room limit allows. */
  open(id: string): RoomLookup {
    const existing = this.rooms.get(id);
    if (existing !== undefined) return { ok: true, room: existing };
    if (this.rooms.size >= this.services.limits.maxRooms) {
      return { ok: false, reason: `the relay already has ${this.rooms.size} rooms` };
    }
    const room = new Room(id, this.services);
    this.rooms.set(id, room);
    this.services.events.emit({ type: 'room-created', room: id });
    return { ok: true, room };
  }

  /** Forget the room whatever it holds (its owner changed: its state lives on with the next owner). */
  forget(room: Room): void {
    if (this.rooms.get(room.id) !== room) return;
    this.rooms.delete(room.id);
    room.dispose();
    this.services.events.emit({ type: 'room-removed', room: room.id });
  }

  /** Forget the room if nothing in it is worth keeping. Call after a leave or a reset. */
  release(room: Room): void {
    if (this.rooms.get(room.id) !== room || !room.isDisposable()) return;
    this.rooms.delete(room.id);
    room.dispose();
    this.services.events.emit({ type: 'room-removed', room: room.id });
  }
}
