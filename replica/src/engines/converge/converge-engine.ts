/**
 * The converge engine: our own CRDTs (crdt-core), one per field of the workspace schema, composed into
 * one document with a causal operation log (workspace-document.ts).
 *
 * Sync: 'hello' carries our version vector; the peer answers with the operations we lack, in causal
 * order and bounded batches, or with its whole state when the operations we lack are no longer in its
 * log (they reached it inside a snapshot). Local and forwarded operations go to each peer as they
 * happen; anti-entropy repeats the hello, which repairs whatever chaos dropped. Early operations wait
 * in the document's causal buffer; duplicates are dropped there.
 *
 * Store: each change is stored as its encoded operations (or, after a state transfer, the merged
 * state); `save` is the document's whole state, tagged by field. Both are sealed in a checksummed
 * envelope (crdt-core's codecs check structure, not content: a flipped bit in a character or a counter
 * would still decode), and decode with crdt-core's checked codecs. What stores written before hold still
 * loads: unsealed bytes, and the state in its positional layout of before the schema.
 *
 * Identity: operations are numbered per replica. The replica persists local operations before they
 * reach peers, so a restart never reuses a number a peer already holds.
 */
import {
  DecodeError,
  Decoder,
  Encoder,
  type InsertOp,
  type MvRegisterOp,
  type RgaOp,
  replicaId,
  TypeTag,
  VersionVector,
} from '@converge/crdt-core';
import type {
  Engine,
  EngineChange,
  EngineContext,
  EngineVersion,
  NativeUndo,
  SyncSession,
} from '../../engine.ts';
import type { FieldEdit, WorkspaceSchema } from '../../schema.ts';
import { type Intent, WORKSPACE, type WorkspaceView } from '../../workspace.ts';
import { seal, unseal, unsealAny } from '../kit/envelope.ts';
import { FeedEngine } from '../kit/feed-engine.ts';
import { Held } from '../kit/held.ts';
import { PeerSession } from '../kit/peer-session.ts';
import { ConvergeUndo, type Reversion } from './converge-undo.ts';
import { WorkspaceDocument, type WorkspaceOp } from './workspace-document.ts';

/** Envelope kinds (kit/envelope.ts) of this engine's bytes. */
export const EnvelopeKind = {
  /** crdt-core-headed operations, or a state in the positional layout of before the schema, for the store. */
  ConvergeUpdate: 5,
  /** A sync message (hello, ops or state) to a peer. */
  ConvergeMessage: 8,
  /** The document's state tagged by field (`save`, and a state that came from a peer), for the store. */
  ConvergeState: 9,
} as const;

/** Operations per 'ops' message, so a long history never makes one oversized frame. */
const MAX_BATCH_OPS = 512;

/** 3: a state in the positional layout (still read); 4: a state tagged by field (what is sent). */
const MessageKind = { Hello: 1, Ops: 2, PositionalState: 3, State: 4 } as const;

type StateLayout = 'tagged' | 'positional';

type ConvergeMessage =
  | { readonly type: 'hello'; readonly version: VersionVector }
  | {
      readonly type: 'ops';
      readonly ops: WorkspaceOp[];
      /** Their encoding as it came (a decoded message only): what the store and peers get again. */
      readonly encoded?: Uint8Array;
    }
  | { readonly type: 'state'; readonly state: Uint8Array; readonly layout: StateLayout };

/** What a stored update holds, once opened. */
type Stored =
  | { readonly kind: 'ops'; readonly bytes: Uint8Array }
  | { readonly kind: 'state'; readonly bytes: Uint8Array; readonly layout: StateLayout };

export class ConvergeEngine extends FeedEngine<readonly WorkspaceOp[] | undefined> implements Engine {
  readonly name = 'converge' as const;
  readonly schema: WorkspaceSchema;
  private readonly held: Held<WorkspaceDocument>;
  /** Whose change the document is making now: its text deltas are reported with it. */
  private origin: EngineChange['origin'] = 'local';
  private readonly history: ConvergeUndo;
  /** Undo on crdt-core's own operations (converge-undo.ts): the replica leaves this engine's undo to it. */
  readonly undo: NativeUndo;
  /** The operations an undo or redo makes, emitted as one local change once it is done. */
  private reverting: WorkspaceOp[] | undefined;
  /**
   * A change's operations (the array handed to the feed) → their encoding and their sealed 'ops' message:
   * encoded once, not once per peer (a 1 MB paste took ~200 ms to encode, three peers' sessions 600 ms).
   */
  private readonly encodedOps = new WeakMap<readonly WorkspaceOp[], Uint8Array>();
  private readonly opsMessages = new WeakMap<readonly WorkspaceOp[], Uint8Array>();

  constructor(ctx: EngineContext) {
    super();
    this.schema = ctx.schema ?? WORKSPACE;
    this.held = new Held(
      this.name,
      new WorkspaceDocument(this.schema, replicaId(ctx.replicaId), (field, delta) =>
        this.emitText(field, this.origin, [delta]),
      ),
    );
    this.history = new ConvergeUndo({
      textPlaces: (field, ranges) => this.doc.textPlaces(field, ranges),
      cartLine: (field, product) => this.doc.cartLine(field, product),
      registerWrites: (field) => this.doc.registerWrites(field),
      perform: (edit, into) => this.reverted(this.perform(edit, into)),
      insertBefore: (field, id, text, into) => {
        const op = this.doc.insertTextBefore(field, id, text);
        if (op === null) return undefined;
        const insert = op.body.op as InsertOp;
        into.push(insertedBy(field, insert));
        this.reverted(op);
        return insert.id;
      },
    });
    const history = this.history;
    this.undo = {
      stopCapturing: () => history.stopCapturing(),
      undo: () => this.revert(() => history.undo()),
      redo: () => this.revert(() => history.redo()),
      clear: () => history.clear(),
    };
  }

  /** The document (throws EngineClosedError once the engine is closed). */
  private get doc(): WorkspaceDocument {
    return this.held.value;
  }

  apply(intent: Intent): void {
    this.assertOpen();
    const edit = this.schema.edit(intent);
    if (edit.kind === 'text') this.checkText(edit);
    this.origin = 'local';
    const reversions: Reversion[] = [];
    const op = this.perform(edit, reversions);
    if (op === null) return;
    this.history.record(reversions);
    this.emit('local', [op]);
  }

  /**
   * Carry out a local edit (validated) and put how to take it back into `into`: the ids an insert made,
   * the ids and text a delete removed (the text read from the mirror: O(edit)), a cart line's quantity
   * before and after, a register's write and the value it replaced.
   */
  private perform(edit: FieldEdit, into: Reversion[]): WorkspaceOp | null {
    const doc = this.doc;
    const { field } = edit;
    switch (edit.kind) {
      case 'text': {
        const deleted = edit.action === 'delete' ? this.textSlice(field, edit.pos, edit.pos + edit.len) : '';
        const op = doc.edit(edit);
        const rga = op?.body.op as RgaOp | undefined;
        if (rga?.kind === 'insert') into.push(insertedBy(field, rga));
        else if (rga?.kind === 'delete')
          into.push({ kind: 'deleted', field, ranges: rga.ranges, text: deleted });
        return op;
      }
      case 'cart': {
        const before = doc.cartLine(field, edit.product);
        const op = doc.edit(edit);
        if (op !== null)
          into.push({
            kind: 'cart',
            field,
            product: edit.product,
            before,
            after: doc.cartLine(field, edit.product),
          });
        return op;
      }
      case 'pn-counter': {
        const op = doc.edit(edit);
        if (op !== null && edit.by !== 0) into.push({ kind: 'counted', field, by: edit.by });
        return op;
      }
      case 'register': {
        const before = doc.registerValue(field);
        const op = doc.edit(edit);
        const write = op?.body.op as MvRegisterOp<string> | undefined;
        if (write !== undefined)
          into.push({ kind: 'written', field, dot: write.dot, before: before[0] ?? '' });
        return op;
      }
      case 'counter':
        return doc.edit(edit); // only grows: nothing takes an increment back
    }
  }

  /** An operation an undo or redo made (whether it made one). */
  private reverted(op: WorkspaceOp | null): boolean {
    if (op !== null) this.reverting?.push(op);
    return op !== null;
  }

  /** An undo or redo: its operations are one local change (none when it changed nothing). */
  private revert(run: () => boolean): boolean {
    this.assertOpen();
    this.origin = 'local';
    const ops: WorkspaceOp[] = [];
    this.reverting = ops;
    let done: boolean;
    try {
      done = run();
    } finally {
      this.reverting = undefined;
      if (ops.length > 0) this.emit('local', ops);
    }
    return done;
  }

  view(): WorkspaceView {
    return this.doc.value() as WorkspaceView;
  }

  viewWithoutText(): WorkspaceView {
    return this.doc.value({ withText: false }) as WorkspaceView;
  }

  protected readText(field: string): string {
    return this.doc.textContent(field);
  }

  applyUpdate(update: Uint8Array): void {
    this.assertOpen();
    const stored = openUpdate(update);
    if (stored.kind === 'state') this.mergeState(stored.bytes, stored.layout, 'store');
    // The change keeps the stored bytes (as a peer's operations keep theirs): opening a replica does not
    // encode its logged operations again (a 1 MB paste's: ~20–35 ms of a reopened window's start). A
    // copy: they may be a view into the store's whole read, which the change must not keep alive.
    else {
      const ops = WorkspaceDocument.decodeOps(this.schema, stored.bytes);
      this.receiveOps(ops, 'store', undefined, stored.bytes.slice());
    }
  }

  save(): Uint8Array {
    return seal(EnvelopeKind.ConvergeState, this.doc.encodeState({ forStore: true }));
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

  /** `encoded`: the operations' encoding as received, kept for the change when they are delivered as they came. */
  receiveOps(
    ops: readonly WorkspaceOp[],
    origin: 'remote' | 'store',
    source?: ConvergeSession,
    encoded?: Uint8Array,
  ): void {
    this.origin = origin;
    const delivered = this.doc.receive(ops);
    if (delivered.length === 0) return;
    this.emit(
      origin,
      delivered,
      source,
      encoded !== undefined && sameOps(delivered, ops) ? encoded : undefined,
    );
  }

  /** The sealed 'ops' message of all of a change's operations (at most MAX_BATCH_OPS), made once per change. */
  opsMessage(ops: readonly WorkspaceOp[]): Uint8Array {
    let message = this.opsMessages.get(ops);
    if (message === undefined) {
      message = sealOps(this.encodedOps.get(ops) ?? WorkspaceDocument.encodeOps(this.schema, ops));
      this.opsMessages.set(ops, message);
    }
    return message;
  }

  mergeState(
    state: Uint8Array,
    layout: StateLayout,
    origin: 'remote' | 'store',
    source?: ConvergeSession,
  ): void {
    const before = this.doc.version();
    this.origin = origin;
    // Operations that waited for what the state holds are delivered too; they are not in `state`.
    const released = this.doc.mergeState(state, layout);
    if (this.doc.version().equals(before)) return;
    const change: EngineChange = { origin, update: origin === 'store' ? state : sealState(state, layout) };
    this.feed.emit(change, undefined, source);
    // Their own change, after the state's: the store must hold them (a restart would lose them and
    // everything that depends on them), and peers must get them.
    if (released.length > 0) this.emit(origin, released, source);
  }

  /** The operations behind a change, or undefined when it was a whole-state merge. */
  opsOf(change: EngineChange): readonly WorkspaceOp[] | undefined {
    const details = this.feed.detailsOf(change);
    if (details !== undefined) return details.native;
    const stored = openUpdate(change.update);
    return stored.kind === 'ops' ? WorkspaceDocument.decodeOps(this.schema, stored.bytes) : undefined;
  }

  encodeMessage(message: ConvergeMessage): Uint8Array {
    const e = new Encoder(64);
    switch (message.type) {
      case 'hello':
        e.byte(MessageKind.Hello);
        message.version.write(e);
        break;
      case 'ops':
        return sealOps(message.encoded ?? WorkspaceDocument.encodeOps(this.schema, message.ops));
      case 'state':
        e.byte(message.layout === 'tagged' ? MessageKind.State : MessageKind.PositionalState).bytes(
          message.state,
        );
        break;
    }
    // Sealed: crdt-core's codecs check structure, not content, so a flipped bit in an operation would
    // decode into a different edit under the same id, and the peers would never repair it.
    return seal(EnvelopeKind.ConvergeMessage, e.finish());
  }

  /** Throws DecodeError for anything but a well-formed message. */
  decodeMessage(payload: Uint8Array): ConvergeMessage {
    const d = new Decoder(unseal(payload, EnvelopeKind.ConvergeMessage));
    const kind = d.byte();
    let message: ConvergeMessage;
    if (kind === MessageKind.Hello) message = { type: 'hello', version: VersionVector.read(d) };
    else if (kind === MessageKind.Ops) {
      const encoded = d.bytes();
      message = { type: 'ops', ops: WorkspaceDocument.decodeOps(this.schema, encoded), encoded };
    } else if (kind === MessageKind.State) message = { type: 'state', state: d.bytes(), layout: 'tagged' };
    else if (kind === MessageKind.PositionalState)
      message = { type: 'state', state: d.bytes(), layout: 'positional' };
    else return d.fail(`unknown converge message kind ${kind}`);
    d.end();
    return message;
  }

  private emit(
    origin: EngineChange['origin'],
    ops: readonly WorkspaceOp[],
    source?: ConvergeSession,
    encoded?: Uint8Array,
  ): void {
    const bytes = encoded ?? WorkspaceDocument.encodeOps(this.schema, ops);
    this.encodedOps.set(ops, bytes);
    // A change that came from the store is not stored again: it skips the checksum pass (opening a
    // replica would otherwise hash its whole history once more).
    const change: EngineChange = {
      origin,
      update: origin === 'store' ? bytes : seal(EnvelopeKind.ConvergeUpdate, bytes),
    };
    this.feed.emit(change, ops, source);
  }
}

class ConvergeSession extends PeerSession {
  private peerVector: VersionVector | undefined;

  constructor(
    private readonly engine: ConvergeEngine,
    peer: string,
    send: (payload: Uint8Array) => void,
  ) {
    super(peer, engine, send);
  }

  receive(payload: Uint8Array): boolean {
    // A well-formed message whose content cannot be applied (e.g. an overflowing counter) is dropped too.
    return this.receiveChecked(
      payload,
      (bytes) => this.engine.decodeMessage(bytes),
      (message: ConvergeMessage) => {
        if (message.type === 'hello') {
          this.peerVector = message.version;
          this.answerHello(payload, () => this.sendWhatPeerLacks(message.version));
        } else if (message.type === 'ops') {
          this.engine.receiveOps(message.ops, 'remote', this, message.encoded);
        } else {
          this.engine.mergeState(message.state, message.layout, 'remote', this);
        }
      },
    );
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
    const lacking = ops.filter(
      (op) => op.replica !== this.peer && !(known && op.counter <= known.get(op.replica)),
    );
    // The whole change: the message every session sends of it (and the fan-out's one broadcast) is shared.
    if (lacking.length === ops.length && ops.length > 0 && ops.length <= MAX_BATCH_OPS)
      this.ship(this.engine.opsMessage(ops));
    else this.sendOps(lacking);
  }

  peerVersion(): EngineVersion | undefined {
    return this.peerVector && { kind: 'vector', entries: this.peerVector.toJSON() };
  }

  protected handshake(): void {
    this.ship(this.engine.encodeMessage({ type: 'hello', version: this.engine.versionVector() }));
  }

  private sendWhatPeerLacks(peer: VersionVector): void {
    if (peer.dominates(this.engine.versionVector())) return;
    const ops = this.engine.missing(peer);
    if (ops === undefined) {
      this.ship(this.engine.encodeMessage({ type: 'state', state: this.engine.state(), layout: 'tagged' }));
    } else {
      this.sendOps(ops);
    }
  }

  private sendOps(ops: readonly WorkspaceOp[]): void {
    for (let i = 0; i < ops.length; i += MAX_BATCH_OPS) {
      this.ship(this.engine.encodeMessage({ type: 'ops', ops: ops.slice(i, i + MAX_BATCH_OPS) }));
    }
  }
}

/** An 'ops' message holding `encoded` operations, sealed. */
function sealOps(encoded: Uint8Array): Uint8Array {
  return seal(
    EnvelopeKind.ConvergeMessage,
    new Encoder(encoded.length + 8).byte(MessageKind.Ops).bytes(encoded).finish(),
  );
}

/** Whether two lists hold the very same operations, in order. */
function sameOps(a: readonly WorkspaceOp[], b: readonly WorkspaceOp[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** How to take back a local text insert: delete the characters it made. */
function insertedBy(field: string, op: InsertOp): Reversion {
  return {
    kind: 'inserted',
    field,
    ranges: [{ replica: op.id.replica, counter: op.id.counter, length: op.text.length }],
  };
}

/** A state as the store keeps it: tagged ones in their own envelope, positional ones as before. */
function sealState(state: Uint8Array, layout: StateLayout): Uint8Array {
  return seal(layout === 'tagged' ? EnvelopeKind.ConvergeState : EnvelopeKind.ConvergeUpdate, state);
}

/**
 * What a stored update holds: sealed (now), or bare crdt-core bytes as stores written before the
 * envelope hold them. Throws DecodeError for anything else.
 */
function openUpdate(update: Uint8Array): Stored {
  if (update[0] === 0x43 && update[1] === 0x56) return crdtCoreBytes(update);
  const { kind, body } = unsealAny(update, [EnvelopeKind.ConvergeUpdate, EnvelopeKind.ConvergeState]);
  return kind === EnvelopeKind.ConvergeState
    ? { kind: 'state', bytes: body, layout: 'tagged' }
    : crdtCoreBytes(body);
}

/** crdt-core encoded bytes (magic "CV", version, then a one-byte tag below 128): operations or an old state. */
function crdtCoreBytes(bytes: Uint8Array): Stored {
  if (bytes.length < 4 || bytes[0] !== 0x43 || bytes[1] !== 0x56)
    throw new DecodeError('not a converge update', 0);
  if (bytes[3] === TypeTag.WorkspaceSnapshot) return { kind: 'state', bytes, layout: 'positional' };
  return { kind: 'ops', bytes };
}
