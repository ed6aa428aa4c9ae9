/**
 * A tiny engine, registered like any other through its descriptor: the Replica's plumbing is unit-tested
 * with it (sessions, store, events), and it proves the engine boundary (test/engines/toy-registry.test.ts
 * runs the engine contract suite and the convergence harness on it through a registry alone).
 *
 * State: a grow-only set of operations {replica, seq, lamport, intent}; the view replays them in
 * (lamport, replica) order, clamping text positions, so any two engines holding the same operations show
 * the same view. Sync: 'hello' carries the sender's vector (per replica, how many of its operations it
 * holds without a gap), the answer carries the operations it lacks; changes are sent as they happen.
 * Payloads and stored bytes are JSON in the kit's checksummed envelope, decoded strictly. It also
 * records what the replica did with it.
 */
import type { Engine, EngineChange, EngineContext, EngineVersion, SyncSession } from '../src/engine.ts';
import type { EngineDescriptor } from '../src/engine-descriptor.ts';
import type { EngineName } from '../src/engine-name.ts';
import { EngineRegistry } from '../src/engine-registry.ts';
import { ENGINES } from '../src/engines/index.ts';
import { seal, unseal } from '../src/engines/kit/envelope.ts';
import { FeedEngine } from '../src/engines/kit/feed-engine.ts';
import { applyTextEdit, checkTextEdit, type FieldEdit, type WorkspaceSchema } from '../src/schema.ts';
import { type Intent, WORKSPACE, type WorkspaceView } from '../src/workspace.ts';

export interface ToyOp {
  readonly replica: string;
  readonly seq: number;
  readonly lamport: number;
  readonly intent: Intent;
}

type ToyMessage =
  | { readonly type: 'hello'; readonly vector: Record<string, number> }
  | { readonly type: 'ops'; readonly ops: readonly ToyOp[] };

/** The envelope kind of toy bytes (test engines use kinds from 250 up, far from real engines'). */
const TOY_ENVELOPE = 250;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Toy bytes: JSON in a checksummed envelope (what the toy stores and sends). */
export function encodeToy(value: unknown): Uint8Array {
  return seal(TOY_ENVELOPE, encoder.encode(JSON.stringify(value)));
}

function decodeToy(bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('not bytes');
  return JSON.parse(decoder.decode(unseal(bytes, TOY_ENVELOPE)));
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function readOps(schema: WorkspaceSchema, value: unknown): ToyOp[] {
  if (!Array.isArray(value)) throw new Error('toy operations must be an array');
  return value.map((op: unknown) => {
    if (!isRecord(op) || typeof op.replica !== 'string' || !isCount(op.seq) || !isCount(op.lamport))
      throw new Error('malformed toy operation');
    schema.edit(op.intent);
    return { replica: op.replica, seq: op.seq, lamport: op.lamport, intent: op.intent as Intent };
  });
}

function readMessage(schema: WorkspaceSchema, payload: Uint8Array): ToyMessage {
  const value = decodeToy(payload);
  if (isRecord(value) && value.type === 'hello' && isRecord(value.vector)) {
    const vector: Record<string, number> = Object.create(null);
    for (const [replica, seq] of Object.entries(value.vector)) {
      if (!isCount(seq)) throw new Error('malformed toy vector');
      vector[replica] = seq;
    }
    return { type: 'hello', vector };
  }
  if (isRecord(value) && value.type === 'ops') return { type: 'ops', ops: readOps(schema, value.ops) };
  throw new Error('not a toy message');
}

export class ToyEngine extends FeedEngine<readonly ToyOp[]> implements Engine {
  private readonly ops = new Map<string, ToyOp>();
  private lamport = 0;
  readonly sessions: ToySession[] = [];
  readonly schema: WorkspaceSchema;
  readonly applied: Intent[] = [];
  /** Make apply throw (to test partial failures). */
  failApply = false;

  constructor(
    readonly name: EngineName,
    readonly ctx: EngineContext,
  ) {
    super();
    this.schema = ctx.schema ?? WORKSPACE;
  }

  apply(intent: Intent): void {
    this.assertOpen();
    if (this.failApply) throw new Error(`${this.name} refuses`);
    const edit = this.schema.edit(intent);
    const values = this.values();
    if (edit.kind === 'text') checkTextEdit(String(values.get(edit.field) ?? ''), edit);
    if (edit.kind === 'cart' && (edit.action === 'remove' || edit.action === 'decrement')) {
      if (!(values.get(edit.field) as Map<string, number>).has(edit.product)) return; // no such line
    }
    this.applied.push(intent);
    const seq = (this.vector()[this.ctx.replicaId] ?? 0) + 1;
    const op: ToyOp = { replica: this.ctx.replicaId, seq, lamport: ++this.lamport, intent };
    this.merge([op], 'local', undefined);
  }

  viewWithoutText(): WorkspaceView {
    const view = this.view() as unknown as Record<string, unknown>;
    for (const field of this.schema.fieldsOf('text')) view[field.name] = '';
    return view as unknown as WorkspaceView;
  }

  protected readText(field: string): string {
    return String(this.values().get(field) ?? '');
  }

  view(): WorkspaceView {
    const values = this.values();
    return this.schema.view((field) => {
      const value = values.get(field.name);
      return value instanceof Map ? Object.fromEntries(value) : value;
    }) as WorkspaceView;
  }

  /** Every field's value, from the operations replayed in (lamport, replica) order. */
  private values(): Map<string, unknown> {
    this.assertOpen();
    const values = new Map<string, unknown>();
    for (const field of this.schema.fields) {
      values.set(
        field.name,
        field.kind === 'text' ? '' : field.kind === 'cart' ? new Map() : field.kind === 'register' ? [] : 0,
      );
    }
    const ordered = [...this.ops.values()].sort(
      (a, b) => a.lamport - b.lamport || (a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0),
    );
    for (const { intent } of ordered) replay(values, this.schema.edit(intent));
    return values;
  }

  applyUpdate(update: Uint8Array): void {
    this.assertOpen();
    this.merge(readOps(this.schema, decodeToy(update)), 'store', undefined);
  }

  save(): Uint8Array {
    this.assertOpen();
    return encodeToy([...this.ops.values()]);
  }

  openSession(peer: string, send: (payload: Uint8Array) => void): SyncSession {
    this.assertOpen();
    const session = new ToySession(this, peer, send);
    this.sessions.push(session);
    return session;
  }

  version(): EngineVersion {
    this.assertOpen();
    return { kind: 'vector', entries: this.vector() };
  }

  protected release(): void {
    this.ops.clear();
  }

  /** Per replica, how many of its operations this engine holds without a gap. */
  vector(): Record<string, number> {
    const vector: Record<string, number> = {};
    for (const op of this.ops.values()) {
      if (vector[op.replica] !== undefined) continue;
      let seq = 0;
      while (this.ops.has(`${op.replica}@${seq + 1}`)) seq++;
      if (seq > 0) vector[op.replica] = seq;
    }
    return Object.fromEntries(Object.entries(vector).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  missingFrom(vector: Readonly<Record<string, number>>): ToyOp[] {
    return [...this.ops.values()].filter((op) => op.seq > (vector[op.replica] ?? 0));
  }

  merge(ops: readonly ToyOp[], origin: EngineChange['origin'], source: ToySession | undefined): void {
    const fresh = ops.filter((op) => !this.ops.has(`${op.replica}@${op.seq}`));
    if (fresh.length === 0) return;
    for (const op of fresh) {
      this.ops.set(`${op.replica}@${op.seq}`, op);
      this.lamport = Math.max(this.lamport, op.lamport);
    }
    // A replay order cannot say where the text changed: compare (a toy's texts are small).
    this.emitTextByComparison(origin);
    this.feed.emit({ origin, update: encodeToy(fresh) }, fresh, source);
  }

  /** The operations behind a change this engine emitted. */
  opsOf(change: EngineChange): readonly ToyOp[] {
    return this.feed.detailsOf(change)?.native ?? readOps(this.schema, decodeToy(change.update));
  }
}

/** Apply one edit to the replayed values (text positions clamped: the toy keeps no anchors). */
function replay(values: Map<string, unknown>, edit: FieldEdit): void {
  switch (edit.kind) {
    case 'text': {
      const text = String(values.get(edit.field));
      const pos = Math.min(edit.pos, text.length);
      const len = edit.action === 'delete' ? Math.min(edit.len, text.length - pos) : 0;
      values.set(
        edit.field,
        applyTextEdit(text, { ...edit, pos, ...(edit.action === 'delete' ? { len } : {}) }),
      );
      return;
    }
    case 'cart': {
      const cart = values.get(edit.field) as Map<string, number>;
      const seen = cart.get(edit.product);
      if (edit.action === 'add') cart.set(edit.product, (seen ?? 0) + edit.qty);
      else if (edit.action === 'decrement') {
        if (seen !== undefined) cart.set(edit.product, seen - edit.qty);
      } else if (edit.action === 'remove' || edit.qty === 0) cart.delete(edit.product);
      else cart.set(edit.product, edit.qty);
      return;
    }
    case 'register':
      values.set(edit.field, [edit.value]);
      return;
    default:
      values.set(edit.field, (values.get(edit.field) as number) + edit.by);
  }
}

export class ToySession implements SyncSession {
  started = 0;
  closed = false;
  antiEntropyRounds = 0;
  readonly received: Uint8Array[] = [];
  readonly changes: EngineChange[] = [];
  private peerVector: Record<string, number> | undefined;
  /** A hello's vector that came before start: answered on start. */
  private helloBeforeStart: Record<string, number> | undefined;

  constructor(
    private readonly engine: ToyEngine,
    readonly peer: string,
    private readonly send: (payload: Uint8Array) => void,
  ) {}

  /** Started, and neither it nor its engine closed. */
  private get open(): boolean {
    return this.started > 0 && !this.closed && !this.engine.closed;
  }

  start(): void {
    if (this.closed || this.engine.closed) return;
    this.started++;
    this.hello();
    const early = this.helloBeforeStart;
    this.helloBeforeStart = undefined;
    if (early !== undefined) this.answer(early);
  }

  receive(payload: Uint8Array): boolean {
    this.received.push(payload);
    if (this.engine.closed) return false;
    let message: ToyMessage;
    try {
      message = readMessage(this.engine.schema, payload);
    } catch {
      return false;
    }
    if (message.type === 'hello') {
      this.peerVector = message.vector;
      if (this.open) this.answer(message.vector);
      else if (this.started === 0 && !this.closed) this.helloBeforeStart = message.vector;
    } else {
      this.engine.merge(message.ops, 'remote', this);
    }
    return true;
  }

  changed(change: EngineChange): void {
    this.changes.push(change);
    if (!this.open || this.engine.sourceOf(change) === this) return;
    this.send(encodeToy({ type: 'ops', ops: this.engine.opsOf(change) } satisfies ToyMessage));
  }

  antiEntropy(): void {
    this.antiEntropyRounds++;
    if (this.open) this.hello();
  }

  close(): void {
    this.closed = true;
  }

  peerVersion(): EngineVersion | undefined {
    return this.peerVector ? { kind: 'vector', entries: this.peerVector } : undefined;
  }

  /** Send regardless of state: models a buggy session that keeps talking after close. */
  sendAnyway(payload: Uint8Array): void {
    this.send(payload);
  }

  private answer(vector: Record<string, number>): void {
    this.send(encodeToy({ type: 'ops', ops: this.engine.missingFrom(vector) }));
  }

  private hello(): void {
    this.send(encodeToy({ type: 'hello', vector: this.engine.vector() } satisfies ToyMessage));
  }
}

/**
 * The toy engine's descriptor under `name`, on `wireCode` (default: the code of the registered engine of
 * that name, else 200). `made` hears of every engine it creates.
 */
export function toyDescriptor(
  name: EngineName,
  options: { readonly wireCode?: number; readonly made?: (engine: ToyEngine) => void } = {},
): EngineDescriptor {
  return {
    name,
    label: `toy ${name}`,
    description: 'a test engine: every operation replayed in Lamport order',
    wireCode: options.wireCode ?? ENGINES.find(name)?.wireCode ?? 200,
    // Operations beyond a gap show in the view but not in the vector.
    completeVersion: false,
    cartRules: { step: 'replayed in Lamport order', set: 'replayed in Lamport order' },
    // Text positions are replayed as they were given: concurrent edits may land elsewhere.
    semantics: { counters: 'exact', growingCart: 'exact', text: 'lossy', register: 'single-value' },
    describePayload(payload) {
      try {
        return readMessage(WORKSPACE, payload).type === 'hello' ? 'hello (vector)' : 'ops';
      } catch {
        return 'unrecognised';
      }
    },
    create(context) {
      const engine = new ToyEngine(name, context);
      options.made?.(engine);
      return engine;
    },
  };
}

/** Toy engines under the names of real ones, for a Replica's `engines`, remembered by replica and name. */
export function toyFactory(): {
  registry: (names: readonly EngineName[]) => EngineRegistry;
  descriptor: (name: EngineName) => EngineDescriptor;
  engines: Map<string, Map<EngineName, ToyEngine>>;
} {
  const engines = new Map<string, Map<EngineName, ToyEngine>>();
  const descriptor = (name: EngineName): EngineDescriptor =>
    toyDescriptor(name, {
      made: (engine) => {
        const byName = engines.get(engine.ctx.replicaId) ?? new Map<EngineName, ToyEngine>();
        engines.set(engine.ctx.replicaId, byName);
        byName.set(name, engine);
      },
    });
  return { engines, descriptor, registry: (names) => new EngineRegistry(names.map(descriptor)) };
}
