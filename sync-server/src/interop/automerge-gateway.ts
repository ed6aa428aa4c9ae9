/**
 * The automerge-repo gateway: ws://HOST:PORT/automerge?token=CREDENTIAL speaks the protocol of the stock
 * @automerge/automerge-repo-network-websocket client adapter, and GET /rooms/ROOM/automerge (with the
 * same credential) answers `{"url": "automerge:..."}`, the room's document for that client.
 *
 * Each client identity (its credential's replica id) in a room gets one document, held by a Repo of its
 * own with the stock server adapter, so a connection can only ever reach the document of its
 * credential's room. The document bridges into the engines through a replica named after the client
 * (./client-bridge.ts). Frames are checked before the Repo sees them: one that does not decode, names
 * another document or carries a malformed sync message closes that socket (4000, with the reason) and
 * counts a violation; other clients are not affected. A reader's changes are not applied.
 */
import * as A from '@automerge/automerge';
import { cbor, type DocumentId, type PeerId, Repo } from '@automerge/automerge-repo';
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket';
import { CloseCode, errorMessage } from '@converge/protocol';
import type { TextDelta, WorkspaceSchema } from '@converge/replica';
import { automergeGenesis } from '@converge/replica/engines/automerge';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Credential } from '../credentials.ts';
import type { GatewayHost, GatewayRefusal, GatewayRequest, RelayGateway } from '../gateways.ts';
import { AutomergeOutsideDocument, readAutomergeRoot } from './automerge-document.ts';
import { BridgeSlot, type InteropState, type SlotOpening, serveOnceOpen } from './bridge-slot.ts';
import type { OutsideEdit } from './client-bridge.ts';

/** A client's frames held while its bridge catches up, beyond which its socket stops being read. */
const HELD_FRAMES = 64;

/** A slot's Repo, its sockets' server and the document. */
interface RepoOfSlot {
  readonly repo: Repo;
  readonly server: WebSocketServer;
  readonly slot: BridgeSlot<AutomergeOutsideDocument>;
  readonly clients: Map<WebSocket, string>;
}

export class AutomergeGateway implements RelayGateway {
  readonly segment = 'automerge';
  readonly resources = {
    automerge: async (room: string, credential: Credential) => ({
      url: (await this.repoOf(room, credential)).slot.document.handle.url,
    }),
    interop: async (room: string) => this.state.status(room),
  };
  private readonly repos = new Map<BridgeSlot<AutomergeOutsideDocument>, RepoOfSlot>();

  constructor(
    private readonly host: GatewayHost,
    private readonly state: InteropState,
  ) {
    state.addPresenceSource((room) =>
      [...this.repos.values()]
        .filter(({ slot }) => slot.room === room)
        .flatMap(({ slot, clients }) =>
          [...clients.values()].map((peer) => ({
            protocol: 'automerge',
            replica: slot.replicaName,
            client: peer,
            state: null,
          })),
        ),
    );
  }

  admit(request: GatewayRequest): GatewayRefusal | undefined {
    if (request.path.length !== 0) return { status: 404, message: 'connect to /automerge' };
    if (!request.credential.rights.includes('read'))
      return { status: 403, message: 'this credential does not grant read' };
    return undefined;
  }

  accept(socket: WebSocket, request: GatewayRequest): void {
    const opening = this.repoOf(request.credential.room, request.credential);
    serveOnceOpen(socket, request, this.host.log, opening, (entry) => this.serve(socket, request, entry));
  }

  private serve(socket: WebSocket, request: GatewayRequest, entry: RepoOfSlot): void {
    const { credential, remote } = request;
    const close = (code: number, reason: string): void => socket.close(code, reason);
    const canWrite = credential.rights.includes('write');
    // The stock adapter's listeners, taken off the socket once it attached them: only frames that
    // pass the checks reach them. (Removing listeners during an emit would not stop the others: the
    // emitter calls a copy of the list, so a refused frame would still reach the Repo.)
    let adapterListeners: ((...args: unknown[]) => void)[] = [];
    // The client's join is answered at once, and only then does its bridge open: a stock client that
    // hears no `peer` within 1 s of connecting finds no peer and calls the document unavailable, and
    // the bridge may take longer (its engines built, then catching up with windows busy loading
    // engines' code). Its other messages wait until the bridge holds the room: its first sync must get
    // the room as it is. The socket keeps reading (the Repo's keep-alive pings want their pongs) until
    // HELD_FRAMES wait.
    let held: [Buffer, boolean][] | undefined = [];
    let attached = false;
    const deliver = (data: Buffer, isBinary: boolean): void => {
      for (const listener of adapterListeners) listener.call(socket, data, isBinary);
    };
    const attach = (): void => {
      if (attached) return;
      attached = true;
      void entry.slot.attach(this.host, close).then(() => {
        const waiting = held;
        held = undefined;
        if (waiting === undefined || socket.readyState !== socket.OPEN) return;
        for (const [data, isBinary] of waiting) deliver(data, isBinary);
        socket.resume();
      });
    };
    const screen = (data: Buffer, isBinary: boolean): void => {
      const problem = this.problemOf(entry, data, canWrite);
      if (problem === undefined) {
        const peer = peerOf(data);
        if (peer !== undefined && !entry.clients.has(socket)) {
          entry.clients.set(socket, peer);
          this.state.presenceChanged(credential.room);
        }
        if (held === undefined || (peer !== undefined && held.length === 0)) deliver(data, isBinary);
        else if (held.push([data, isBinary]) >= HELD_FRAMES) socket.pause();
        attach();
        return;
      }
      this.host.violation({ remote, room: credential.room, detail: `automerge-repo: ${problem}` });
      adapterListeners = [];
      held = undefined;
      socket.removeAllListeners('message');
      socket.close(CloseCode.BadFrames, problem.slice(0, 120));
    };
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      held = undefined;
      entry.clients.delete(socket);
      if (attached) entry.slot.detach(close);
      this.state.presenceChanged(credential.room);
    };
    socket.on('close', leave);
    if (socket.readyState !== socket.OPEN) {
      leave();
      return;
    }
    entry.server.emit('connection', socket, request.request);
    adapterListeners = socket.listeners('message') as typeof adapterListeners;
    socket.removeAllListeners('message');
    socket.on('message', screen);
    socket.resume();
  }

  async close(): Promise<void> {
    for (const { repo, server, clients } of this.repos.values()) {
      for (const socket of clients.keys()) socket.close(CloseCode.GoingAway, 'relay shutting down');
      server.close();
      await repo.shutdown().catch(() => {});
    }
    this.repos.clear();
    await this.state.close();
  }

  /** Why a frame is refused, or undefined when the Repo may have it. */
  private problemOf(entry: RepoOfSlot, data: Buffer, canWrite: boolean): string | undefined {
    let message: unknown;
    try {
      message = cbor.decode(new Uint8Array(data));
    } catch (error) {
      return `a frame that is not CBOR (${errorMessage(error)})`;
    }
    if (typeof message !== 'object' || message === null) return 'a frame that is not a message';
    const { type, senderId, documentId, data: payload } = message as Record<string, unknown>;
    if (typeof type !== 'string' || typeof senderId !== 'string') return 'a message without type or senderId';
    if (documentId !== undefined && documentId !== entry.slot.document.handle.documentId)
      return `document ${String(documentId)} is not this room's (GET /rooms/ROOM/automerge)`;
    if (type === 'sync' || type === 'request') {
      if (!(payload instanceof Uint8Array)) return `a ${type} message without data`;
      let sync: A.DecodedSyncMessage;
      try {
        sync = A.decodeSyncMessage(payload);
      } catch (error) {
        return `a malformed sync message (${errorMessage(error)})`;
      }
      if (!canWrite && sync.changes.length > 0) return 'changes from a credential that does not grant write';
    }
    return undefined;
  }

  private async repoOf(room: string, credential: Credential): Promise<RepoOfSlot> {
    const slot = await this.state.slot(room, credential.replica, 'automerge', (opening) =>
      this.createSlot(room, opening),
    );
    return this.repos.get(slot) as RepoOfSlot;
  }

  /** A client identity's Repo and document (its stored one, under its stored id), and its slot. */
  private createSlot(
    room: string,
    { replicaName, log, loaded }: SlotOpening,
  ): BridgeSlot<AutomergeOutsideDocument> {
    const server = new WebSocketServer({ noServer: true });
    const adapter = new WebSocketServerAdapter(server as never);
    // Nothing reaches the client before what it reflects is durable: a client must never hold a
    // write-back the log lost, or it would send it back after a restart as an edit of its own. The
    // answer to its join reflects nothing and goes at once (the client waits for it only 1 s).
    const sendNow = adapter.send.bind(adapter);
    adapter.send = (message) => {
      if (message.type === 'peer') sendNow(message);
      else void log.durable().then(() => sendNow(message));
    };
    const repo = new Repo({
      // The adapter's types name isomorphic-ws's server, which is this ws server.
      network: [adapter],
      peerId: `converge-relay-${replicaName}` as PeerId,
      // A server answers requests for its document; it announces nothing.
      sharePolicy: async () => false,
    });
    // The document starts from the engine's genesis; the log holds what happened to it since.
    const genesis = automergeGenesis(this.state.schema);
    let stored = A.load<Record<string, unknown>>(genesis);
    for (const update of loaded.translated) stored = A.loadIncremental(stored, update);
    const before =
      loaded.untranslated.length === 0 ? undefined : readAutomergeRoot(stored, this.state.schema, true).state;
    for (const update of loaded.untranslated) stored = A.loadIncremental(stored, update);
    const documentId = log.settings?.documentId as DocumentId | undefined;
    const handle = repo.import<Record<string, unknown>>(
      documentId === undefined ? genesis : A.save(stored),
      documentId === undefined ? {} : { docId: documentId },
    );
    const document = new AutomergeOutsideDocument(handle, this.state.schema);
    log.outsideState = () => A.save(handle.doc());
    const created = new BridgeSlot(document, log, replicaName, room, 'automerge', before);
    let heads = A.getHeads(handle.doc());
    handle.on('change', ({ doc, patches }) => {
      const update = A.saveSince(doc, heads);
      heads = A.getHeads(doc);
      if (document.writing) created.written(update);
      else created.outsideChanged(update, editOf(this.state.schema, patches));
    });
    this.repos.set(created, { repo, server, slot: created, clients: new Map() });
    return created;
  }
}

/**
 * A client's change as its patches describe it: `splice` and `del` at [text, index] are the texts'
 * deltas; anything else on a text (its string replaced whole) cannot be followed (undefined deltas).
 * Cart and counter paths a Counter's increment changed are counted.
 */
function editOf(schema: WorkspaceSchema, patches: readonly A.Patch[]): OutsideEdit {
  const textFields = new Set(schema.fieldsOf('text').map((field) => field.name));
  const texts: { field: string; deltas: TextDelta[] | undefined }[] = [];
  const counted = new Set<string>();
  for (const patch of patches) {
    if (patch.action === 'inc') counted.add(patch.path.join('/'));
    const [field, index] = patch.path;
    if (typeof field !== 'string' || !textFields.has(field)) continue;
    let delta: TextDelta | undefined;
    if (patch.path.length === 2 && typeof index === 'number' && patch.action === 'splice')
      delta = { pos: index, del: 0, text: patch.value };
    else if (patch.path.length === 2 && typeof index === 'number' && patch.action === 'del')
      delta = { pos: index, del: patch.length ?? 1, text: '' };
    const last = texts[texts.length - 1];
    if (last?.field === field && last.deltas !== undefined && delta !== undefined) last.deltas.push(delta);
    else texts.push({ field, deltas: delta === undefined ? undefined : [delta] });
  }
  return { texts, counted };
}

function peerOf(data: Buffer): string | undefined {
  const message = cbor.decode(new Uint8Array(data)) as { type?: unknown; senderId?: unknown };
  return message.type === 'join' && typeof message.senderId === 'string' ? message.senderId : undefined;
}
