/**
 * The Automerge engine: the workspace as an Automerge document, modelled the way Automerge suggests.
 *
 * Document: { cart: { [product]: Counter }, text: string (collaborative text), counters: { likes:
 * Counter, stock: Counter }, note?: ImmutableString }.
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
 * - note is a register (ImmutableString, not text): concurrent writes are all kept as conflicts,
 *   shown sorted as siblings in view().note until a later write that saw them replaces them.
 *
 * Every replica starts from the same genesis change (fixed actor, fixed timestamp), so the root
 * objects (cart, text, counters) are one shared object each; were each replica to create them,
 * Automerge would keep only one of the concurrently created objects and drop the others' content.
 *
 * Sync: one Automerge sync state per session. Anti-entropy drops the session's in-flight bookkeeping
 * (keeping only the shared heads, as Automerge advises on reconnect) and restarts the exchange, which
 * repairs messages lost to chaos. Two guards against a livelock seen with plain Automerge sync after a
 * lost message (the peer keeps asking for a change that we believe we already sent, and both sides
 * answer each other forever): a message that names needed changes resets our in-flight bookkeeping
 * first, and a message identical to the last one sent, with our heads unchanged, is not sent again.
 * Store updates are Automerge incremental saves in a checksummed envelope (Automerge's incremental
 * loader skips a damaged tail silently).
 */

import * as A from '@automerge/automerge';
import { errorMessage } from '@converge/protocol';
import type { Engine, EngineChange, EngineContext, EngineVersion, SyncSession } from '../../engine.ts';
import {
  COUNTER_NAMES,
  type CounterName,
  type Intent,
  unhandledIntent,
  validateIntent,
  type WorkspaceView,
} from '../../workspace.ts';
import { seal, unseal } from '../kit/envelope.ts';
import { FeedEngine } from '../kit/feed-engine.ts';
import { Held } from '../kit/held.ts';
import { PeerSession } from '../kit/peer-session.ts';
import { randomUint32Of } from '../kit/random-source.ts';
import { checkTextIntent } from '../kit/text-edit.ts';

export interface AutomergeWorkspace {
  cart: Record<string, A.Counter>;
  text: string;
  counters: Record<CounterName, A.Counter>;
  note?: A.ImmutableString;
}

type Doc = A.Doc<AutomergeWorkspace>;

const GENESIS_ACTOR = '00000000000000000000000000000000';

/** Envelope kinds (kit/envelope.ts) of this engine's bytes. */
const EnvelopeKind = { AutomergeUpdate: 2 } as const;

/** The shared first change, identical on every replica (same actor, time, content → same hash). */
const GENESIS: Uint8Array = (() => {
  const doc = A.change(A.init<AutomergeWorkspace>({ actor: GENESIS_ACTOR }), { time: 0 }, (d) => {
    d.cart = {};
    d.text = '';
    d.counters = { likes: new A.Counter(0), stock: new A.Counter(0) };
  });
  return A.save(doc);
})();

export class AutomergeEngine extends FeedEngine<Uint8Array> implements Engine {
  readonly name = 'automerge' as const;
  /** The document: a handle to WebAssembly memory, which only `A.free` returns. */
  private readonly held: Held<Doc>;
  private cachedView: { readonly heads: string; readonly view: WorkspaceView } | undefined;

  constructor(private readonly ctx: EngineContext) {
    super();
    const next = randomUint32Of(ctx);
    const actor = Array.from({ length: 4 }, () => next().toString(16).padStart(8, '0')).join('');
    const doc = A.load<AutomergeWorkspace>(GENESIS, { actor });
    this.held = new Held(this.name, doc);
    // Start incremental saves after the genesis: every engine already has it.
    A.saveIncremental(doc);
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
    validateIntent(intent);
    if (intent.op === 'text.insert' || intent.op === 'text.delete') checkTextIntent(this.view().text, intent);
    const before = A.getHeads(this.doc);
    // Automerge's timestamps are advisory (never used to resolve conflicts); take them from the
    // injected clock so nothing reads the wall clock behind the replica's back.
    const time = Math.floor(this.ctx.now() / 1000);
    this.doc = A.change(this.doc, { time }, (d) => write(d, intent));
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
    const lines: [string, number][] = [];
    const cartObject = doc.cart;
    if (isRecord(cartObject)) {
      for (const [product, value] of Object.entries(cartObject)) {
        const quantity = quantityOf(value);
        if (quantity !== undefined) lines.push([product, quantity]);
      }
    }
    const counters = {} as Record<CounterName, number>;
    const counterObject = doc.counters;
    for (const name of COUNTER_NAMES) {
      counters[name] = (isRecord(counterObject) ? quantityOf(counterObject[name]) : undefined) ?? 0;
    }
    const view: WorkspaceView = Object.freeze({
      text: typeof doc.text === 'string' ? doc.text : '',
      cart: Object.freeze(Object.fromEntries(lines)),
      counters: Object.freeze(counters),
      note: Object.freeze(this.noteSiblings(doc.note)),
    });
    this.cachedView = { heads, view };
    return view;
  }

  applyUpdate(update: Uint8Array): void {
    this.assertOpen();
    const raw = unseal(update, EnvelopeKind.AutomergeUpdate);
    const before = A.getHeads(this.doc);
    try {
      this.doc = A.loadIncremental(this.doc, raw);
    } catch (error) {
      throw new Error(`malformed Automerge update: ${errorMessage(error)}`);
    }
    this.emitIfChanged(before, 'store');
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

  /** Feed a peer's sync message into the document; throws if Automerge rejects it. */
  receiveSyncMessage(state: A.SyncState, message: Uint8Array, session: AutomergeSession): A.SyncState {
    const before = A.getHeads(this.doc);
    const [doc, next] = A.receiveSyncMessage(this.doc, state, message);
    this.doc = doc;
    this.emitIfChanged(before, 'remote', session);
    return next;
  }

  private emitIfChanged(before: A.Heads, origin: EngineChange['origin'], source?: SyncSession): void {
    if (sameHeads(before, A.getHeads(this.doc))) return;
    const native = A.saveIncremental(this.doc);
    const change: EngineChange = { origin, update: seal(EnvelopeKind.AutomergeUpdate, native) };
    this.feed.emit(change, native, source);
  }

  private noteSiblings(single: unknown): string[] {
    // getConflicts only answers when there are two or more values; a single value is read directly.
    const conflicts = A.getConflicts(this.doc, 'note');
    const candidates = conflicts ? Object.values(conflicts) : [single];
    const values: string[] = [];
    for (const value of candidates) {
      if (A.isImmutableString(value) || typeof value === 'string') values.push(value.toString());
    }
    return values.sort();
  }
}

class AutomergeSession extends PeerSession {
  private state: A.SyncState = A.initSyncState();
  /** The peer's heads as last reported (kept across anti-entropy resets of the sync state). */
  private peerHeads: readonly string[] | undefined;
  private lastSent: { readonly heads: string; readonly message: Uint8Array } | undefined;

  constructor(
    private readonly engine: AutomergeEngine,
    peer: string,
    private readonly send: (payload: Uint8Array) => void,
  ) {
    super(peer, engine);
  }

  protected handshake(): void {
    this.state = A.initSyncState();
    this.flush(true);
  }

  receive(payload: Uint8Array): boolean {
    if (this.engineClosed || !(payload instanceof Uint8Array)) return false;
    try {
      // Automerge never resends a change it believes it sent, even when the peer lists it as needed
      // (it was lost): both sides would then answer each other forever. A peer that names what it
      // needs gets a clean slate: forget what we think is in flight, then take in its message.
      if (A.decodeSyncMessage(payload).need.length > 0) this.forgetInFlight();
      this.state = this.engine.receiveSyncMessage(this.state, payload, this);
      if (this.state.theirHeads) this.peerHeads = [...this.state.theirHeads].sort();
    } catch {
      return false;
    }
    try {
      this.flush();
      return true;
    } catch {
      return false;
    }
  }

  changed(change: EngineChange): void {
    if (this.engine.sourceOf(change) === this) return;
    this.flush();
  }

  protected override repair(): void {
    this.forgetInFlight();
    this.flush(true);
  }

  peerVersion(): EngineVersion | undefined {
    return this.peerHeads ? { kind: 'heads', heads: this.peerHeads } : undefined;
  }

  /**
   * Forget what we believe is in flight (a dropped message would otherwise never be resent) but keep
   * the heads both sides are known to share, as Automerge advises on reconnect.
   */
  private forgetInFlight(): void {
    this.state = A.decodeSyncState(A.encodeSyncState(this.state));
  }

  /**
   * Send the next sync message, if the protocol has one for this peer. A message identical to the
   * previous one, with our document unchanged since, tells the peer nothing new: it is not sent
   * again (that would only keep a fruitless exchange going), except on start and anti-entropy.
   */
  private flush(force = false): void {
    if (!this.open) return;
    const doc = this.engine.current();
    const [state, message] = A.generateSyncMessage(doc, this.state);
    this.state = state;
    if (!message) return;
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
    this.send(message);
  }
}

function write(d: AutomergeWorkspace, intent: Intent): void {
  switch (intent.op) {
    case 'cart.add': {
      const line = d.cart[intent.product];
      if (A.isCounter(line)) line.increment(intent.qty);
      else d.cart[intent.product] = new A.Counter(intent.qty);
      return;
    }
    case 'cart.decrement': {
      const line = d.cart[intent.product];
      if (A.isCounter(line)) line.increment(-intent.qty);
      return;
    }
    case 'cart.remove':
      if (intent.product in d.cart) delete d.cart[intent.product];
      return;
    case 'cart.setQuantity':
      d.cart[intent.product] = new A.Counter(intent.qty);
      return;
    case 'text.insert':
      A.splice(d, ['text'], intent.pos, 0, intent.text);
      return;
    case 'text.delete':
      A.splice(d, ['text'], intent.pos, intent.len);
      return;
    case 'counter.increment': {
      const counter = d.counters[intent.name];
      if (A.isCounter(counter)) counter.increment(intent.by);
      else d.counters[intent.name] = new A.Counter(intent.by);
      return;
    }
    case 'note.set':
      d.note = new A.ImmutableString(intent.value);
      return;
    default:
      unhandledIntent(intent);
  }
}

function quantityOf(value: unknown): number | undefined {
  const n = A.isCounter(value) ? value.value : value;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameHeads(a: A.Heads, b: A.Heads): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((h) => set.has(h));
}
