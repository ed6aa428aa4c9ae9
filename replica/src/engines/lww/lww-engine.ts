/**
 * The last-writer-wins engine: the baseline that shows what naive timestamp merging loses.
 *
 * Every field of the workspace schema is LWW registers, one per path: each cart line ("cart/<product>":
 * quantity, or null once removed), a whole text ("text": a text edit writes the entire new text), each
 * counter ("counters/<name>": the new total) and each register ("note"). A write is stamped with the writer's wall clock as the replica sees it
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
 * Text: a text write means "the whole text is now this" (the register semantics above), but it travels and
 * is stored as a patch against the write its writer saw (lww-texts.ts): a keystroke costs bytes for the
 * keystroke, not for the text, on the wire, in the store and in memory, and the text is built only when
 * read. Text listeners are told each winner change as deltas (the winner's patches when it typed on).
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
import { COUNTERS, type FieldEdit, IntentError, type WorkspaceSchema } from '../../schema.ts';
import { type Intent, WORKSPACE, type WorkspaceView } from '../../workspace.ts';
import { FeedEngine } from '../kit/feed-engine.ts';
import { Held } from '../kit/held.ts';
import { PeerSession } from '../kit/peer-session.ts';
import { LwwLedger } from './lww-ledger.ts';
import { LwwTexts, type TextPatch, type WriteRef } from './lww-texts.ts';
import { fieldOf, LwwCodec, type LwwField, type LwwValue, type LwwWrite } from './lww-write.ts';

/** Upper bound for one 'writes' message, so a large history never makes one oversized frame. */
const MAX_BATCH_BYTES = 256 * 1024;

export class LwwEngine extends FeedEngine<readonly LwwWrite[]> implements Engine {
  readonly name = 'lww' as const;
  readonly codec: LwwCodec;
  private readonly held = new Held(this.name, {
    /** Every delivered write, in delivery (hence causal) order, and those that wait for their causes. */
    log: new OperationLog<LwwWrite>(),
    history: new LwwLedger(),
    /** The text writes' patches, and the texts built from them. */
    texts: new LwwTexts(),
    /** Per text field, the write whose text the text mirror holds (what listeners were told). */
    shown: new Map<LwwField, WriteRef>(),
  });

  constructor(private readonly ctx: EngineContext) {
    super();
    this.codec = new LwwCodec(ctx.schema ?? WORKSPACE, (ref) => this.texts.text(ref));
  }

  protected get schema(): WorkspaceSchema {
    return this.codec.schema;
  }

  private get texts(): LwwTexts {
    return this.held.value.texts;
  }

  private get log(): OperationLog<LwwWrite> {
    return this.held.value.log;
  }

  private get history(): LwwLedger {
    return this.held.value.history;
  }

  apply(intent: Intent): void {
    this.assertOpen();
    const edit = this.schema.edit(intent);
    const next = this.nextValue(edit);
    if (next === undefined) return;
    const self = replicaId(this.ctx.replicaId);
    const counter = this.log.version().get(self) + 1;
    const wallMs = Math.floor(this.ctx.now());
    if (!Number.isSafeInteger(wallMs)) throw new Error(`clock returned ${wallMs}, not a time in ms`);
    const fields = {
      replica: self,
      counter,
      op: intent.op,
      field: next.field,
      wallMs,
      skewMs: this.ctx.skewMs?.() ?? 0,
      vector: { ...this.vectorRecord(), [self]: counter },
    };
    const write = this.codec.validate(
      'patch' in next ? this.codec.textWrite(fields, next.patch) : { ...fields, value: next.value },
    );
    this.log.next(self, write);
    this.deliver(write);
    this.showWinners('local');
    this.emit('local', [write]);
  }

  /** The field and value (a text: the patch against its winner) an edit writes, or undefined for none. */
  private nextValue(
    edit: FieldEdit,
  ): { field: LwwField; value: LwwValue } | { field: LwwField; patch: TextPatch } | undefined {
    const field = fieldOf(edit);
    switch (edit.kind) {
      case 'cart': {
        const seen = this.history.winner(field)?.value;
        if (edit.action === 'add') return { field, value: checkedSum(this.numberAt(field), edit.qty) };
        // LWW can only set: "one less" writes the quantity this replica sees, minus qty.
        if (edit.action === 'decrement')
          return typeof seen === 'number' ? { field, value: checkedSum(seen, -edit.qty) } : undefined;
        if (edit.action === 'remove') return typeof seen === 'number' ? { field, value: null } : undefined;
        return { field, value: edit.qty };
      }
      case 'text': {
        this.checkText(edit);
        const winner = this.history.winner(field);
        const base = winner === undefined ? null : { replica: winner.replica, counter: winner.counter };
        const patch =
          edit.action === 'insert'
            ? { base, pos: edit.pos, del: 0, text: edit.text }
            : { base, pos: edit.pos, del: edit.len, text: '' };
        return { field, patch };
      }
      case 'counter':
      case 'pn-counter':
        return { field, value: checkedSum(this.numberAt(field), edit.by) };
      case 'register':
        return { field, value: edit.value };
    }
  }

  view({ withText = true }: { readonly withText?: boolean } = {}): WorkspaceView {
    const carts = new Map<string, [string, number][]>(this.schema.fieldsOf('cart').map((f) => [f.name, []]));
    for (const write of this.history.winners()) {
      const target = this.schema.fieldOfPath(write.field);
      if (target?.field.kind === 'cart' && target.key !== undefined && typeof write.value === 'number') {
        carts.get(target.field.name)?.push([target.key, write.value]);
      }
    }
    return this.schema.view((field) => {
      switch (field.kind) {
        case 'cart':
          return Object.fromEntries(carts.get(field.name) ?? []);
        case 'text':
          return withText ? this.text(field.name) : '';
        case 'register': {
          const value = this.history.winner(field.name)?.value;
          return typeof value === 'string' ? [value] : [];
        }
        default:
          return this.numberAt(`${COUNTERS}/${field.name}`);
      }
    }) as WorkspaceView;
  }

  viewWithoutText(): WorkspaceView {
    return this.view({ withText: false });
  }

  protected readText(field: string): string {
    return this.text(field);
  }

  applyUpdate(update: Uint8Array): void {
    this.assertOpen();
    const writes = this.codec.decodeWrites(update);
    this.receiveWrites(writes, 'store');
  }

  save(): Uint8Array {
    return this.codec.encodeWrites(this.writes());
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
      .receive(writes.map(loggedWrite), (op) => this.deliver(op.body))
      .map((op) => op.body);
    if (delivered.length === 0) return;
    this.showWinners(origin);
    this.emit(origin, delivered, source);
  }

  /** A write is here (in causal order): into the ledger, and a text write's patch or text into the texts. */
  private deliver(write: LwwWrite): void {
    this.history.add(write);
    if (this.schema.fieldOfPath(write.field)?.field.kind !== 'text') return;
    this.texts.deliver(
      write,
      write.field,
      write.patch !== undefined ? { patch: write.patch } : { whole: String(write.value ?? '') },
    );
  }

  /** Tell text listeners how each text field's winner changed the text (its patches when it typed on). */
  private showWinners(origin: EngineChange['origin']): void {
    const { shown } = this.held.value;
    for (const { name } of this.schema.fieldsOf('text')) {
      const winner = this.history.winner(name);
      if (winner === undefined) continue;
      const before = shown.get(name) ?? null;
      if (before !== null && before.replica === winner.replica && before.counter === winner.counter) continue;
      const ref = { replica: winner.replica, counter: winner.counter };
      const deltas = this.texts.deltasBetween(before, ref, () => this.textSlice(name));
      shown.set(name, ref);
      this.emitText(name, origin, deltas);
    }
  }

  writesOf(change: EngineChange): readonly LwwWrite[] {
    return this.feed.detailsOf(change)?.native ?? this.codec.decodeWrites(change.update);
  }

  private emit(origin: EngineChange['origin'], writes: readonly LwwWrite[], source?: LwwSession): void {
    const change: EngineChange = { origin, update: this.codec.encodeWrites(writes) };
    this.feed.emit(change, writes, source);
  }

  private text(field: LwwField): string {
    const winner = this.history.winner(field);
    return winner === undefined ? '' : this.texts.text(winner);
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
    send: (payload: Uint8Array) => void,
  ) {
    super(peer, engine, send);
  }

  receive(payload: Uint8Array): boolean {
    return this.receiveChecked(
      payload,
      (bytes) => this.engine.codec.decodeMessage(bytes),
      (message) => {
        if (message.type === 'hello') {
          this.peerVector = message.vector;
          this.answerHello(payload, () => this.sendWrites(this.engine.writesMissingFrom(message.vector)));
        } else {
          // Only a throwing change listener can make this fail; the writes themselves were delivered.
          this.engine.receiveWrites(message.writes, 'remote', this);
        }
      },
    );
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
    this.ship(this.engine.codec.encodeMessage({ type: 'hello', vector: this.engine.vectorRecord() }));
  }

  private sendWrites(writes: readonly LwwWrite[]): void {
    let batch: LwwWrite[] = [];
    let bytes = 0;
    for (const write of writes) {
      const size = this.engine.codec.encodedWriteSize(write);
      if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) {
        this.ship(this.engine.codec.encodeMessage({ type: 'writes', writes: batch }));
        batch = [];
        bytes = 0;
      }
      batch.push(write);
      bytes += size;
    }
    if (batch.length > 0) this.ship(this.engine.codec.encodeMessage({ type: 'writes', writes: batch }));
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
