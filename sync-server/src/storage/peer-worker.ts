/**
 * The storage peers' thread: one replica per loaded room, hosting every engine, fed by the relay's
 * thread (./peer-thread.ts) with what the room's in-process node receives. An engine's apply of a large
 * edit (Automerge takes tens of seconds for a million characters) runs here, so the relay keeps
 * forwarding every room's frames meanwhile.
 *
 * A room's store is a crash-safe file log the worker opens itself (its appends are fsynced here before
 * the replica counts them durable), or a byte log the relay's thread owns (a cluster's fenced log),
 * called through messages. Whatever the relay asks about a room (`status`) is answered from the replica
 * itself, so a pending write is never reported durable.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  errorMessage,
  KnownCuts,
  STORAGE_NODE_ID,
  type Transport,
  type TransportHandlers,
} from '@converge/protocol';
import {
  type ByteLog,
  type ByteLogContents,
  ENGINES,
  type EngineName,
  type EngineRegistry,
  type EngineStatus,
  LogStore,
  Replica,
} from '@converge/replica';
import { FileByteLog } from '@converge/replica/node';
import type { FromWorker, StoreLocation, ToWorker } from './peer-thread-protocol.ts';

/** What the relay's thread passes when it starts the worker. */
export interface PeerWorkerData {
  /** A module whose `engines` export is the registry to host (default: every engine of @converge/replica). */
  readonly registry?: string;
}

const port = parentPort;
if (port === null) throw new Error('peer-worker.ts runs as a worker thread');

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function log(level: 'warn' | 'error', event: string, fields: Record<string, unknown>): void {
  post({ type: 'log', level, event, fields });
}

const { registry: registryModule } = (workerData ?? {}) as PeerWorkerData;
const engines: EngineRegistry =
  registryModule === undefined
    ? ENGINES
    : ((await import(registryModule)) as { engines: EngineRegistry }).engines;

/** The replica's transport: the relay thread's in-process node, seen through messages. */
class RelayedTransport implements Transport {
  readonly nodeId = STORAGE_NODE_ID;
  private handlers: TransportHandlers | undefined;
  private connection: 'connecting' | 'online' | 'offline' = 'connecting';
  private readonly peers = new Set<string>();
  /** The room's cut links, as the relay's thread passes them on. */
  private readonly cuts = new KnownCuts();
  /** What arrived before the replica started its transport (it loads its store first). */
  private early: ToWorker[] | undefined = [];
  private closed = false;

  constructor(private readonly room: string) {}

  start(handlers: TransportHandlers): void {
    this.handlers = handlers;
    const early = this.early ?? [];
    this.early = undefined;
    handlers.state?.(this.connection);
    for (const peer of this.peers) handlers.linkUp(peer);
    for (const event of early) this.deliver(event);
  }

  /** An event of the room's node, in the order the relay's thread saw it. */
  receive(event: ToWorker): void {
    if (this.closed) return;
    if (event.type === 'cuts') {
      this.cuts.learn(event.links);
      return;
    }
    // A connection that ended knows nothing of the cuts until the next one is told them.
    if (event.type === 'state' && event.state !== 'online') this.cuts.forget();
    // Reachability is tracked even before start, so `reachable()` is right from the first call.
    if (this.early !== undefined) {
      if (event.type === 'link-up') this.peers.add(event.peer);
      else if (event.type === 'link-down') this.peers.delete(event.peer);
      else if (event.type === 'state') this.connection = event.state;
      else this.early.push(event);
      return;
    }
    this.deliver(event);
  }

  private deliver(event: ToWorker): void {
    const handlers = this.handlers;
    if (handlers === undefined) return;
    switch (event.type) {
      case 'state':
        this.connection = event.state;
        handlers.state?.(event.state);
        break;
      case 'link-up':
        if (this.peers.has(event.peer)) break;
        this.peers.add(event.peer);
        handlers.linkUp(event.peer);
        break;
      case 'link-down':
        if (this.peers.delete(event.peer)) handlers.linkDown(event.peer, event.reason);
        break;
      case 'message':
        if (this.peers.has(event.from)) handlers.message(event.from, event.channel, event.payload);
        break;
      default:
        break;
    }
  }

  send(to: string, channel: number, payload: Uint8Array): void {
    if (this.closed || !this.peers.has(to)) return;
    const copy = new Uint8Array(payload);
    post({ type: 'send', room: this.room, to, channel, payload: copy }, [copy.buffer]);
  }

  broadcast(channel: number, payload: Uint8Array): void {
    if (this.closed) return;
    const copy = new Uint8Array(payload);
    post({ type: 'broadcast', room: this.room, channel, payload: copy }, [copy.buffer]);
  }

  reachable(): ReadonlySet<string> {
    return this.peers;
  }

  linked(from: string, to: string): boolean | undefined {
    return this.cuts.linked(from, to);
  }

  state(): 'connecting' | 'online' | 'offline' {
    return this.connection;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers = undefined;
    this.early = undefined;
    this.peers.clear();
    this.connection = 'offline';
    post({ type: 'leave', room: this.room });
  }
}

/** Calls to the relay thread's byte log of a room, answered by `log-reply`. */
const logCalls = new Map<
  number,
  { resolve: (value: ByteLogContents | undefined) => void; reject: (error: Error) => void }
>();
let nextCall = 0;

function callLog(
  room: string,
  op: 'open' | 'append' | 'compact' | 'close',
  bytes?: Uint8Array,
): Promise<ByteLogContents | undefined> {
  const id = ++nextCall;
  return new Promise((resolve, reject) => {
    logCalls.set(id, { resolve, reject });
    if (bytes === undefined) post({ type: 'log-call', id, room, op });
    else {
      const copy = new Uint8Array(bytes);
      post({ type: 'log-call', id, room, op, bytes: copy }, [copy.buffer]);
    }
  });
}

/** A byte log the relay's thread holds for the room (a cluster's fenced log under its lease). */
class RelayByteLog implements ByteLog {
  constructor(private readonly room: string) {}
  async open(): Promise<ByteLogContents> {
    const contents = await callLog(this.room, 'open');
    if (contents === undefined) throw new Error(`the log of room ${this.room} gave no contents`);
    return contents;
  }
  async append(record: Uint8Array): Promise<void> {
    await callLog(this.room, 'append', record);
  }
  async compact(snapshot: Uint8Array): Promise<void> {
    await callLog(this.room, 'compact', snapshot);
  }
  async close(): Promise<void> {
    await callLog(this.room, 'close');
  }
}

function byteLogAt(room: string, location: StoreLocation): ByteLog {
  if (location.kind === 'relay') return new RelayByteLog(room);
  return new FileByteLog(location.directory, {
    onDamage: (damage) => log('warn', 'storage-damage', { room, ...damage }),
  });
}

interface HostedRoom {
  readonly transport: RelayedTransport;
  readonly store: LogStore;
  /** Set once the replica opened; undefined while it loads. */
  replica?: Replica;
  /** The relay asked to close it while it was loading. */
  closing?: boolean;
}

const rooms = new Map<string, HostedRoom>();

async function open(room: string, location: StoreLocation): Promise<void> {
  const transport = new RelayedTransport(room);
  const store = new LogStore(byteLogAt(room, location));
  const hosted: HostedRoom = { transport, store };
  rooms.set(room, hosted);
  try {
    const replica = await Replica.open({ id: STORAGE_NODE_ID, transport, store, engines });
    replica.subscribe((event) => {
      if (event.type === 'problem') log('warn', 'storage-problem', { room, ...event.problem });
    });
    hosted.replica = replica;
    post({ type: 'opened', room });
    if (hosted.closing === true) await close(room);
  } catch (error) {
    rooms.delete(room);
    transport.close();
    await store.close().catch(() => {});
    post({ type: 'open-failed', room, error: errorMessage(error) });
  }
}

/** Leave the room, make pending writes durable, free the engines, close the store; then report `closed`. */
async function close(room: string): Promise<void> {
  const hosted = rooms.get(room);
  if (hosted === undefined) {
    post({ type: 'closed', room });
    return;
  }
  if (hosted.replica === undefined) {
    hosted.closing = true; // open() closes it once loaded
    return;
  }
  rooms.delete(room);
  await hosted.replica.close();
  try {
    await hosted.store.close();
  } catch (error) {
    log('error', 'storage-close-failed', { room, error: errorMessage(error) });
  }
  post({ type: 'closed', room });
  // Where the process exposes the collector (the lifecycle soaks), the room's garbage goes now: Automerge's
  // WebAssembly memory is freed by finalizers that only run after a collection.
  (globalThis as { gc?: () => void }).gc?.();
}

function status(room: string, id: number): void {
  const replica = rooms.get(room)?.replica;
  if (replica === undefined) {
    post({ type: 'status-reply', id, status: undefined });
    return;
  }
  const engineStatus: Record<string, { digest: string; version: unknown }> = {};
  for (const [name, engine] of Object.entries(replica.status().engines) as [EngineName, EngineStatus][]) {
    // `status()` asked with digests: `digest(name)` is the one it holds (cached), typed as known.
    engineStatus[name] = { digest: replica.digest(name), version: engine.version };
  }
  post({
    type: 'status-reply',
    id,
    status: { pendingWrites: replica.pendingWriteCount(), engines: engineStatus },
  });
}

/** Bytes handled per room since the last `handled` report (one report per turn, not one per frame). */
const handled = new Map<string, number>();
let reportScheduled = false;

function reportHandled(): void {
  reportScheduled = false;
  for (const [room, bytes] of handled) post({ type: 'handled', room, bytes });
  handled.clear();
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'open':
      void open(message.room, message.store);
      return;
    case 'close':
      void close(message.room);
      return;
    case 'status':
      status(message.room, message.id);
      return;
    case 'log-reply': {
      const call = logCalls.get(message.id);
      logCalls.delete(message.id);
      if (message.error !== undefined) call?.reject(new Error(message.error));
      else call?.resolve(message.value);
      return;
    }
    default:
      break;
  }
  const hosted = rooms.get(message.room);
  try {
    hosted?.transport.receive(message);
  } catch (error) {
    // A frame an engine cannot take (hostile input) is reported; the peer and the other rooms carry on.
    log('error', 'local-node-handler-failed', {
      node: STORAGE_NODE_ID,
      room: message.room,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
  if (message.type === 'message') {
    handled.set(message.room, (handled.get(message.room) ?? 0) + message.payload.length);
    if (!reportScheduled) {
      reportScheduled = true;
      setImmediate(reportHandled);
    }
  }
});
