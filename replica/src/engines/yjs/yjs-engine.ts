/**
 * The Yjs engine: the workspace as a Y.Doc, modelled the way a typical Yjs user would.
 *
 * Document, by the kind of each field of the workspace schema:
 *   cart       Y.Map FIELD       product → quantity (a plain number)
 *   text       Y.Text FIELD
 *   counters   Y.Map 'counters'  counter name → total (a plain number)
 *   register   Y.Map 'meta'      FIELD → its value
 *
 * Semantics under concurrency (what the comparison shows):
 * - Counters and cart quantities are read-modify-write: an increment writes `seen + by`, a cart
 *   decrement `seen − qty`. Yjs has no counter type, so of two concurrent steps one overwrites the
 *   other (a lost update). cart.setQuantity writes the number itself.
 * - Concurrent writes to one map key (cart line, counter, register) keep one winner, decided by Yjs's
 *   deterministic ordering of client ids; there are no siblings.
 * - cart.remove deletes the key. A concurrent add writes a new value for the key, which the remove
 *   never saw, so add wins over remove (the line comes back with the adder's `seen + qty`).
 * - Text keeps every concurrent insertion (YATA); a delete removes exactly the characters it saw.
 *
 * Sync: y-protocols' sync messages (step 1 = state vector, step 2 = missing updates, update) are the
 * session payloads, written with y-protocols and read strictly here (the update is fully decoded
 * before it touches the document). Incoming updates are applied with the session as transaction
 * origin, so the change they cause is not echoed back to the peer it came from.
 *
 * Store updates are Yjs updates in a checksummed envelope (Yjs updates have no integrity check).
 * Every engine instance gets a fresh random client id, as Yjs requires of a new session.
 */
import { errorMessage } from '@converge/protocol';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import type {
  Engine,
  EngineChange,
  EngineContext,
  EngineVersion,
  NativeUndo,
  SyncSession,
} from '../../engine.ts';
import type { FieldEdit, NamedField, WorkspaceSchema } from '../../schema.ts';
import { deltasOfRetainOps } from '../../text-delta.ts';
import { type Intent, WORKSPACE, type WorkspaceView } from '../../workspace.ts';
import { seal, unseal } from '../kit/envelope.ts';
import { FeedEngine } from '../kit/feed-engine.ts';
import { Held } from '../kit/held.ts';
import { PeerSession } from '../kit/peer-session.ts';
import { randomUint32Of } from '../kit/random-source.ts';

/** Envelope kinds (kit/envelope.ts) of this engine's bytes. */
const EnvelopeKind = { YjsUpdate: 1 } as const;

/** Transaction origins for changes that did not come from a peer. */
const LOCAL_ORIGIN = Symbol('yjs-engine:local');
const STORE_ORIGIN = Symbol('yjs-engine:store');

interface PendingUpdate {
  readonly update: Uint8Array;
  readonly origin: unknown;
}

/** The document and the shared types the workspace lives in. */
interface YjsWorkspace {
  readonly doc: Y.Doc;
  /** Each cart field's map and each text field's text, by field name. */
  readonly carts: ReadonlyMap<string, Y.Map<unknown>>;
  readonly texts: ReadonlyMap<string, Y.Text>;
  readonly counters: Y.Map<unknown>;
  /** The registers, by field name. */
  readonly meta: Y.Map<unknown>;
}

export class YjsEngine extends FeedEngine<Uint8Array> implements Engine {
  readonly name = 'yjs' as const;
  protected readonly schema: WorkspaceSchema;
  private readonly held: Held<YjsWorkspace>;
  /** Updates Yjs reported during the current call; emitted once Yjs has returned. */
  private pending: PendingUpdate[] = [];
  /** Y.UndoManager over every shared type, tracking only this replica's own edits. */
  private readonly undoManager: Y.UndoManager;
  readonly undo: NativeUndo;

  constructor(ctx: EngineContext) {
    super();
    this.schema = ctx.schema ?? WORKSPACE;
    const doc = new Y.Doc();
    doc.clientID = randomUint32Of(ctx)();
    this.held = new Held(this.name, {
      doc,
      carts: new Map(this.schema.fieldsOf('cart').map((f) => [f.name, doc.getMap(f.name)])),
      texts: new Map(this.schema.fieldsOf('text').map((f) => [f.name, doc.getText(f.name)])),
      counters: doc.getMap('counters'),
      meta: doc.getMap('meta'),
    });
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      this.pending.push({ update, origin });
    });
    for (const [field, text] of this.held.value.texts) {
      text.observe((event, transaction) => this.textChanged(field, text, event, transaction.origin));
    }
    const { carts, texts, counters, meta } = this.held.value;
    // The replica delimits steps (stopCapturing), for every engine alike: no timeout of Yjs's own.
    this.undoManager = new Y.UndoManager([...carts.values(), ...texts.values(), counters, meta], {
      trackedOrigins: new Set([LOCAL_ORIGIN]),
      captureTimeout: Number.MAX_SAFE_INTEGER,
    });
    this.undo = {
      stopCapturing: () => this.undoManager.stopCapturing(),
      undo: () => this.popOne(this.undoManager.undoStack, () => this.undoManager.undo()),
      redo: () => this.popOne(this.undoManager.redoStack, () => this.undoManager.redo()),
      clear: () => this.undoManager.clear(),
    };
  }

  /**
   * Yjs's delta of a text (retain / insert / delete, computed from the transaction's items: O(change)) as
   * positional deltas. Anything but string content (an embed a peer wrote) has a length in Yjs but none in
   * the text we show, so then the text is reported whole once.
   */
  private textChanged(field: string, text: Y.Text, event: Y.YTextEvent, origin: unknown): void {
    const kind: EngineChange['origin'] = this.originOf(origin);
    const deltas = deltasOfRetainOps(event.delta);
    if (deltas === undefined)
      this.emitText(field, kind, [{ pos: 0, del: this.textLength(field), text: text.toString() }]);
    else this.emitText(field, kind, deltas);
  }

  /** Whose a transaction is: the UndoManager's undos and redos are this window's own, like its edits. */
  private originOf(origin: unknown): EngineChange['origin'] {
    if (origin === LOCAL_ORIGIN || origin === this.undoManager) return 'local';
    return origin === STORE_ORIGIN ? 'store' : 'remote';
  }

  /**
   * Undo or redo exactly one step. Y.UndoManager skips a step that no longer changes anything (others
   * deleted what it inserted) and goes on to an older one; the replica's steps must stay one to one with
   * the engine's, so only the newest step is left on the stack while it runs.
   */
  private popOne(stack: unknown[], run: () => unknown): boolean {
    this.assertOpen();
    const older = stack.splice(0, stack.length - 1);
    let done = false;
    try {
      done = run() !== null;
    } finally {
      stack.unshift(...older);
      this.flush();
    }
    return done;
  }

  /** The Y.Doc (throws EngineClosedError once the engine is closed). */
  get doc(): Y.Doc {
    return this.held.value.doc;
  }

  private cart(field: string): Y.Map<unknown> {
    return this.held.value.carts.get(field) as Y.Map<unknown>;
  }

  private text(field: string): Y.Text {
    return this.held.value.texts.get(field) as Y.Text;
  }

  private get counters(): Y.Map<unknown> {
    return this.held.value.counters;
  }

  private get meta(): Y.Map<unknown> {
    return this.held.value.meta;
  }

  apply(intent: Intent): void {
    this.assertOpen();
    const edit = this.schema.edit(intent);
    if (edit.kind === 'text') this.checkText(edit);
    this.doc.transact(() => this.write(edit), LOCAL_ORIGIN);
    this.flush();
  }

  private write(edit: FieldEdit): void {
    switch (edit.kind) {
      case 'cart': {
        const cart = this.cart(edit.field);
        const seen = numberAt(cart, edit.product);
        if (edit.action === 'add') cart.set(edit.product, (seen ?? 0) + edit.qty);
        // Read-modify-write, like add: of concurrent steps on one line, one overwrites the others.
        else if (edit.action === 'decrement') {
          if (seen !== undefined) cart.set(edit.product, seen - edit.qty);
        } else if (edit.action === 'remove') {
          if (cart.has(edit.product)) cart.delete(edit.product);
        } else cart.set(edit.product, edit.qty);
        return;
      }
      case 'text':
        if (edit.action === 'insert') this.text(edit.field).insert(edit.pos, edit.text);
        else this.text(edit.field).delete(edit.pos, edit.len);
        return;
      case 'counter':
      case 'pn-counter':
        // The typical Yjs counter: read, add, write back. Concurrent increments overwrite each other.
        this.counters.set(edit.field, (numberAt(this.counters, edit.field) ?? 0) + edit.by);
        return;
      case 'register':
        this.meta.set(edit.field, edit.value);
        return;
    }
  }

  view(): WorkspaceView {
    return this.schema.view((field) => this.fieldValue(field)) as WorkspaceView;
  }

  private fieldValue(field: NamedField): unknown {
    switch (field.kind) {
      case 'cart': {
        const lines: [string, number][] = [];
        for (const [product, value] of this.cart(field.name).entries()) {
          // A peer could write anything into the map; show only what the workspace model allows.
          if (isQuantity(value)) lines.push([product, value]);
        }
        // fromEntries, not assignment: a product named "__proto__" must stay an ordinary key.
        return Object.fromEntries(lines);
      }
      case 'text':
        return this.text(field.name).toString();
      case 'register': {
        const value = this.meta.get(field.name);
        return typeof value === 'string' ? [value] : [];
      }
      default:
        return numberAt(this.counters, field.name) ?? 0;
    }
  }

  viewWithoutText(): WorkspaceView {
    return this.schema.view((field) =>
      field.kind === 'text' ? '' : this.fieldValue(field),
    ) as WorkspaceView;
  }

  protected readText(field: string): string {
    return this.text(field).toString();
  }

  applyUpdate(update: Uint8Array): void {
    this.assertOpen();
    const raw = unseal(update, EnvelopeKind.YjsUpdate);
    decodeYjsUpdate(raw);
    Y.applyUpdate(this.doc, raw, STORE_ORIGIN);
    this.flush();
  }

  save(): Uint8Array {
    return seal(EnvelopeKind.YjsUpdate, Y.encodeStateAsUpdate(this.doc));
  }

  openSession(peer: string, send: (payload: Uint8Array) => void): SyncSession {
    this.assertOpen();
    return new YjsSession(this, peer, send);
  }

  /** Destroy the Y.Doc: its observers (ours and any other) go with it. */
  protected release(): void {
    this.pending = [];
    this.undoManager.destroy();
    this.held.release()?.doc.destroy();
  }

  version(): EngineVersion {
    return { kind: 'vector', entries: sortedEntries(Y.decodeStateVector(Y.encodeStateVector(this.doc))) };
  }

  /** Apply a peer's update (already validated) with the session as origin. */
  receiveFromPeer(update: Uint8Array, session: YjsSession): void {
    Y.applyUpdate(this.doc, update, session);
    this.flush();
  }

  /** The raw Yjs update behind a change this engine emitted (or decoded from its stored form). */
  nativeUpdateOf(change: EngineChange): Uint8Array {
    return this.feed.detailsOf(change)?.native ?? unseal(change.update, EnvelopeKind.YjsUpdate);
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    for (const { update, origin } of batch) {
      const change: EngineChange = {
        origin: this.originOf(origin),
        update: seal(EnvelopeKind.YjsUpdate, update),
      };
      this.feed.emit(change, update, origin instanceof YjsSession ? origin : undefined);
    }
  }
}

class YjsSession extends PeerSession {
  private peerStateVector: Map<number, number> | undefined;

  constructor(
    private readonly engine: YjsEngine,
    peer: string,
    send: (payload: Uint8Array) => void,
  ) {
    super(peer, engine, send);
  }

  receive(payload: Uint8Array): boolean {
    return this.receiveChecked(payload, readSyncMessage, (message: SyncMessage) => {
      if (message.type === syncProtocol.messageYjsSyncStep1) {
        this.peerStateVector = message.stateVector;
        if (!this.isClosed) {
          this.answerHello(payload, () =>
            this.sendEncoded((encoder) => syncProtocol.writeSyncStep2(encoder, this.engine.doc, message.raw)),
          );
        }
      } else {
        // Only a throwing change listener can make this fail; the update itself was valid and is applied.
        this.engine.receiveFromPeer(message.update, this);
      }
    });
  }

  changed(change: EngineChange): void {
    if (!this.open || this.engine.sourceOf(change) === this) return;
    const update = this.engine.nativeUpdateOf(change);
    this.sendEncoded((encoder) => syncProtocol.writeUpdate(encoder, update));
  }

  peerVersion(): EngineVersion | undefined {
    return this.peerStateVector
      ? { kind: 'vector', entries: sortedEntries(this.peerStateVector) }
      : undefined;
  }

  /** Sync step 1: our state vector makes the peer send whatever we lack (anti-entropy repeats it). */
  protected handshake(): void {
    this.sendEncoded((encoder) => syncProtocol.writeSyncStep1(encoder, this.engine.doc));
  }

  private sendEncoded(write: (encoder: encoding.Encoder) => void): void {
    const encoder = encoding.createEncoder();
    write(encoder);
    this.ship(encoding.toUint8Array(encoder));
  }
}

type SyncMessage =
  | { readonly type: 0; readonly raw: Uint8Array; readonly stateVector: Map<number, number> }
  | { readonly type: 1 | 2; readonly update: Uint8Array };

/**
 * Parse a y-protocols sync message strictly: known type, one length-prefixed body, no trailing
 * bytes, and a body that fully decodes. Throws on anything else.
 */
function readSyncMessage(payload: Uint8Array): SyncMessage {
  if (!(payload instanceof Uint8Array)) throw new TypeError('payload is not a Uint8Array');
  const decoder = decoding.createDecoder(payload);
  const type = decoding.readVarUint(decoder);
  const body = decoding.readVarUint8Array(decoder);
  if (decoding.hasContent(decoder)) throw new Error('trailing bytes after a sync message');
  switch (type) {
    case syncProtocol.messageYjsSyncStep1:
      return { type: 0, raw: body, stateVector: decodeStateVectorStrict(body) };
    case syncProtocol.messageYjsSyncStep2:
    case syncProtocol.messageYjsUpdate:
      decodeYjsUpdate(body);
      return { type, update: body };
    default:
      throw new Error(`unknown sync message type ${type}`);
  }
}

function decodeStateVectorStrict(bytes: Uint8Array): Map<number, number> {
  const decoder = decoding.createDecoder(bytes);
  const count = decoding.readVarUint(decoder);
  // Each entry takes at least two bytes, so a count the input cannot hold is corrupt.
  if (count * 2 > bytes.length) throw new Error('state vector count exceeds its input');
  const vector = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const client = decoding.readVarUint(decoder);
    vector.set(client, decoding.readVarUint(decoder));
  }
  if (decoding.hasContent(decoder)) throw new Error('trailing bytes after a state vector');
  return vector;
}

/** Fully decode a Yjs update without applying it; throws if it is malformed. */
function decodeYjsUpdate(update: Uint8Array): void {
  try {
    Y.decodeUpdate(update);
  } catch (error) {
    throw new Error(`malformed Yjs update: ${errorMessage(error)}`);
  }
}

/** A state vector as a plain record with keys in numeric order (stable for display and comparison). */
function sortedEntries(vector: Map<number, number>): Record<string, number> {
  return Object.fromEntries(
    [...vector].sort(([a], [b]) => a - b).map(([client, clock]) => [String(client), clock]),
  );
}

function numberAt(map: Y.Map<unknown>, key: string): number | undefined {
  const value = map.get(key);
  return isQuantity(value) ? value : undefined;
}

function isQuantity(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}
