/**
 * The converge engine: our own CRDTs (crdt-core) composed into one document (workspace-document.ts: Cart, Rga, G/PN-Counters and a
 * multi-value register for the note) with a causal operation log.
 *
 * Sync: 'hello' carries our version vector; the peer answers with the operations we lack, in causal
 * order and bounded batches, or with its whole state when the operations we lack are no longer in its
 * log (they reached it inside a snapshot). Local and forwarded operations go to each peer as they
 * happen; anti-entropy repeats the hello, which repairs whatever chaos dropped. Early operations wait
 * in the document's causal buffer; duplicates are dropped there.
 *
 * Store: each change is stored as its encoded operations (or, after a state transfer, the merged
 * state); `save` is the document's whole state. Both are sealed in a checksummed envelope (crdt-core's
 * codecs check structure, not content: a flipped bit in a character or a counter would still decode),
 * and decode with crdt-core's checked codecs. Unsealed bytes, as stores written before hold, still load.
 *
 * Identity: operations are numbered per replica. The replica persists local operations before they
 * reach peers, so a restart never reuses a number a peer already holds.
 */
import { DecodeError, Decoder, Encoder, replicaId, TypeTag, VersionVector } from '@converge/crdt-core';
import type { Engine, EngineChange, EngineContext, EngineVersion, SyncSession } from '../../engine.ts';
import {
  type Intent,
  IntentError,
  type IntentOp,
  validateIntent,
  type WorkspaceView,
} from '../../workspace.ts';
import { seal, unseal } from '../kit/envelope.ts';
import { FeedEngine } from '../kit/feed-engine.ts';
import { Held } from '../kit/held.ts';
import { PeerSession } from '../kit/peer-session.ts';
import { checkTextIntent } from '../kit/text-edit.ts';
import { WorkspaceDocument, type WorkspaceOp } from './workspace-document.ts';

/** Envelope kinds (kit/envelope.ts) of this engine's bytes. */
export const EnvelopeKind = {
  /** Encoded workspace operations or state, for the store. */
  ConvergeUpdate: 5,
  /** A sync message (hello, ops or state) to a peer. */
  ConvergeMessage: 8,
} as const;

/** Operations per 'ops' message, so a long history never makes one oversized frame. */
const MAX_BATCH_OPS = 512;

const MessageKind = { Hello: 1, Ops: 2, State: 3 } as const;

type ConvergeMessage =
  | { readonly type: 'hello'; readonly version: VersionVector }
  | { readonly type: 'ops'; readonly ops: WorkspaceOp[] }
  | { readonly type: 'state'; readonly state: Uint8Array };

export class ConvergeEngine extends FeedEngine<readonly WorkspaceOp[] | undefined> implements Engine {
  readonly name = 'converge' as const;
  private readonly held: Held<WorkspaceDocument>;

  constructor(ctx: EngineContext) {
    super();
    this.held = new Held(this.name, new WorkspaceDocument(replicaId(ctx.replicaId)));
  }

  /** The document (throws EngineClosedError once the engine is closed). */
  private get doc(): WorkspaceDocument {
    return this.held.value;
  }

  apply(intent: Intent): void {
    this.assertOpen();
    validateIntent(intent);
    const op = this.opFor(intent);
    if (op !== null) this.emit('local', [op]);
  }

  private opFor(intent: Intent): WorkspaceOp | null {
    const doc = this.doc;
    switch (intent.op) {
      case 'cart.add':
        return doc.addToCart(intent.product, intent.qty);
      case 'cart.decrement':
        return intent.product in doc.value().cart ? doc.decrementCart(intent.product, intent.qty) : null;
      case 'cart.remove':
        return intent.product in doc.value().cart ? doc.removeFromCart(intent.product) : null;
      case 'cart.setQuantity':
        return doc.setCartQuantity(intent.product, intent.qty);
      case 'text.insert':
        checkTextIntent(doc.textContent(), intent);
        return doc.insertText(intent.pos, intent.text);
      case 'text.delete':
        checkTextIntent(doc.textContent(), intent);
        return doc.deleteText(intent.pos, intent.len);
      case 'counter.increment':
        return intent.name === 'likes' ? doc.addLikes(intent.by) : doc.changeStock(intent.by);
      case 'note.set':
        return doc.setNote(intent.value);
      default:
        throw new IntentError(`unhandled intent ${(intent as { op: IntentOp }).op}`);
    }
  }

  view(): WorkspaceView {
    const value = this.doc.value();
    return {
      text: value.text,
      cart: value.cart,
      counters: { likes: value.likes, stock: value.stock },
      note: value.note,
    };
  }

  applyUpdate(update: Uint8Array): void {
    this.assertOpen();
    const bytes = openUpdate(update);
    if (headerTag(bytes) === TypeTag.WorkspaceSnapshot) this.mergeState(bytes, 'store');
    else this.receiveOps(WorkspaceDocument.decodeOps(bytes), 'store');
  }

  save(): Uint8Array {
    return seal(EnvelopeKind.ConvergeUpdate, this.doc.encodeState());
  }

  openSession(peer: string, send: (payload: Uint8Array) => void): SyncSession {
    this.assertOpen();
    return new ConvergeSession(this, peer, send);
  }

  /** Plain objects only: dropping the document is all it takes. */
  protected release(): void {
    this.held.release();
  }

  version(): EngineVersion {
    return { kind: 'vector', entries: this.doc.version().toJSON() };
  }

  /** Operations waiting for others they depend on (for the UI and tests). */
  waitingCount(): number {
    return this.doc.waitingCount;
  }

  // ---- used by sessions -------------------------------------------------------------------------

  versionVector(): VersionVector {
    return this.doc.version();
  }

  missing(peer: VersionVector): WorkspaceOp[] | undefined {
    return this.doc.missing(peer);
  }

  state(): Uint8Array {
    return this.doc.encodeState();
  }

  receiveOps(ops: readonly WorkspaceOp[], origin: 'remote' | 'store', source?: ConvergeSession): void {
    const delivered = this.doc.receive(ops);
    if (delivered.length > 0) this.emit(origin, delivered, source);
  }

  mergeState(state: Uint8Array, origin: 'remote' | 'store', source?: ConvergeSession): void {
    const before = this.doc.version();
    // Operations that waited for what the state holds are delivered too; they are not in `state`.
    const released = this.doc.mergeState(state);
    if (this.doc.version().equals(before)) return;
    const change: EngineChange = { origin, update: forStore(origin, state) };
    this.feed.emit(change, undefined, source);
    // Their own change, after the state's: the store must hold them (a restart would lose them and
    // everything that depends on them), and peers must get them.
    if (released.length > 0) this.emit(origin, released, source);
  }

  /** The operations behind a change, or undefined when it was a whole-state merge. */
  opsOf(change: EngineChange): readonly WorkspaceOp[] | undefined {
    const details = this.feed.detailsOf(change);
    if (details !== undefined) return details.native;
    const bytes = openUpdate(change.update);
    return headerTag(bytes) === TypeTag.WorkspaceOps ? WorkspaceDocument.decodeOps(bytes) : undefined;
  }

  private emit(origin: EngineChange['origin'], ops: readonly WorkspaceOp[], source?: ConvergeSession): void {
    const change: EngineChange = { origin, update: forStore(origin, WorkspaceDocument.encodeOps(ops)) };
    this.feed.emit(change, ops, source);
  }
}

class ConvergeSession extends PeerSession {
  private peerVector: VersionVector | undefined;

  constructor(
    private readonly engine: ConvergeEngine,
    peer: string,
    private readonly sendPayload: (payload: Uint8Array) => void,
  ) {
    super(peer, engine);
  }

  receive(payload: Uint8Array): boolean {
    // A well-formed message whose content cannot be applied (e.g. an overflowing counter) is dropped too.
    return this.receiveChecked(payload, decodeMessage, (message: ConvergeMessage) => {
      if (message.type === 'hello') {
        this.peerVector = message.version;
        if (this.open) this.sendWhatPeerLacks(message.version);
      } else if (message.type === 'ops') {
        this.engine.receiveOps(message.ops, 'remote', this);
      } else {
        this.engine.mergeState(message.state, 'remote', this);
      }
    });
  }

  changed(change: EngineChange): void {
    if (!this.open || this.engine.sourceOf(change) === this) return;
    const ops = this.engine.opsOf(change);
    if (ops === undefined) {
      // A whole state arrived from elsewhere: let the peer ask for what it lacks.
      this.handshake();
      return;
    }
    const known = this.peerVector;
    // The peer has its own operations and those its last hello covered.
    this.sendOps(
      ops.filter((op) => op.replica !== this.peer && !(known && op.counter <= known.get(op.replica))),
    );
  }

  peerVersion(): EngineVersion | undefined {
    return this.peerVector && { kind: 'vector', entries: this.peerVector.toJSON() };
  }

  protected handshake(): void {
    this.sendPayload(encodeMessage({ type: 'hello', version: this.engine.versionVector() }));
  }

  private sendWhatPeerLacks(peer: VersionVector): void {
    if (peer.dominates(this.engine.versionVector())) return;
    const ops = this.engine.missing(peer);
    if (ops === undefined) this.sendPayload(encodeMessage({ type: 'state', state: this.engine.state() }));
    else this.sendOps(ops);
  }

  private sendOps(ops: readonly WorkspaceOp[]): void {
    for (let i = 0; i < ops.length; i += MAX_BATCH_OPS) {
      this.sendPayload(encodeMessage({ type: 'ops', ops: ops.slice(i, i + MAX_BATCH_OPS) }));
    }
  }
}

function encodeMessage(message: ConvergeMessage): Uint8Array {
  const e = new Encoder(64);
  switch (message.type) {
    case 'hello':
      e.byte(MessageKind.Hello);
      message.version.write(e);
      break;
    case 'ops':
      e.byte(MessageKind.Ops).bytes(WorkspaceDocument.encodeOps(message.ops));
      break;
    case 'state':
      e.byte(MessageKind.State).bytes(message.state);
      break;
  }
  // Sealed: crdt-core's codecs check structure, not content, so a flipped bit in an operation would
  // decode into a different edit under the same id, and the peers would never repair it.
  return seal(EnvelopeKind.ConvergeMessage, e.finish());
}

/** Throws DecodeError for anything but a well-formed message. */
function decodeMessage(payload: Uint8Array): ConvergeMessage {
  const d = new Decoder(unseal(payload, EnvelopeKind.ConvergeMessage));
  const kind = d.byte();
  let message: ConvergeMessage;
  if (kind === MessageKind.Hello) message = { type: 'hello', version: VersionVector.read(d) };
  else if (kind === MessageKind.Ops) message = { type: 'ops', ops: WorkspaceDocument.decodeOps(d.bytes()) };
  else if (kind === MessageKind.State) message = { type: 'state', state: d.bytes() };
  else return d.fail(`unknown converge message kind ${kind}`);
  d.end();
  return message;
}

/**
 * A change's update, sealed for the store. A change that came from the store is not stored again, so it
 * skips the checksum pass (opening a replica would otherwise hash its whole state once more).
 */
function forStore(origin: EngineChange['origin'], bytes: Uint8Array): Uint8Array {
  return origin === 'store' ? bytes : seal(EnvelopeKind.ConvergeUpdate, bytes);
}

/** The crdt-core bytes of a stored update: sealed (now), or bare as stores written before hold them. */
function openUpdate(update: Uint8Array): Uint8Array {
  return update[0] === 0x43 && update[1] === 0x56 ? update : unseal(update, EnvelopeKind.ConvergeUpdate);
}

/** The type tag of crdt-core encoded bytes (magic "CV", version, then a one-byte tag below 128). */
function headerTag(bytes: Uint8Array): number {
  if (bytes.length < 4 || bytes[0] !== 0x43 || bytes[1] !== 0x56)
    throw new DecodeError('not a converge update', 0);
  return bytes[3] as number;
}
