/**
 * The Loro engine: the workspace as a LoroDoc, used the way Loro suggests.
 *
 * Document, by the kind of each field of the workspace schema:
 *   cart      LoroMap FIELD       product → a mergeable LoroCounter (`ensureMergeableCounter`)
 *   text      LoroText FIELD
 *   counters  LoroCounter NAME    (a root counter per field)
 *   register  LoroMap 'meta'      FIELD → its value
 *
 * Semantics under concurrency (what the comparison shows):
 * - Counters and cart lines are Loro counters: concurrent steps all count, and two replicas that create
 *   one line at the same time get the same counter (mergeable children), so concurrent first adds add up.
 * - cart.setQuantity adds the difference to the quantity this replica sees (a counter step, like
 *   converge's); cart.remove takes the line to zero and deletes its key. A concurrent add still counts
 *   (on the counter); whether the line shows is the map's last-writer decision between the key's delete
 *   and the add's re-creation.
 * - A register is a map value: of concurrent writes one wins (Loro's Lamport order), no siblings.
 * - Text keeps every concurrent insertion (Fugue); positions are UTF-16 code units, as in JS strings.
 *
 * Sync: 'hello' carries our version vector (which counts every operation, deletions included); the peer
 * answers with the update we lack. Local and forwarded changes go to each peer as they happen;
 * anti-entropy repeats the hello. Loro holds an update whose dependencies have not arrived until they do.
 * Messages and stored bytes are sealed in the kit's checksummed envelope; every engine instance gets a
 * fresh random peer id, as Loro requires of a new session.
 *
 * Memory: every Loro handle (a container, a version vector) is WebAssembly memory that the garbage
 * collector neither sees nor hurries to free, and a container handle keeps its document's state alive.
 * The engine takes each container's handle once, frees every temporary handle as soon as it is used,
 * and frees them all, then the document, on close.
 */
import { type Delta, LoroCounter, LoroDoc, type LoroMap, type LoroText, VersionVector } from 'loro-crdt';
import type { Engine, EngineChange, EngineContext, EngineVersion, SyncSession } from '../../engine.ts';
import type { FieldEdit, NamedField, WorkspaceSchema } from '../../schema.ts';
import { deltasOfRetainOps } from '../../text-delta.ts';
import { type Intent, WORKSPACE, type WorkspaceView } from '../../workspace.ts';
import { seal, unseal } from '../kit/envelope.ts';
import { FeedEngine } from '../kit/feed-engine.ts';
import { Held } from '../kit/held.ts';
import { PeerSession } from '../kit/peer-session.ts';
import { randomUint32Of } from '../kit/random-source.ts';
import { EnvelopeKind, MessageKind } from './kinds.ts';

export { EnvelopeKind, MessageKind } from './kinds.ts';

type LoroMessage =
  | { readonly type: 'hello'; readonly version: VersionVector }
  | { readonly type: 'update'; readonly update: Uint8Array };

/** The document and the handles of the containers the workspace lives in. */
interface LoroWorkspace {
  readonly doc: LoroDoc;
  readonly carts: ReadonlyMap<string, LoroMap>;
  readonly texts: ReadonlyMap<string, LoroText>;
  readonly counters: ReadonlyMap<string, LoroCounter>;
  /** The registers, by field name. */
  readonly meta: LoroMap;
}

export class LoroEngine extends FeedEngine<Uint8Array> implements Engine {
  readonly name = 'loro' as const;
  protected readonly schema: WorkspaceSchema;
  private readonly held: Held<LoroWorkspace>;
  /** Stop the texts' event subscriptions (before the document is freed). */
  private readonly unsubscribe: (() => void)[] = [];
  /** What the change under way is, for the text events Loro delivers while it runs. */
  private origin: EngineChange['origin'] = 'local';

  constructor(ctx: EngineContext) {
    super();
    this.schema = ctx.schema ?? WORKSPACE;
    const next = randomUint32Of(ctx);
    const doc = new LoroDoc();
    // 64 random bits: a reloaded replica must never reuse the identity of an earlier instance.
    doc.setPeerId((BigInt(next()) << 32n) | BigInt(next()));
    const handles = <T>(kinds: Parameters<WorkspaceSchema['fieldsOf']>, get: (name: string) => T) =>
      new Map(this.schema.fieldsOf(...kinds).map((f) => [f.name, get(f.name)]));
    this.held = new Held(this.name, {
      doc,
      carts: handles(['cart'], (name) => doc.getMap(name)),
      texts: handles(['text'], (name) => doc.getText(name)),
      counters: handles(['counter', 'pn-counter'], (name) => doc.getCounter(name)),
      meta: doc.getMap('meta'),
    });
    // Loro delivers a text's diff synchronously on commit or import: positions, O(change).
    for (const [field, text] of this.held.value.texts) {
      this.unsubscribe.push(
        text.subscribe((batch) => {
          for (const event of batch.events)
            if (event.diff.type === 'text') this.textChanged(field, event.diff.diff);
        }),
      );
    }
  }

  /** Loro's retain / insert / delete delta of one text as positional deltas (O(change)). */
  private textChanged(field: string, diff: readonly Delta<string>[]): void {
    const whole = () => [{ pos: 0, del: this.textLength(field), text: this.readText(field) }];
    this.emitText(field, this.origin, deltasOfRetainOps(diff) ?? whole());
  }

  /** The document (throws EngineClosedError once the engine is closed). */
  private get doc(): LoroDoc {
    return this.held.value.doc;
  }

  private cart(field: string): LoroMap {
    return this.held.value.carts.get(field) as LoroMap;
  }

  private text(field: string): LoroText {
    return this.held.value.texts.get(field) as LoroText;
  }

  apply(intent: Intent): void {
    this.assertOpen();
    const edit = this.schema.edit(intent);
    if (edit.kind === 'text') this.checkText(edit);
    this.change('local', undefined, () => {
      this.write(edit);
      this.doc.commit();
    });
  }

  private write(edit: FieldEdit): void {
    switch (edit.kind) {
      case 'cart': {
        const cart = this.cart(edit.field);
        const seen = quantityAt(cart, edit.product);
        const step = (by: number): void =>
          freed(cart.ensureMergeableCounter(edit.product), (c) => c.increment(by));
        if (edit.action === 'add') step(edit.qty);
        else if (edit.action === 'decrement') {
          if (seen !== undefined) step(-edit.qty);
        } else if (edit.action === 'remove' || (edit.action === 'setQuantity' && edit.qty === 0)) {
          if (seen === undefined) return;
          // A deleted key keeps its counter (a later add resurfaces it): take the line to zero first.
          step(-seen);
          cart.delete(edit.product);
        } else {
          step(edit.qty - (seen ?? 0));
        }
        return;
      }
      case 'text':
        if (edit.action === 'insert') this.text(edit.field).insert(edit.pos, edit.text);
        else this.text(edit.field).delete(edit.pos, edit.len);
        return;
      case 'counter':
      case 'pn-counter':
        this.held.value.counters.get(edit.field)?.increment(edit.by);
        return;
      case 'register':
        this.held.value.meta.set(edit.field, edit.value);
        return;
    }
  }

  view(): WorkspaceView {
    return this.schema.view((field) => this.fieldValue(field)) as WorkspaceView;
  }

  viewWithoutText(): WorkspaceView {
    return this.schema.view((field) =>
      field.kind === 'text' ? '' : this.fieldValue(field),
    ) as WorkspaceView;
  }

  protected readText(field: string): string {
    return this.text(field).toString();
  }

  private fieldValue(field: NamedField): unknown {
    const { counters, meta } = this.held.value;
    switch (field.kind) {
      case 'cart': {
        const lines: [string, number][] = [];
        for (const [product, value] of Object.entries(
          this.cart(field.name).toJSON() as Record<string, unknown>,
        )) {
          // A peer could write anything into the map; show only what the workspace model allows.
          if (isQuantity(value)) lines.push([product, value]);
        }
        // fromEntries, not assignment: a product named "__proto__" must stay an ordinary key.
        return Object.fromEntries(lines);
      }
      case 'text':
        return this.text(field.name).toString();
      case 'register': {
        const value = meta.get(field.name);
        return typeof value === 'string' ? [value] : [];
      }
      default: {
        const value = counters.get(field.name)?.value;
        return isQuantity(value) ? value : 0;
      }
    }
  }

  applyUpdate(update: Uint8Array): void {
    this.assertOpen();
    const bytes = unseal(update, EnvelopeKind.LoroUpdate);
    this.change('store', undefined, () => importStrictly(this.doc, bytes));
  }

  save(): Uint8Array {
    return seal(EnvelopeKind.LoroUpdate, this.doc.export({ mode: 'snapshot' }));
  }

  openSession(peer: string, send: (payload: Uint8Array) => void): SyncSession {
    this.assertOpen();
    return new LoroSession(this, peer, send);
  }

  /** Free every handle, then the document's WebAssembly memory, now (the garbage collector does not see it). */
  protected release(): void {
    for (const stop of this.unsubscribe.splice(0)) stop();
    const held = this.held.release();
    if (held === undefined) return;
    for (const handles of [held.carts, held.texts, held.counters])
      for (const handle of handles.values()) handle.free();
    held.meta.free();
    held.doc.free();
  }

  version(): EngineVersion {
    return { kind: 'vector', entries: freed(this.doc.oplogVersion(), entriesOf) };
  }

  /** Our version vector, encoded (for a hello). */
  encodedVersion(): Uint8Array {
    return freed(this.doc.oplogVersion(), (v) => v.encode());
  }

  /** What a peer at `version` lacks, as one update; undefined when it lacks nothing. */
  missing(version: VersionVector): Uint8Array | undefined {
    const order = freed(this.doc.oplogVersion(), (ours) => ours.compare(version));
    if (order !== undefined && order <= 0) return undefined;
    return this.doc.export({ mode: 'update', from: version });
  }

  /** Import a peer's (validated) update with the session it came from. */
  receiveFromPeer(update: Uint8Array, session: LoroSession): void {
    this.change('remote', session, () => importStrictly(this.doc, update));
  }

  /** Run a change to the document; if it added operations, emit them as one change (the update). */
  private change(origin: EngineChange['origin'], source: LoroSession | undefined, action: () => void): void {
    const native = freed(this.doc.oplogVersion(), (before) => {
      this.origin = origin;
      action();
      const same = freed(this.doc.oplogVersion(), (after) => after.compare(before) === 0);
      return same ? undefined : this.doc.export({ mode: 'update', from: before });
    });
    if (native === undefined) return;
    const change: EngineChange = { origin, update: seal(EnvelopeKind.LoroUpdate, native) };
    this.feed.emit(change, native, source);
  }

  /** The raw Loro update behind a change this engine emitted (or opened from its stored form). */
  nativeUpdateOf(change: EngineChange): Uint8Array {
    return this.feed.detailsOf(change)?.native ?? unseal(change.update, EnvelopeKind.LoroUpdate);
  }
}

class LoroSession extends PeerSession {
  private peerVector: Record<string, number> | undefined;

  constructor(
    private readonly engine: LoroEngine,
    peer: string,
    send: (payload: Uint8Array) => void,
  ) {
    super(peer, engine, send);
  }

  receive(payload: Uint8Array): boolean {
    return this.receiveChecked(payload, decodeMessage, (message) => {
      if (message.type === 'hello') {
        freed(message.version, (version) => {
          this.peerVector = entriesOf(version);
          // Answered now, or on `start` (the version freed by then: decoded again from the hello's body).
          let decoded: VersionVector | undefined = version;
          this.answerHello(payload, () => {
            if (decoded !== undefined) this.sendMissing(decoded);
            else freed(helloVersion(payload), (again) => this.sendMissing(again));
          });
          decoded = undefined;
        });
      } else {
        this.engine.receiveFromPeer(message.update, this);
      }
    });
  }

  private sendMissing(version: VersionVector): void {
    const missing = this.engine.missing(version);
    if (missing !== undefined) this.send({ type: 'update', update: missing });
  }

  changed(change: EngineChange): void {
    if (!this.open || this.engine.sourceOf(change) === this) return;
    this.send({ type: 'update', update: this.engine.nativeUpdateOf(change) });
  }

  peerVersion(): EngineVersion | undefined {
    return this.peerVector && { kind: 'vector', entries: this.peerVector };
  }

  protected handshake(): void {
    this.ship(encodeMessage(MessageKind.Hello, this.engine.encodedVersion()));
  }

  private send(message: { readonly type: 'update'; readonly update: Uint8Array }): void {
    this.ship(encodeMessage(MessageKind.Update, message.update));
  }
}

function encodeMessage(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = kind;
  out.set(body, 1);
  return seal(EnvelopeKind.LoroMessage, out);
}

/** Throws for anything but a well-formed message (an update is checked when imported). */
function decodeMessage(payload: Uint8Array): LoroMessage {
  const bytes = unseal(payload, EnvelopeKind.LoroMessage);
  const body = bytes.subarray(1);
  if (bytes[0] === MessageKind.Hello) return { type: 'hello', version: VersionVector.decode(body) };
  if (bytes[0] === MessageKind.Update) return { type: 'update', update: body };
  throw new Error(`unknown loro message kind ${bytes[0]}`);
}

/** The version of a hello that decoded before (the caller frees it). */
function helloVersion(payload: Uint8Array): VersionVector {
  const message = decodeMessage(payload);
  if (message.type !== 'hello') throw new Error('not a hello');
  return message.version;
}

/** Import an update or snapshot; Loro's own errors (not always Error objects) become an Error. */
function importStrictly(doc: LoroDoc, bytes: Uint8Array): void {
  try {
    doc.import(bytes);
  } catch (error) {
    throw new Error(`malformed Loro update: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A version vector as a plain record with keys in numeric order (stable for display and comparison). */
function entriesOf(vector: VersionVector): Record<string, number> {
  return Object.fromEntries(
    [...vector.toJSON()]
      .map(([peer, counter]): [string, number] => [String(peer), counter])
      .sort(([a], [b]) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0)),
  );
}

/** Use a WebAssembly handle, then free it at once. */
function freed<T extends { free(): void }, R>(handle: T, use: (handle: T) => R): R {
  try {
    return use(handle);
  } finally {
    handle.free();
  }
}

/** A cart line's quantity, read from its own counter (not the whole map: the cost stays per line). */
function quantityAt(map: LoroMap, key: string): number | undefined {
  const entry: unknown = map.get(key);
  if (!(entry instanceof LoroCounter)) return isQuantity(entry) ? entry : undefined;
  return freed(entry, (counter) => (isQuantity(counter.value) ? counter.value : undefined));
}

function isQuantity(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}
