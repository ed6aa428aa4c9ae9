/**
 * The y-websocket gateway: ws://HOST:PORT/yjs/ROOM?token=CREDENTIAL speaks the protocol of the stock
 * `y-websocket` WebsocketProvider and @y/websocket-server (y-protocols sync step 1 / 2 and updates,
 * awareness, query-awareness; one message per binary frame, a varuint type first).
 *
 * Each client identity (its credential's replica id) in a room gets its own outside Y.Doc and bridge
 * (./client-bridge.ts): the doc every connection of that identity syncs with, and a replica named after
 * the client whose engines get every edit as intents. Awareness is the room's: every y-websocket client
 * of the room sees the others' (and ./presence.ts lists them for the app).
 *
 * A malformed message closes that client's socket (4000, the reason says what was wrong) and counts a
 * violation; other clients are not affected. Updates from a client whose credential lacks `write` are
 * not applied (each is counted), so a reader still receives the room.
 */
import { CloseCode, errorMessage } from '@converge/protocol';
import { deltasOfRetainOps } from '@converge/replica';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { WebSocket } from 'ws';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import type { GatewayHost, GatewayRefusal, GatewayRequest, RelayGateway } from '../gateways.ts';
import { BridgeSlot, type InteropState, type SlotOpening, serveOnceOpen } from './bridge-slot.ts';
import type { OutsideEdit } from './client-bridge.ts';
import { YjsOutsideDocument } from './yjs-document.ts';

/** How often clients are pinged; one that has not answered the previous ping is dropped (as the stock server does). */
const PING_INTERVAL_MS = 30_000;

/** y-websocket's message types. */
const MessageType = { Sync: 0, Awareness: 1, Auth: 2, QueryAwareness: 3 } as const;

interface YjsClient {
  readonly socket: WebSocket;
  readonly slot: BridgeSlot<YjsOutsideDocument>;
  readonly room: YjsRoom;
  readonly remote: string;
  readonly canWrite: boolean;
  /** Awareness client ids this connection set. */
  readonly awarenessIds: Set<number>;
  readonly close: (code: number, reason: string) => void;
}

/** A room's awareness, shared by every y-websocket client in it. */
class YjsRoom {
  readonly awareness: awarenessProtocol.Awareness;
  readonly clients = new Set<YjsClient>();

  constructor(
    readonly id: string,
    onChange: () => void,
  ) {
    // Awareness belongs to a doc only for its own client id, which publishes nothing here.
    this.awareness = new awarenessProtocol.Awareness(new Y.Doc());
    this.awareness.setLocalState(null);
    this.awareness.on(
      'update',
      (
        { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
        origin: unknown,
      ) => {
        const changed = [...added, ...updated, ...removed];
        const from = [...this.clients].find((client) => client === origin);
        if (from !== undefined) {
          for (const id of [...added, ...updated]) from.awarenessIds.add(id);
          for (const id of removed) from.awarenessIds.delete(id);
        }
        const message = frame(MessageType.Awareness, (encoder) =>
          encoding.writeVarUint8Array(
            encoder,
            awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed),
          ),
        );
        for (const client of this.clients) send(client.socket, message);
        onChange();
      },
    );
  }

  close(): void {
    this.awareness.destroy();
  }
}

export class YjsGateway implements RelayGateway {
  readonly segment = 'yjs';
  private readonly rooms = new Map<string, YjsRoom>();
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly pinger: ReturnType<typeof setInterval>;

  constructor(
    private readonly host: GatewayHost,
    private readonly state: InteropState,
  ) {
    state.addPresenceSource((room) =>
      [...this.awarenessOf(room)].map(([client, { replica, state }]) => ({
        protocol: 'yjs',
        replica,
        client: String(client),
        state,
      })),
    );
    // A client that vanished without closing would otherwise keep its replica in the room.
    this.pinger = setInterval(() => this.ping(), PING_INTERVAL_MS);
    this.pinger.unref?.();
  }

  private ping(): void {
    for (const room of this.rooms.values()) {
      for (const { socket } of room.clients) {
        if (this.alive.get(socket) === false) socket.terminate();
        else {
          this.alive.set(socket, false);
          socket.ping();
        }
      }
    }
  }

  admit(request: GatewayRequest): GatewayRefusal | undefined {
    const { path, credential } = request;
    if (path.length !== 1) return { status: 404, message: 'connect to /yjs/ROOM' };
    if (path[0] !== credential.room)
      return { status: 403, message: `this credential is for room ${credential.room}, not ${path[0]}` };
    if (!credential.rights.includes('read'))
      return { status: 403, message: 'this credential does not grant read' };
    return undefined;
  }

  accept(socket: WebSocket, request: GatewayRequest): void {
    const { room, replica } = request.credential;
    const opening = this.state.slot(room, replica, 'yjs', (opened) => this.createSlot(room, opened));
    serveOnceOpen(socket, request, this.host.log, opening, (slot) => this.serve(socket, request, slot));
  }

  /** A client identity's document, rebuilt from what its log holds, and its slot. */
  private createSlot(
    roomId: string,
    { replicaName, log, loaded }: SlotOpening,
  ): BridgeSlot<YjsOutsideDocument> {
    const doc = new Y.Doc();
    for (const update of loaded.translated) Y.applyUpdate(doc, update);
    const document = new YjsOutsideDocument(doc, this.state.schema);
    const before = loaded.untranslated.length > 0 ? document.read({ texts: true }).state : undefined;
    for (const update of loaded.untranslated) Y.applyUpdate(doc, update);
    log.outsideState = () => Y.encodeStateAsUpdate(doc);
    const created = new BridgeSlot(document, log, replicaName, roomId, 'yjs', before);
    // A client's text changes as Yjs describes them (its observers run before the doc's 'update').
    let texts: OutsideEdit['texts'][number][] = [];
    for (const field of this.state.schema.fieldsOf('text')) {
      doc.getText(field.name).observe((event) => {
        if (isClient(event.transaction.origin))
          texts.push({ field: field.name, deltas: deltasOfRetainOps(event.delta) });
      });
    }
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (isClient(origin)) {
        const edit = { texts };
        texts = [];
        created.outsideChanged(update, edit);
      } else created.written(update);
      const message = frame(MessageType.Sync, (encoder) => syncProtocol.writeUpdate(encoder, update));
      for (const client of this.rooms.get(roomId)?.clients ?? [])
        if (client.slot === created && client !== origin) sendDurable(client, message);
    });
    return created;
  }

  private serve(socket: WebSocket, request: GatewayRequest, slot: BridgeSlot<YjsOutsideDocument>): void {
    const { credential, remote } = request;
    const room = this.roomOf(credential.room);
    const client: YjsClient = {
      socket,
      slot,
      room,
      remote,
      canWrite: credential.rights.includes('write'),
      awarenessIds: new Set(),
      close: (code, reason) => socket.close(code, reason),
    };
    room.clients.add(client);
    socket.on('message', (data, isBinary) => this.receive(client, data as Buffer, isBinary));
    socket.on('close', () => this.leave(client));
    socket.on('pong', () => this.alive.set(socket, true));
    if (socket.readyState !== socket.OPEN) {
      this.leave(client);
      return;
    }
    void slot.attach(this.host, client.close).then(() => {
      if (socket.readyState !== socket.OPEN) return;
      // The stock server's greeting: our state vector (sync step 1), then who is around.
      send(
        socket,
        frame(MessageType.Sync, (encoder) => syncProtocol.writeSyncStep1(encoder, slot.document.doc)),
      );
      this.sendAwareness(client);
      socket.resume();
    });
  }

  async close(): Promise<void> {
    clearInterval(this.pinger);
    for (const room of this.rooms.values()) {
      for (const client of room.clients) client.socket.close(CloseCode.GoingAway, 'relay shutting down');
      room.close();
    }
    this.rooms.clear();
    await this.state.close();
  }

  private roomOf(id: string): YjsRoom {
    let room = this.rooms.get(id);
    if (room === undefined) {
      room = new YjsRoom(id, () => this.state.presenceChanged(id));
      this.rooms.set(id, room);
    }
    return room;
  }

  private receive(client: YjsClient, data: Buffer, isBinary: boolean): void {
    try {
      if (!isBinary) throw new Error('y-websocket messages are binary');
      const decoder = decoding.createDecoder(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      const type = decoding.readVarUint(decoder);
      if (type === MessageType.Sync) this.receiveSync(client, decoder);
      else if (type === MessageType.Awareness) {
        const update = decoding.readVarUint8Array(decoder);
        awarenessProtocol.applyAwarenessUpdate(client.room.awareness, update, client);
      } else if (type === MessageType.QueryAwareness) this.sendAwareness(client);
      else if (type !== MessageType.Auth) throw new Error(`unknown message type ${type}`);
    } catch (error) {
      const detail = `malformed y-websocket message: ${errorMessage(error)}`;
      this.host.violation({ remote: client.remote, room: client.room.id, detail });
      client.socket.close(CloseCode.BadFrames, detail.slice(0, 120));
    }
  }

  private receiveSync(client: YjsClient, decoder: decoding.Decoder): void {
    const doc = client.slot.document.doc;
    const kind = decoding.readVarUint(decoder);
    if (kind === syncProtocol.messageYjsSyncStep1) {
      const reply = frame(MessageType.Sync, (encoder) => syncProtocol.readSyncStep1(decoder, encoder, doc));
      sendDurable(client, reply);
      return;
    }
    if (kind !== syncProtocol.messageYjsSyncStep2 && kind !== syncProtocol.messageYjsUpdate)
      throw new Error(`unknown sync message ${kind}`);
    const update = decoding.readVarUint8Array(decoder);
    // Parse it whole first: a malformed update is refused before it touches the document.
    const parsed = Y.decodeUpdate(update);
    if (parsed.structs.length === 0 && parsed.ds.clients.size === 0) return;
    if (!client.canWrite) {
      this.host.violation({
        remote: client.remote,
        room: client.room.id,
        detail: 'an update from a y-websocket client whose credential does not grant write (not applied)',
      });
      return;
    }
    Y.applyUpdate(doc, update, client);
  }

  private sendAwareness(client: YjsClient): void {
    const ids = [...client.room.awareness.getStates().keys()];
    if (ids.length === 0) return;
    send(
      client.socket,
      frame(MessageType.Awareness, (encoder) =>
        encoding.writeVarUint8Array(
          encoder,
          awarenessProtocol.encodeAwarenessUpdate(client.room.awareness, ids),
        ),
      ),
    );
  }

  private leave(client: YjsClient): void {
    const { room } = client;
    if (!room.clients.delete(client)) return;
    awarenessProtocol.removeAwarenessStates(room.awareness, [...client.awarenessIds], null);
    client.slot.detach(client.close);
    if (room.clients.size === 0) {
      room.close();
      this.rooms.delete(room.id);
      this.state.presenceChanged(room.id);
    }
  }

  /** The awareness states of a room's y-websocket clients, by awareness client id. */
  awarenessOf(room: string): ReadonlyMap<number, { readonly replica: string; readonly state: unknown }> {
    const states = new Map<number, { replica: string; state: unknown }>();
    const yjsRoom = this.rooms.get(room);
    if (yjsRoom === undefined) return states;
    for (const client of yjsRoom.clients) {
      for (const id of client.awarenessIds) {
        const state = yjsRoom.awareness.getStates().get(id);
        if (state !== undefined) states.set(id, { replica: client.slot.replicaName, state });
      }
    }
    return states;
  }
}

function frame(type: number, write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

/** Whether a transaction origin is a client's connection (the gateway's own writes have another). */
function isClient(origin: unknown): boolean {
  return origin !== null && typeof origin === 'object' && 'awarenessIds' in origin;
}

/** Send document content once what it holds is durable (a client never holds what the log lost). */
function sendDurable(client: YjsClient, message: Uint8Array): void {
  void client.slot.log.durable().then(() => send(client.socket, message));
}

function send(socket: WebSocket, message: Uint8Array): void {
  if (socket.readyState === socket.OPEN) socket.send(message);
}
