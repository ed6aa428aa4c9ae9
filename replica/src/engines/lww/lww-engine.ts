/**
 * The last-writer-wins engine: the baseline that shows what naive timestamp merging loses.
 *
 * Every field is an LWW register: each cart line ("cart/<product>": quantity, or null once removed),
 * the whole text ("text": a text edit writes the entire new text), each counter ("counters/<name>":
 * the new total) and the note. A write is stamped with the writer's wall clock as the replica sees it
 * (ctx.now(), which includes the replica's skew setting), ties broken by replica id, and carries the
 * writer's version vector. The greatest stamp wins, whatever the causal order: a replica whose clock
 * runs behind loses even the writes it made after seeing the winner. The ledger (lww-ledger.ts)
 * lists every write lost that way or to a concurrent write.
 *
 * Writes are delivered causally by crdt-core's OperationLog (a write waits until every write its
 * vector covers is here; duplicates are dropped), so the engine's vector is an exact summary of what it holds and a write's
 * vector says exactly what its writer had seen. The engine keeps every write (the history), because
 * peers need the writes they lack and every replica needs the same history to list the same ledger.
 *
 * Sync: 'hello' carries our vector; the peer answers with the writes we lack (in causal order, split
 * into bounded batches). Local and forwarded writes go to each peer as they happen. Anti-entropy
 * repeats the hello. Every message and stored batch is checksummed (envelope.ts).
 *
 * Identity: a replica's writes are numbered 1, 2, ... The replica must persist its local writes
 * before they reach peers; a replica that restarted without a write its peers already hold would
 * number a new write the same (peers keep the first one they saw).
 */
import { type LoggedOp, OperationLog, type ReplicaId, replicaId, VersionVector } from '@converge/crdt-core';
import type { Engine, EngineChange, EngineContext, EngineVersion, SyncSession } from '../../engine.ts';
import type { LostWrite } from '../../ledger.ts';
import {
  COUNTER_NAMES,
  type CounterName,
  type Intent,
  IntentError,
  unhandledIntent,
  validateIntent,
  type WorkspaceView,
} from '../../workspace.ts';
import { FeedEngine } from '../kit/feed-engine.ts';
import { Held } from '../kit/held.ts';
import { PeerSession } from '../kit/peer-session.ts';
import { applyTextIntent } from '../kit/text-edit.ts';
import { LwwLedger } from './lww-ledger.ts';
import {
  cartField,
  counterField,
  decodeMessage,
  decodeWrites,
  encodedWriteSize,
  encodeMessage,
  encodeWrites,
  type LwwField,
  type LwwValue,
  type LwwWrite,
  validateWrite,
} from './lww-write.ts';

/** Upper bound for one 'writes' message, so a large history never makes one oversized frame. */
const MAX_BATCH_BYTES = 256 * 1024;

export class LwwEngine extends FeedEngine<readonly LwwWrite[]> implements Engine {
  readonly name = 'lww' as const;
  private readonly held = new Held(this.name, {
    /** Every delivered write, in delivery (hence causal) order, and those that wait for their causes. */
    log: new OperationLog<LwwWrite>(),
    history: new LwwLedger(),
  });

  constructor(private readonly ctx: EngineContext) {
    super();
  }

  private get log(): OperationLog<LwwWrite> {
    return this.held.value.log;
  }

  private get history(): LwwLedger {
    return this.held.value.history;
  }

  apply(intent: Intent): void {
    this.assertOpen();
    validateIntent(intent);
    const next = this.nextValue(intent);
    if (next === undefined) return;
    const self = replicaId(this.ctx.replicaId);
    const counter = this.log.version().get(self) + 1;
    const wallMs = Math.floor(this.ctx.now());
    if (!Number.isSafeInteger(wallMs)) throw new Error(`clock returned ${wallMs}, not a time in ms`);
    const write = validateWrite({
      replica: self,
      counter,
      op: intent.op,
      field: next.field,
      value: next.value,
      wallMs,
      skewMs: this.ctx.skewMs?.() ?? 0,
      vector: { ...this.vectorRecord(), [self]: counter },
    });
    this.log.next(self, write);
    this.history.add(write);
    this.emit('local', [write]);
  }

  /** The field and value an intent writes, or undefined when it changes nothing. */
  private nextValue(intent: Intent): { field: LwwField; value: LwwValue } | undefined {
    switch (intent.op) {
      case 'cart.add': {
        const field = cartField(intent.product);
        return { field, value: checkedSum(this.numberAt(field), intent.qty) };
      }
      case 'cart.decrement': {
        // LWW can only set: "one less" writes the quantity this replica sees, minus qty.
        const field = cartField(intent.product);
        const seen = this.history.winner(field)?.value;
        return typeof seen === 'number' ? { field, value: checkedSum(seen, -intent.qty) } : undefined;
      }
      case 'cart.remove': {
        const field = cartField(intent.product);
        return typeof this.history.winner(field)?.value === 'number' ? { field, value: null } : undefined;
      }
      case 'cart.setQuantity':
        return { field: cartField(intent.product), value: intent.qty };
      case 'text.insert':
      case 'text.delete':
        return { field: 'text', value: applyTextIntent(this.text(), intent) };
      case 'counter.increment': {
        const field = counterField(intent.name);
        return { field, value: checkedSum(this.numberAt(field), intent.by) };
      }
      case 'note.set':
        return { field: 'note', value: intent.value };
      default:
        return unhandledIntent(intent);
    }
  }

  view(): WorkspaceView {
    const cart: [string, number][] = [];
    for (const write of this.history.winners()) {
      if (write.field.startsWith('cart/') && typeof write.value === 'number') {
        cart.push([write.field.slice('cart/'.length), write.value]);
      }
    }
    const counters = {} as Record<CounterName, number>;
    for (const name of COUNTER_NAMES) counters[name] = this.numberAt(counterField(name));
    const note = this.history.winner('note')?.value;
    return {
      text: this.text(),
      cart: Object.fromEntries(cart),
      counters,
      note: typeof note === 'string' ? [note] : [],
    };
  }

  applyUpdate(update: Uint8Array): void {
    this.assertOpen();
    const writes = decodeWrites(update);
    this.receiveWrites(writes, 'store');
  }

  save(): Uint8Array {
    return encodeWrites(this.writes());
  }

  openSession(peer: string, send: (payload: Uint8Array) => void): SyncSession {
    this.assertOpen();
    return new LwwSession(this, peer, send);
  }

  /** Plain objects only: dropping the log and the ledger is all it takes. */
  protected release(): void {
    this.held.release();
  }

  version(): EngineVersion {
    return { kind: 'vector', entries: this.vectorRecord() };
  }

  /** Every write this engine lost (identical on every replica once they hold the same writes). */
  ledger(): LostWrite[] {
    return this.history.lost();
  }

  /** Every delivered write, in causal order. */
  writes(): readonly LwwWrite[] {
    return this.writesMissingFrom({});
  }

  /** How many writes wait for a write they depend on. */
  waitingCount(): number {
    return this.log.waitingCount;
  }

  /** Our version vector as a record, keys sorted (stable for display and comparison). */
  vectorRecord(): Record<string, number> {
    return this.log.version().toJSON();
  }

  /** Writes a peer with `vector` lacks, in causal order. */
  writesMissingFrom(vector: Readonly<Record<string, number>>): LwwWrite[] {
    // The log never starts from a state (lww has no state transfer), so it can always answer.
    return (this.log.missing(VersionVector.from(Object.entries(vector))) ?? []).map((op) => op.body);
  }

  /** Deliver validated writes from a peer or the store; emits one change with those that were new. */
  receiveWrites(writes: readonly LwwWrite[], origin: 'remote' | 'store', source?: LwwSession): void {
    const delivered = this.log
      .receive(writes.map(loggedWrite), (op) => this.history.add(op.body))
      .map((op) => op.body);
    if (delivered.length > 0) this.emit(origin, delivered, source);
  }

  writesOf(change: EngineChange): readonly LwwWrite[] {
    return this.feed.detailsOf(change)?.native ?? decodeWrites(change.update);
  }

  private emit(origin: EngineChange['origin'], writes: readonly LwwWrite[], source?: LwwSession): void {
    const change: EngineChange = { origin, update: encodeWrites(writes) };
    this.feed.emit(change, writes, source);
  }

  private text(): string {
    const value = this.history.winner('text')?.value;
    return typeof value === 'string' ? value : '';
  }

  private numberAt(field: LwwField): number {
    const value = this.history.winner(field)?.value;
    return typeof value === 'number' ? value : 0;
  }
}

class LwwSession extends PeerSession {
  private peerVector: Readonly<Record<string, number>> | undefined;

  constructor(
    private readonly engine: LwwEngine,
    peer: string,
    private readonly sendPayload: (payload: Uint8Array) => void,
  ) {
    super(peer, engine);
  }

  receive(payload: Uint8Array): boolean {
    return this.receiveChecked(payload, decodeMessage, (message) => {
      if (message.type === 'hello') {
        this.peerVector = message.vector;
        if (this.open) this.sendWrites(this.engine.writesMissingFrom(message.vector));
      } else {
        // Only a throwing change listener can make this fail; the writes themselves were delivered.
        this.engine.receiveWrites(message.writes, 'remote', this);
      }
    });
  }

  changed(change: EngineChange): void {
    if (!this.open || this.engine.sourceOf(change) === this) return;
    const known = this.peerVector;
    const writes = this.engine.writesOf(change);
    this.sendWrites(known ? writes.filter((w) => w.counter > (known[w.replica] ?? 0)) : writes);
  }

  peerVersion(): EngineVersion | undefined {
    if (!this.peerVector) return undefined;
    const entries = Object.entries(this.peerVector).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return { kind: 'vector', entries: Object.fromEntries(entries) };
  }

  protected handshake(): void {
    this.sendPayload(encodeMessage({ type: 'hello', vector: this.engine.vectorRecord() }));
  }

  private sendWrites(writes: readonly LwwWrite[]): void {
    let batch: LwwWrite[] = [];
    let bytes = 0;
    for (const write of writes) {
      const size = encodedWriteSize(write);
      if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) {
        this.sendPayload(encodeMessage({ type: 'writes', writes: batch }));
        batch = [];
        bytes = 0;
      }
      batch.push(write);
      bytes += size;
    }
    if (batch.length > 0) this.sendPayload(encodeMessage({ type: 'writes', writes: batch }));
  }
}

/** A write as an entry of the causal log: its vector without its own entry is what its writer had seen. */
function loggedWrite(write: LwwWrite): LoggedOp<LwwWrite> {
  const replica: ReplicaId = replicaId(write.replica);
  const seen = Object.entries(write.vector).map(([r, c]): [string, number] =>
    r === replica ? [r, c - 1] : [r, c],
  );
  return { replica, counter: write.counter, deps: VersionVector.from(seen), body: write };
}

function checkedSum(current: number, delta: number): number {
  const sum = current + delta;
  if (!Number.isSafeInteger(sum)) throw new IntentError(`result ${sum} is not a safe integer`);
  return sum;
}
