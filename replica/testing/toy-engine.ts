/**
 * A tiny engine for unit-testing the Replica's plumbing (sessions, store, events) without the real engines.
 *
 * State: a grow-only set of operations {replica, seq, lamport, intent}; the view replays them in
 * (lamport, replica) order, clamping text positions, so any two engines holding the same operations show
 * the same view. Sync: 'hello' carries the sender's vector, the answer carries the operations it lacks;
 * changes are sent as they happen. Payloads are JSON. It also records what the replica did with it.
 */
import type { Engine, EngineChange, EngineContext, EngineVersion, SyncSession } from '../src/engine.ts';
import { EngineClosedError } from '../src/engine-closed-error.ts';
import type { EngineName } from '../src/engine-name.ts';
import { fnv1a64Hex } from '../src/engines/fnv1a64.ts';
import { EMPTY_VIEW, type Intent, type WorkspaceView } from '../src/workspace.ts';

export interface ToyOp {
  readonly replica: string;
  readonly seq: number;
  readonly lamport: number;
  readonly intent: Intent;
}

type ToyMessage =
  | { readonly type: 'hello'; readonly vector: Record<string, number> }
  | { readonly type: 'ops'; readonly ops: ToyOp[] };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeToy(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export class ToyEngine implements Engine {
  private readonly ops = new Map<string, ToyOp>();
  private readonly listeners = new Set<(change: EngineChange) => void>();
  private lamport = 0;
  readonly sessions: ToySession[] = [];
  readonly applied: Intent[] = [];
  /** Make apply throw (to test partial failures). */
  failApply = false;
  /** Set by close; every use afterwards throws EngineClosedError. */
  closed = false;

  constructor(
    readonly name: EngineName,
    readonly ctx: EngineContext,
  ) {}

  apply(intent: Intent): void {
    this.assertOpen();
    if (this.failApply) throw new Error(`${this.name} refuses`);
    this.applied.push(intent);
    const seq = (this.vector()[this.ctx.replicaId] ?? 0) + 1;
    const op: ToyOp = { replica: this.ctx.replicaId, seq, lamport: ++this.lamport, intent };
    this.merge([op], 'local', undefined);
  }

  view(): WorkspaceView {
    this.assertOpen();
    const ordered = [...this.ops.values()].sort(
      (a, b) => a.lamport - b.lamport || (a.replica < b.replica ? -1 : 1),
    );
    let text = '';
    const cart: Record<string, number> = {};
    const counters = { ...EMPTY_VIEW.counters };
    let note: string[] = [];
    for (const { intent } of ordered) {
      switch (intent.op) {
        case 'text.insert': {
          const pos = Math.min(intent.pos, text.length);
          text = text.slice(0, pos) + intent.text + text.slice(pos);
          break;
        }
        case 'text.delete':
          text = text.slice(0, Math.min(intent.pos, text.length)) + text.slice(intent.pos + intent.len);
          break;
        case 'cart.add':
          cart[intent.product] = (cart[intent.product] ?? 0) + intent.qty;
          break;
        case 'cart.decrement':
          if (intent.product in cart) cart[intent.product] = (cart[intent.product] ?? 0) - intent.qty;
          break;
        case 'cart.remove':
          delete cart[intent.product];
          break;
        case 'cart.setQuantity':
          cart[intent.product] = intent.qty;
          break;
        case 'counter.increment':
          counters[intent.name] += intent.by;
          break;
        case 'note.set':
          note = [intent.value];
          break;
      }
    }
    return { text, cart, counters, note };
  }

  applyUpdate(update: Uint8Array): void {
    this.assertOpen();
    const ops = JSON.parse(decoder.decode(update)) as ToyOp[];
    if (!Array.isArray(ops)) throw new Error('not a toy update');
    this.merge(ops, 'store', undefined);
  }

  save(): Uint8Array {
    this.assertOpen();
    return encodeToy([...this.ops.values()]);
  }

  onChange(listener: (change: EngineChange) => void): () => void {
    this.assertOpen();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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

  digest(): string {
    return fnv1a64Hex(encodeToy(this.view()));
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new EngineClosedError(this.name);
  }

  vector(): Record<string, number> {
    const vector: Record<string, number> = {};
    for (const op of this.ops.values()) vector[op.replica] = Math.max(vector[op.replica] ?? 0, op.seq);
    return vector;
  }

  missingFrom(vector: Record<string, number>): ToyOp[] {
    return [...this.ops.values()].filter((op) => op.seq > (vector[op.replica] ?? 0));
  }

  merge(ops: readonly ToyOp[], origin: EngineChange['origin'], source: ToySession | undefined): void {
    const fresh = ops.filter((op) => !this.ops.has(`${op.replica}@${op.seq}`));
    if (fresh.length === 0) return;
    for (const op of fresh) {
      this.ops.set(`${op.replica}@${op.seq}`, op);
      this.lamport = Math.max(this.lamport, op.lamport);
    }
    const change: EngineChange = { origin, update: encodeToy(fresh) };
    sources.set(change, source);
    for (const listener of [...this.listeners]) listener(change);
  }
}

const sources = new WeakMap<EngineChange, ToySession | undefined>();

export class ToySession implements SyncSession {
  started = 0;
  closed = false;
  antiEntropyRounds = 0;
  readonly received: Uint8Array[] = [];
  readonly changes: EngineChange[] = [];
  private peerVector: Record<string, number> | undefined;

  constructor(
    private readonly engine: ToyEngine,
    readonly peer: string,
    private readonly send: (payload: Uint8Array) => void,
  ) {}

  start(): void {
    this.started++;
    this.send(encodeToy({ type: 'hello', vector: this.engine.vector() } satisfies ToyMessage));
  }

  receive(payload: Uint8Array): boolean {
    this.received.push(payload);
    let message: ToyMessage;
    try {
      message = JSON.parse(decoder.decode(payload)) as ToyMessage;
    } catch {
      return false;
    }
    if (message?.type === 'hello' && typeof message.vector === 'object') {
      this.peerVector = message.vector;
      this.send(
        encodeToy({ type: 'ops', ops: this.engine.missingFrom(message.vector) } satisfies ToyMessage),
      );
      return true;
    }
    if (message?.type === 'ops' && Array.isArray(message.ops)) {
      this.engine.merge(message.ops, 'remote', this);
      return true;
    }
    return false;
  }

  changed(change: EngineChange): void {
    this.changes.push(change);
    if (this.closed || sources.get(change) === this) return;
    this.send(
      encodeToy({ type: 'ops', ops: JSON.parse(decoder.decode(change.update)) } satisfies ToyMessage),
    );
  }

  antiEntropy(): void {
    this.antiEntropyRounds++;
    this.send(encodeToy({ type: 'hello', vector: this.engine.vector() } satisfies ToyMessage));
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
}

/** A createEngine for Replica options that builds toy engines and remembers them by replica. */
export function toyFactory(): {
  create: (name: EngineName, ctx: EngineContext) => Engine;
  engines: Map<string, Map<EngineName, ToyEngine>>;
} {
  const engines = new Map<string, Map<EngineName, ToyEngine>>();
  return {
    engines,
    create(name, ctx) {
      const engine = new ToyEngine(name, ctx);
      const byName = engines.get(ctx.replicaId) ?? new Map<EngineName, ToyEngine>();
      engines.set(ctx.replicaId, byName);
      byName.set(name, engine);
      return engine;
    },
  };
}
