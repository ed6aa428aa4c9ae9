/**
 * The Automerge engine: the workspace as an Automerge document, modelled the way Automerge suggests.
 *
 * Document, by the kind of each field of the workspace schema: a cart is { [product]: Counter } under
 * its name, a text a string (collaborative text) under its name, every counter a Counter under
 * `counters`, a register an ImmutableString under its name (set when first written). The default
 * schema's: { cart: { [product]: Counter }, text: string, counters: { likes: Counter, stock: Counter },
 * note?: ImmutableString }.
 *
 * Semantics under concurrency (what the comparison shows):
 * - Counters: increments are Counter operations, so concurrent increments add up.
 * - cart.add increments the line's Counter, or creates `Counter(qty)` when the line is absent.
 *   Two replicas concurrently creating the same line assign the key twice: both Counters are kept
 *   as conflicts, the view shows one (Automerge's conflict order) and the other creation's quantity
 *   is hidden; later increments apply to both.
 * - cart.decrement increments the line's Counter by −qty: "one less" and a concurrent "one more" both
 *   count.
 * - cart.setQuantity assigns a fresh `Counter(qty)`: increments made concurrently to the old Counter
 *   are lost with it; concurrent setQuantity calls conflict and one wins.
 * - cart.remove deletes the key, and a delete beats concurrent increments of the deleted Counter:
 *   remove wins over a concurrent add (unlike Yjs).
 * - Text keeps every concurrent insertion; positions are UTF-16 code units, as in JS strings.
 * - A register is an ImmutableString, not text: concurrent writes are all kept as conflicts, shown
 *   sorted as siblings in the view until a later write that saw them replaces them.
 *
 * Every replica starts from the same genesis change (fixed actor, fixed timestamp, the schema's root
 * objects: carts and texts in declaration order, then the counters), so the root objects (carts, texts, counters) are one shared object
 * each; were each replica to create them, Automerge would keep only one of the concurrently created
 * objects and drop the others' content.
 *
 * Sync: one Automerge sync state per session. Anti-entropy drops the session's in-flight bookkeeping
 * (keeping only the shared heads, as Automerge advises on reconnect) and restarts the exchange, which
 * repairs messages lost to chaos. Two guards against a livelock seen with plain Automerge sync after a
 * lost message (the peer keeps asking for a change that we believe we already sent, and both sides
 * answer each other forever): a message that names needed changes resets our in-flight bookkeeping
 * first, and a message identical to the last one sent, with our heads unchanged, is not sent again.
 * What peers send is queued and applied with one call per (paced) turn: Automerge's cost per apply call
 * grows with the document, not with what is applied (`enqueue`).
 * Store updates are the changes a change brought (an incremental save) in a checksummed envelope (Automerge's incremental
 * loader skips a damaged tail silently).
 */

import * as A from '@automerge/automerge';
import { errorMessage } from '@converge/protocol';
import type { Engine, EngineChange, EngineContext, EngineVersion, SyncSession } from '../../engine.ts';
import type { FieldEdit, NamedField, WorkspaceSchema } from '../../schema.ts';
import type { TextDelta } from '../../text-delta.ts';
import { type Intent, WORKSPACE, type WorkspaceView } from '../../workspace.ts';
import { seal, unseal } from '../kit/envelope.ts';
import { FeedEngine } from '../kit/feed-engine.ts';
import { Held } from '../kit/held.ts';
import { PeerSession } from '../kit/peer-session.ts';
import { randomUint32Of } from '../kit/random-source.ts';
import { CHANGE_MAGIC, isChangeChunk } from './change-chunk.ts';

/** What one payload from a peer brought, waiting in the engine's inbox. */
interface Arrival {
  readonly session: AutomergeSession;
  /** Changes to apply: pushed, or carried by a sync message. */
  readonly changes: readonly Uint8Array[];
  /** The sync message itself (its changes are applied with the others first), and what it needs. */
  readonly message?: { readonly bytes: Uint8Array; readonly needs: boolean };
}

/** The document's root: carts, texts and registers by field name, counters under `counters`. */
export type AutomergeWorkspace = Record<string, unknown> & { counters?: Record<string, A.Counter> };

type Doc = A.Doc<AutomergeWorkspace>;

const GENESIS_ACTOR = '00000000000000000000000000000000';

/** How many of a peer's reports of its heads a session keeps, when it lacks the newer ones (see heldPeerHeads). */
const MAX_REPORTS = 32;

/**
 * Anti-entropy rounds a push stays "on its way" (left out of sync messages, and a peer reporting the heads
 * it started from counts as behind on it, not missing it) before it is taken for lost and resent.
 */
const PUSH_ROUNDS_KEPT = 3;

/** At most this much longer than its last apply took does a paced engine wait for the next (see `enqueue`). */
export const MAX_EXTRA_PACE_MS = 2000;

/**
 * An engine paced as a background one (`remoteApplyPace` > 1: not the one the editor shows) also waits
 * for its peers to pause before an apply: as long as its paced gap (pace × its last apply), at most this
 * long (a typist's gap between words, not between keys), and within the same bound as the pace
 * (MAX_EXTRA_PACE_MS beyond its last apply, from the first change waiting). Cheap applies wait for no pause.
 */
export const BACKGROUND_QUIET_MS = 300;

/** Envelope kinds (kit/envelope.ts) of this engine's bytes. */
const EnvelopeKind = { AutomergeUpdate: 2 } as const;

const genesisOf = new WeakMap<WorkspaceSchema, Uint8Array>();

/**
 * The shared first change, identical on every replica (same actor, time, content → same hash): the
 * schema's root objects, in declaration order (registers are set when first written). Exported for
 * documents outside the engines (the relay's automerge-repo gateway starts the room's document from
 * it): an Automerge document loaded from these bytes shares the engine's root objects, where one made
 * with `from()` would create competing roots that hide each other's content.
 */
export function automergeGenesis(schema: WorkspaceSchema = WORKSPACE): Uint8Array {
  let bytes = genesisOf.get(schema);
  if (bytes === undefined) {
    const doc = A.change(A.init<AutomergeWorkspace>({ actor: GENESIS_ACTOR }), { time: 0 }, (d) => {
      const counters: Record<string, A.Counter> = {};
      for (const field of schema.fields) {
        if (field.kind === 'cart') d[field.name] = {};
        else if (field.kind === 'text') d[field.name] = '';
        else if (field.kind === 'counter' || field.kind === 'pn-counter')
          counters[field.name] = new A.Counter(0);
      }
      // Assigned whole, after the others: the same change as the workspace's genesis always was.
      if (Object.keys(counters).length > 0) d.counters = counters;
    });
    bytes = A.save(doc);
    genesisOf.set(schema, bytes);
  }
  return bytes;
}

export class AutomergeEngine extends FeedEngine<Uint8Array> implements Engine {
  readonly name = 'automerge' as const;
  protected readonly schema: WorkspaceSchema;
  /** The document: a handle to WebAssembly memory, which only `A.free` returns. */
  private readonly held: Held<Doc>;
  private cachedView: { readonly heads: string; readonly view: WorkspaceView } | undefined;
  private lastLocal:
    | { readonly change: EngineChange; readonly before: string; readonly after: string }
    | undefined;
  /** What peers sent since the last `drain`, in arrival order (see `enqueue`). */
  private inbox: Arrival[] = [];
  private cancelDrain: (() => void) | undefined;
  /** When the last `drain` ended and how long it took (the engine's clock): paces the next one. */
  private lastDrain = { endedAt: 0, tookMs: 0 };
  /** When the first and the last payload now waiting in the inbox arrived (the context's clock). */
  private readonly waiting = { firstAt: 0, lastAt: 0 };

  constructor(private readonly ctx: EngineContext) {
    super();
    this.schema = ctx.schema ?? WORKSPACE;
    const next = randomUint32Of(ctx);
    const actor = Array.from({ length: 4 }, () => next().toString(16).padStart(8, '0')).join('');
    const doc = A.load<AutomergeWorkspace>(automergeGenesis(this.schema), { actor });
    this.held = new Held(this.name, doc);
  }

  /** The current document (throws EngineClosedError once the engine is closed). */
  private get doc(): Doc {
    return this.held.value;
  }

  /** Every version of the document shares one WebAssembly handle; each change moves to the next version. */
  private set doc(next: Doc) {
    this.held.value = next;
  }

  apply(intent: Intent): void {
    this.assertOpen();
    const edit = this.schema.edit(intent);
    if (edit.kind === 'text') this.checkText(edit);
    const before = A.getHeads(this.doc);
    // Automerge's timestamps are advisory (never used to resolve conflicts); take them from the
    // injected clock so nothing reads the wall clock behind the replica's back.
    const time = Math.floor(this.ctx.now() / 1000);
    const patches = new TextPatches(this.schema);
    this.doc = A.change(this.doc, { time, patchCallback: patches.callback }, (d) => write(d, edit));
    this.emitTextOf(patches, 'local');
    this.emitIfChanged(before, 'local');
  }

  /**
   * Read from a fresh materialization (A.toJS), not from the document object Automerge keeps up to
   * date with patches: in 3.5 that object shows the wrong sibling after a conflicted Counter is
   * incremented (both siblings are incremented; the cached value becomes the loser's), so replicas
   * with identical heads would show different quantities. Cached per heads: the view is a function
   * of the applied history.
   */
  view(): WorkspaceView {
    const heads = A.getHeads(this.doc).join(',');
    if (this.cachedView?.heads === heads) return this.cachedView.view;
    const doc = A.toJS(this.doc) as unknown as Record<string, unknown>;
    const view = Object.freeze(this.schema.view((field) => this.fieldValue(field, doc))) as WorkspaceView;
    this.cachedView = { heads, view };
    return view;
  }

  /**
   * The view without its texts, from the backend's materialization of the carts and the counters only
   * (the same fresh materialization `view` reads, without the texts): O(those fields).
   */
  viewWithoutText(): WorkspaceView {
    const doc = this.doc;
    const backend = A.getBackend(doc);
    const read = (key: string): unknown => {
      const object = doc[key];
      const id = isRecord(object) ? A.getObjectId(object) : null;
      return id === null ? undefined : backend.materialize(id);
    };
    const materialized: Record<string, unknown> = {};
    for (const field of this.schema.fieldsOf('cart')) materialized[field.name] = read(field.name);
    if (this.schema.counters().length > 0) materialized.counters = read('counters');
    for (const field of this.schema.fieldsOf('register')) materialized[field.name] = doc[field.name];
    return this.schema.view((field) =>
      field.kind === 'text' ? '' : this.fieldValue(field, materialized),
    ) as WorkspaceView;
  }

  protected readText(field: string): string {
    return textOf(this.doc[field]);
  }

  /** A field's value in the view, from a materialized document. */
  private fieldValue(field: NamedField, doc: Record<string, unknown>): unknown {
    const value = doc[field.name];
    switch (field.kind) {
      case 'cart': {
        const lines: [string, number][] = [];
        if (isRecord(value)) {
          for (const [product, line] of Object.entries(value)) {
            const quantity = quantityOf(line);
            if (quantity !== undefined) lines.push([product, quantity]);
          }
        }
        return Object.freeze(Object.fromEntries(lines));
      }
      case 'text':
        return textOf(value);
      case 'register':
        return Object.freeze(this.siblings(field.name, value));
      default: {
        const counterObject = doc.counters;
        return (isRecord(counterObject) ? quantityOf(counterObject[field.name]) : undefined) ?? 0;
      }
    }
  }

  /** Report the text patches a change made, as deltas (a text replaced whole: once, whole). */
  private emitTextOf(patches: TextPatches, origin: EngineChange['origin']): void {
    for (const [field, deltas] of patches.byField) {
      if (deltas === 'replaced') {
        this.emitText(field, origin, [{ pos: 0, del: this.textLength(field), text: this.readText(field) }]);
      } else this.emitText(field, origin, deltas);
    }
  }

  applyUpdate(update: Uint8Array): void {
    this.assertOpen();
    const raw = unseal(update, EnvelopeKind.AutomergeUpdate);
    const before = A.getHeads(this.doc);
    const patches = new TextPatches(this.schema);
    try {
      this.doc = A.loadIncremental(this.doc, raw, { patchCallback: patches.callback });
    } catch (error) {
      throw new Error(`malformed Automerge update: ${errorMessage(error)}`);
    }
    this.emitTextOf(patches, 'store');
    this.emitIfChanged(before, 'store');
  }

  /**
   * Every update's changes in one `loadIncremental`: Automerge's cost per call grows with the document
   * (hundreds of ms in a 150 KB text) while ten changes in one call cost about what one does.
   */
  applyUpdates(updates: readonly Uint8Array[]): void {
    this.applyUpdate(
      seal(EnvelopeKind.AutomergeUpdate, concat(updates.map((u) => unseal(u, EnvelopeKind.AutomergeUpdate)))),
    );
  }

  save(): Uint8Array {
    return seal(EnvelopeKind.AutomergeUpdate, A.save(this.doc));
  }

  openSession(peer: string, send: (payload: Uint8Array) => void): SyncSession {
    this.assertOpen();
    return new AutomergeSession(this, peer, send);
  }

  /**
   * Free the document's WebAssembly memory now: the garbage collector does not see it, so it would
   * otherwise wait for a full collection that the small JS wrapper never prompts. (Sync states are
   * plain JS objects, encoded; they go with the sessions.)
   */
  protected release(): void {
    this.cachedView = undefined;
    this.cancelDrain?.();
    this.cancelDrain = undefined;
    this.inbox = [];
    const doc = this.held.release();
    if (doc !== undefined) A.free(doc);
  }

  version(): EngineVersion {
    return { kind: 'heads', heads: [...A.getHeads(this.doc)].sort() };
  }

  /** The current document (read-only use: Automerge documents are immutable snapshots). */
  current(): Doc {
    return this.doc;
  }

  /**
   * Take in a peer's sync message. `drain` applied its changes already, with everything else that arrived:
   * Automerge skips them as duplicates (a fraction of a ms) and updates the session's sync state as it
   * would have, reply included. A whole document chunk (a first sync) is left to this call.
   */
  receiveSyncMessage(state: A.SyncState, message: Uint8Array, session: AutomergeSession): A.SyncState {
    const before = A.getHeads(this.doc);
    const patches = new TextPatches(this.schema);
    const [doc, next] = A.receiveSyncMessage(this.doc, state, message, { patchCallback: patches.callback });
    this.doc = doc;
    this.emitTextOf(patches, 'remote');
    this.emitIfChanged(before, 'remote', session);
    return next;
  }

  /**
   * Queue what a peer sent, to take in with everything else that arrives before the deferred `drain`
   * (the context's `defer`; at once without it). Automerge's cost per apply call grows with the document
   * (tens of ms in a 150 KB text, hundreds in 1 MB) while many changes in one call cost about what one
   * does: applied one by one, keystrokes from two peers would keep a receiver busy for good.
   * Returns false if the changes could not be applied (only when applied at once).
   */
  enqueue(arrival: Arrival): boolean {
    this.inbox.push(arrival);
    const { defer } = this.ctx;
    if (defer === undefined) return this.drain();
    const now = this.ctx.now();
    if (this.inbox.length === 1) this.waiting.firstAt = now;
    this.waiting.lastAt = now;
    if (this.cancelDrain === undefined) {
      // Paced: the next apply waits `pace` times as long as the last one took (the replica's choice: 1 for
      // the primary engine), so however far peers run ahead, taking their changes in keeps at most
      // 1 / (1 + pace) of this thread busy (the rest is the user's), and each call takes in more of them.
      // The wait beyond one apply's duration is capped, so a slow apply (a large text on a loaded machine)
      // does not hold a non-primary engine seconds behind its peers.
      const { endedAt, tookMs } = this.lastDrain;
      const gap = Math.min(tookMs * (this.ctx.remoteApplyPace?.() ?? 1), tookMs + MAX_EXTRA_PACE_MS);
      const wait = Math.min(gap, Math.max(0, endedAt + gap - this.ctx.now()));
      this.cancelDrain = defer(() => this.drainWhenQuiet(), wait);
    }
    return true;
  }

  /**
   * The paced apply, once due. A background engine (pace > 1) takes its peers' changes in only once they
   * pause (see BACKGROUND_QUIET_MS) or its bound is reached: while a peer types, the other windows'
   * Automerge applies (each as costly as the document is large, and all windows' at the same moment, as
   * they get the same keys) come every couple of seconds instead of twice a second, so fewer of the
   * typist's frames wait for a core behind them (issue 19).
   */
  private drainWhenQuiet(): void {
    this.cancelDrain = undefined;
    const { defer } = this.ctx;
    const pace = this.ctx.remoteApplyPace?.() ?? 1;
    if (defer !== undefined && pace > 1 && this.inbox.length > 0) {
      const { tookMs } = this.lastDrain;
      const dueAt = Math.min(
        this.waiting.lastAt + Math.min(pace * tookMs, BACKGROUND_QUIET_MS),
        this.waiting.firstAt + tookMs + MAX_EXTRA_PACE_MS,
      );
      const wait = dueAt - this.ctx.now();
      if (wait > 0) {
        this.cancelDrain = defer(() => this.drainWhenQuiet(), wait);
        return;
      }
    }
    this.drainTimed();
  }

  /** Before a local edit: what is queued is taken in now (see Engine.settle). */
  settle(): void {
    if (this.inbox.length > 0) this.drainTimed();
  }

  private drainTimed(): void {
    this.cancelDrain?.();
    this.cancelDrain = undefined;
    const started = this.ctx.now();
    this.drain();
    const endedAt = this.ctx.now();
    this.lastDrain = { endedAt, tookMs: endedAt - started };
  }

  /**
   * Everything queued: all changes in one `loadIncremental` (changes whose dependencies are missing wait for
   * them; ones already held are skipped), reported as one remote change, then each sync message in order,
   * then one answer per session that sent one. Should the batch fail, each arrival is applied alone, so
   * one bad payload costs only itself. Never throws (it runs from a timer); false if anything failed.
   */
  private drain(): boolean {
    const arrivals = this.inbox;
    this.inbox = [];
    if (this.closed) return false;
    let ok = true;
    const withChanges = arrivals.filter((a) => a.changes.length > 0);
    const sources = new Set(withChanges.map((a) => a.session));
    try {
      this.applyRemote(
        withChanges.flatMap((a) => a.changes),
        sources.size === 1 ? withChanges[0]?.session : undefined,
        withChanges[0]?.session.peer,
      );
    } catch {
      for (const arrival of withChanges) {
        try {
          this.applyRemote(arrival.changes, arrival.session);
        } catch {
          ok = false;
        }
      }
    }
    const answering = new Set<AutomergeSession>();
    for (const arrival of arrivals) {
      if (arrival.message === undefined) continue;
      try {
        arrival.session.takeIn(arrival.message);
        answering.add(arrival.session);
      } catch {
        ok = false;
      }
    }
    for (const session of answering) {
      try {
        session.answer();
      } catch {
        ok = false;
      }
    }
    return ok;
  }

  /**
   * Apply peers' changes in one call and report them as one remote change (from `source`, if one sent all;
   * `from` names the first sender for the change's report when several sent them; a sole source names itself).
   */
  private applyRemote(
    changes: readonly Uint8Array[],
    source: AutomergeSession | undefined,
    from?: string,
  ): void {
    if (changes.length === 0) return;
    const before = A.getHeads(this.doc);
    const patches = new TextPatches(this.schema);
    // One loadIncremental over the chunks (what receiving them one by one did, in one call). It skips what
    // follows a damaged chunk silently: a sync message's changes are then applied by its own
    // receiveSyncMessage, a push's are brought again by the sync protocol (the heads still differ).
    this.doc = A.loadIncremental(this.doc, concat(changes), { patchCallback: patches.callback });
    this.emitTextOf(patches, 'remote');
    this.emitIfChanged(before, 'remote', source, from);
  }

  private emitIfChanged(
    before: A.Heads,
    origin: EngineChange['origin'],
    source?: SyncSession,
    from?: string,
  ): void {
    const after = A.getHeads(this.doc);
    if (sameHeads(before, after)) return;
    // The changes since `before`, concatenated: a valid incremental save (loadIncremental reads change
    // chunks), found from the heads in O(the changes); A.saveIncremental scans the document instead.
    const native = concat(A.getChangesSince(this.doc, before));
    const update = seal(EnvelopeKind.AutomergeUpdate, native);
    // A remote change may be taken in a turn after its payload arrived (paced): it names its sender itself.
    const sender = from ?? (origin === 'remote' ? source?.peer : undefined);
    const change: EngineChange = sender === undefined ? { origin, update } : { origin, update, from: sender };
    if (origin === 'local') this.lastLocal = { change, before: headsKey(before), after: headsKey(after) };
    this.feed.emit(change, native, source);
  }

  /**
   * The heads before and after a local change, while it is the latest one (sessions push it alone to
   * peers known to hold exactly what we held before it).
   */
  localHeads(change: EngineChange): { readonly before: string; readonly after: string } | undefined {
    return this.lastLocal?.change === change ? this.lastLocal : undefined;
  }

  /** Its changes (raw, as `emitIfChanged` reported them), if the engine made this change. */
  nativeOf(change: EngineChange): Uint8Array | undefined {
    return this.feed.detailsOf(change)?.native;
  }

  /** Take in changes a peer pushed (their raw bytes); changes whose dependencies are missing wait for them. */
  receiveChanges(changes: Uint8Array, session: AutomergeSession): void {
    const before = A.getHeads(this.doc);
    const patches = new TextPatches(this.schema);
    this.doc = A.loadIncremental(this.doc, changes, { patchCallback: patches.callback });
    this.emitTextOf(patches, 'remote');
    this.emitIfChanged(before, 'remote', session);
  }

  /** A register's values: every conflicting write, sorted. */
  private siblings(field: string, single: unknown): string[] {
    // getConflicts only answers when there are two or more values; a single value is read directly.
    const conflicts = A.getConflicts(this.doc, field);
    const candidates = conflicts ? Object.values(conflicts) : [single];
    const values: string[] = [];
    for (const value of candidates) {
      if (A.isImmutableString(value) || typeof value === 'string') values.push(value.toString());
    }
    return values.sort();
  }
}

/**
 * A live keystroke to a peer that holds what we held before it is pushed as the change alone (~100 bytes),
 * not wrapped in a sync message (heads, and a `have` with a Bloom filter: ~200 bytes). Everything else
 * (catch-up, concurrent changes, a peer we know less of) goes through Automerge's sync protocol, and
 * anti-entropy runs it regardless, so a lost push is repaired like a lost sync message: the peer keeps a
 * change whose dependency it lacks waiting until the protocol brings it.
 */
class AutomergeSession extends PeerSession {
  private state: A.SyncState = A.initSyncState();
  /** The peer's heads as last reported (kept across anti-entropy resets of the sync state). */
  private peerHeads: readonly string[] | undefined;
  /** The heads we know (its report) or assume (what we pushed since) the peer holds, as `headsKey`. */
  private peerHolds: string | undefined;
  private lastSent: { readonly heads: string; readonly message: Uint8Array } | undefined;
  /**
   * The changes pushed to the peer (by hash prefix: `checksumOf`), each with the anti-entropy round it was pushed in: a sync
   * message leaves them out. And the heads (as `headsKey`) each push started from, since the peer last
   * caught up: a peer reporting one of those is behind on pushes on their way, not missing them, so
   * pushing goes on. Both are forgotten PUSH_ROUNDS_KEPT anti-entropy rounds later (a push lost for good
   * is then resent), or at once when the peer names a change it needs.
   */
  private readonly pushed = new Map<string, number>();
  /** The peer's reports of its heads, oldest first: the newest one held here, and any newer (see `heldPeerHeads`). */
  private readonly reported: (readonly string[])[] = [];
  private readonly pushedFrom = new Map<string, number>();
  private round = 0;
  /**
   * The peer's last message reported heads we hold, which it holds from us or which pushes on their way
   * started from, and asked for nothing: it lacks nothing but those pushes, and we lack nothing of it; an
   * answer (our heads, ~80 bytes, per peer) would only tell it of them. See `answer`.
   */
  private followsPushes = false;

  constructor(
    private readonly engine: AutomergeEngine,
    peer: string,
    send: (payload: Uint8Array) => void,
  ) {
    super(peer, engine, send);
  }

  protected handshake(): void {
    this.state = A.initSyncState();
    this.pushed.clear();
    this.pushedFrom.clear();
    this.flush(true);
  }

  /**
   * Checked at once (a payload that does not decode is refused here), then queued with whatever else
   * arrives this turn (AutomergeEngine.enqueue).
   */
  receive(payload: Uint8Array): boolean {
    if (this.engineClosed || !(payload instanceof Uint8Array)) return false;
    let arrival: Arrival;
    try {
      if (isChangeChunk(payload)) {
        arrival = { session: this, changes: splitChanges(payload) };
      } else {
        const message = A.decodeSyncMessage(payload);
        // A whole document (a first sync) is loaded by receiveSyncMessage itself, not batched.
        const whole = message.changes.some(isDocumentChunk);
        arrival = {
          session: this,
          changes: whole ? [] : message.changes,
          message: { bytes: payload, needs: message.need.length > 0 },
        };
      }
    } catch {
      return false;
    }
    return this.engine.enqueue(arrival);
  }

  /** A sync message whose changes the engine applied: update the sync state (the answer comes after). */
  takeIn(message: { readonly bytes: Uint8Array; readonly needs: boolean }): void {
    if (this.isClosed) return;
    // Automerge never resends a change it believes it sent, even when the peer lists it as needed
    // (it was lost): both sides would then answer each other forever. A peer that names what it
    // needs gets a clean slate: forget what we think is in flight, then take in its message.
    if (message.needs) this.forgetInFlight();
    this.state = this.engine.receiveSyncMessage(this.state, message.bytes, this);
    this.followsPushes = false;
    if (this.state.theirHeads) {
      this.peerHeads = [...this.state.theirHeads].sort();
      this.reported.push(this.peerHeads);
      if (this.reported.length > MAX_REPORTS) this.reported.splice(1, 1); // keep the oldest: a floor
      const reported = this.peerHeads.join(',');
      this.followsPushes =
        !message.needs &&
        (reported === this.peerHolds || this.pushedFrom.has(reported)) &&
        holdsAll(this.engine.current(), this.peerHeads);
      if (reported === this.peerHolds)
        this.pushedFrom.clear(); // caught up with every push
      else if (!this.pushedFrom.has(reported)) this.peerHolds = reported;
    }
  }

  /**
   * Answer the sync messages taken in this turn (once, whatever their number), unless the peer lacks
   * nothing but pushes on their way (`followsPushes`): a typist's peers report their heads as each push
   * arrives, and answering each report would cost every peer a message per keystroke. A push lost on the
   * way is repaired by anti-entropy, which forgets it PUSH_ROUNDS_KEPT rounds later and runs the protocol regardless.
   */
  answer(): void {
    if (this.followsPushes) return;
    this.flush();
  }

  changed(change: EngineChange): void {
    if (this.engine.sourceOf(change) === this) return;
    const local = this.engine.localHeads(change);
    const changes = this.engine.nativeOf(change);
    if (this.open && local !== undefined && changes !== undefined) {
      if (local.before === this.peerHolds) {
        this.peerHolds = local.after;
        this.pushedFrom.set(local.before, this.round);
        this.push(local, changes);
        return;
      }
      // The peer has not told its heads yet, so the protocol would send this change only in answer to
      // them: a replica closing before that answer (a bridge whose client edits and leaves) would leave
      // the room without it. Pushed now too; a peer lacking its dependencies keeps it until the protocol
      // brings them.
      if (this.peerHeads === undefined) this.push(local, changes);
    }
    this.flush();
  }

  /** Ship a local change as it is, noted as pushed (a sync message leaves it out). */
  private push(local: { readonly before: string; readonly after: string }, changes: Uint8Array): void {
    const before = new Set(local.before.split(','));
    for (const hash of local.after.split(','))
      if (!before.has(hash)) this.pushed.set(hash.slice(0, 8), this.round);
    this.ship(changes);
  }

  /**
   * An anti-entropy round: forget the pushes older than PUSH_ROUNDS_KEPT rounds (a lost one is then
   * resent; a peer whose paced applies take seconds has not reported a younger one yet), and run
   * the protocol again, unless the peer's last report, since then, still shows it lacking nothing but
   * pushes of this round on their way and holding nothing we lack: a peer stuck behind a lost push
   * reports heads whose push is forgotten now, and gets the round.
   */
  protected override repair(): void {
    this.forgetInFlight(this.round - PUSH_ROUNDS_KEPT + 1);
    this.round++;
    const reported = this.peerHeads?.join(',');
    if (this.followsPushes && reported !== undefined && this.pushedFrom.has(reported)) return;
    this.flush(true);
  }

  peerVersion(): EngineVersion | undefined {
    return this.peerHeads ? { kind: 'heads', heads: this.peerHeads } : undefined;
  }

  /**
   * The generated message without what the peer needs no more. Pushes bypass Automerge's sync state, so
   * after a few of them it no longer knows what the peer holds: it answers with the changes pushed
   * already (bundled), or on an anti-entropy round with the whole document (compressed, yet at 1 MB of
   * real text hundreds of KB, every round). A peer whose heads it reported and we hold (its newest such
   * report) lacks only the changes since them, less those pushed to it lately (on their way; a lost one is resent once
   * anti-entropy forgets it, and anything else the peer lacks it asks for by hash): those are sent
   * instead, when smaller.
   */
  private trimmed(
    doc: Doc,
    message: Uint8Array,
  ): { readonly bytes: Uint8Array; readonly changes: Uint8Array[] } {
    const decoded = A.decodeSyncMessage(message);
    if (decoded.changes.length === 0) return { bytes: message, changes: [] };
    const held = this.heldPeerHeads(doc);
    if (held === undefined) return { bytes: message, changes: decoded.changes };
    const lacking = this.notPushed(A.getChangesSince(doc, [...held]));
    const size = (changes: readonly Uint8Array[]): number => changes.reduce((n, c) => n + c.length, 0);
    if (size(lacking) >= size(decoded.changes)) return { bytes: message, changes: decoded.changes };
    return { bytes: A.encodeSyncMessage({ ...decoded, changes: lacking }), changes: lacking };
  }

  /**
   * A sync message carrying our heads' changes, to a peer whose reported heads we hold, brings it to our
   * heads once it arrives, as a push does: count it as one, so the next keystroke is pushed again. (Else a
   * typist faster than the peer's reports would stay on the protocol for good: a sync message per
   * keystroke, and an answer to each report.)
   */
  private carried(doc: Doc, changes: readonly Uint8Array[]): void {
    const theirs = this.peerHeads;
    if (changes.length === 0 || theirs === undefined) return;
    if (!holdsAll(doc, theirs)) return;
    const carried = new Set(changes.map(checksumOf));
    const heads = A.getHeads(doc);
    if (!heads.every((hash) => theirs.includes(hash) || carried.has(hash.slice(0, 8)))) return;
    this.pushedFrom.set(theirs.join(','), this.round);
    this.peerHolds = headsKey(heads);
    for (const checksum of carried) this.pushed.set(checksum, this.round);
  }

  /**
   * The newest heads the peer reported that this replica holds: the peer holds at least their history
   * (a peer ahead of us reports heads we lack; an earlier report of it still bounds what it holds).
   */
  private heldPeerHeads(doc: Doc): readonly string[] | undefined {
    // Every report's heads looked up in one call: getChangeByHash would build each change it finds (in
    // the app, a tenth of the typing window's worker at 150 KB: this runs on every local change).
    const missing = missingOf(doc, this.reported.flat());
    const holds = (heads: readonly string[]): boolean => heads.every((hash) => !missing.has(hash));
    for (let i = this.reported.length - 1; i >= 0; i--) {
      const heads = this.reported[i] as readonly string[];
      if (!holds(heads)) continue;
      this.reported.splice(0, i + 1, heads); // older reports are ancestors of this one: forget them
      return heads;
    }
    return undefined;
  }

  /** The changes not pushed to the peer lately (see `pushed`). */
  private notPushed(changes: Uint8Array[]): Uint8Array[] {
    if (this.pushed.size === 0) return changes;
    return changes.filter((change) => !this.pushed.has(checksumOf(change)));
  }

  /**
   * Forget what we believe is in flight (a dropped message would otherwise never be resent) but keep
   * the heads both sides are known to share, as Automerge advises on reconnect; and the pushes made
   * before round `pushedBefore` (all by default).
   */
  private forgetInFlight(pushedBefore = Number.POSITIVE_INFINITY): void {
    this.state = A.decodeSyncState(A.encodeSyncState(this.state));
    for (const pushes of [this.pushed, this.pushedFrom])
      for (const [key, round] of pushes) if (round < pushedBefore) pushes.delete(key);
  }

  /**
   * Send the next sync message, if the protocol has one for this peer. A message identical to the
   * previous one, with our document unchanged since, tells the peer nothing new: it is not sent
   * again (that would only keep a fruitless exchange going), except on start and anti-entropy.
   */
  private flush(force = false): void {
    if (!this.open) return;
    const doc = this.engine.current();
    const [state, generated] = A.generateSyncMessage(doc, this.state);
    this.state = state;
    if (!generated) return;
    const { bytes: message, changes } = this.trimmed(doc, generated);
    const heads = A.getHeads(doc).join(',');
    if (
      !force &&
      this.lastSent &&
      heads === this.lastSent.heads &&
      sameBytes(message, this.lastSent.message)
    ) {
      return;
    }
    this.lastSent = { heads, message };
    this.ship(message);
    this.carried(doc, changes);
  }
}

/**
 * Collects a change's patches on text fields: `splice` and `del` at [field, index] are positional
 * deltas already; anything else on a text field (its string replaced: a `put` at [field]) makes the
 * field 'replaced', reported whole.
 */
class TextPatches {
  readonly byField = new Map<string, TextDelta[] | 'replaced'>();
  private readonly texts: ReadonlySet<string>;

  constructor(schema: WorkspaceSchema) {
    this.texts = new Set(schema.fieldsOf('text').map((f) => f.name));
  }

  readonly callback = (patches: A.Patch[]): void => {
    for (const patch of patches) {
      const [field, index] = patch.path;
      if (typeof field !== 'string' || !this.texts.has(field)) continue;
      const deltas = this.byField.get(field) ?? [];
      if (deltas === 'replaced') continue;
      if (patch.path.length === 2 && typeof index === 'number' && patch.action === 'splice')
        deltas.push({ pos: index, del: 0, text: patch.value });
      else if (patch.path.length === 2 && typeof index === 'number' && patch.action === 'del')
        deltas.push({ pos: index, del: patch.length ?? 1, text: '' });
      else {
        this.byField.set(field, 'replaced');
        continue;
      }
      this.byField.set(field, deltas);
    }
  };
}

function write(d: AutomergeWorkspace, edit: FieldEdit): void {
  switch (edit.kind) {
    case 'cart': {
      const cart = d[edit.field] as Record<string, A.Counter>;
      const line = cart[edit.product];
      if (edit.action === 'add') {
        if (A.isCounter(line)) line.increment(edit.qty);
        else cart[edit.product] = new A.Counter(edit.qty);
      } else if (edit.action === 'decrement') {
        if (A.isCounter(line)) line.increment(-edit.qty);
      } else if (edit.action === 'remove') {
        if (edit.product in cart) delete cart[edit.product];
      } else {
        cart[edit.product] = new A.Counter(edit.qty);
      }
      return;
    }
    case 'text':
      if (edit.action === 'insert') A.splice(d, [edit.field], edit.pos, 0, edit.text);
      else A.splice(d, [edit.field], edit.pos, edit.len);
      return;
    case 'counter':
    case 'pn-counter': {
      d.counters ??= {};
      const counter = d.counters[edit.field];
      if (A.isCounter(counter)) counter.increment(edit.by);
      else d.counters[edit.field] = new A.Counter(edit.by);
      return;
    }
    case 'register':
      d[edit.field] = new A.ImmutableString(edit.value);
      return;
  }
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function quantityOf(value: unknown): number | undefined {
  const n = A.isCounter(value) ? value.value : value;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Heads as one comparable string (sorted). */
function headsKey(heads: readonly string[]): string {
  return [...heads].sort().join(',');
}

/**
 * The changes in a payload of concatenated change chunks (each: magic, 4-byte checksum, chunk type, LEB128
 * length, contents). Throws if a chunk is not a change or is cut short.
 */
function splitChanges(bytes: Uint8Array): Uint8Array[] {
  const changes: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (!CHANGE_MAGIC.every((byte, i) => bytes[at + i] === byte)) throw new Error('not an Automerge change');
    let p = at + 9;
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[p++];
      if (byte === undefined || shift > 28) throw new Error('malformed Automerge change length');
      length += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
    }
    const end = p + length;
    if (end > bytes.length) throw new Error('truncated Automerge change');
    changes.push(bytes.subarray(at, end));
    at = end;
  }
  return changes;
}

/** Chunk type 0: a whole document (1 and 2 are changes, plain and deflated). */
function isDocumentChunk(chunk: Uint8Array): boolean {
  return chunk[8] === 0;
}

/**
 * Which of `heads` the document lacks, with one change-graph lookup (never building a change, as
 * hasHeads and getChangeByHash do). A malformed hash makes the lookup throw: then all of them count as
 * missing, the answer that holds nothing back.
 */
export function missingOf(doc: A.Doc<unknown>, heads: readonly string[]): ReadonlySet<string> {
  if (heads.length === 0) return new Set();
  try {
    return new Set(A.getMissingDeps(doc, [...heads]));
  } catch {
    return new Set(heads);
  }
}

/**
 * A change's checksum in hex: the first four bytes of its hash (the chunk header holds it), so a change is
 * recognized without decoding it (which for a pasted megabyte costs milliseconds).
 */
function checksumOf(change: Uint8Array): string {
  let hex = '';
  for (let i = 4; i < 8; i++) hex += (change[i] ?? 0).toString(16).padStart(2, '0');
  return hex;
}

/**
 * Whether the document holds every change of `heads` (a peer ahead of us reports heads we lack), by
 * missingOf's one lookup.
 */
function holdsAll(doc: Doc, heads: readonly string[]): boolean {
  return missingOf(doc, heads).size === 0;
}

function sameHeads(a: A.Heads, b: A.Heads): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((h) => set.has(h));
}
