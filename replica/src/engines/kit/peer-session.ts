/**
 * The life of a sync session that every engine shares: nothing is sent before `start` (the link-up
 * handshake) or after `close` (link-down; the next link-up opens a fresh session), and anti-entropy
 * repeats the handshake unless the engine repairs differently. A session closes with its engine: it
 * then sends nothing and refuses every payload. An answer to a peer's hello goes through `answerHello`,
 * which holds back a large answer repeated to the same peer state (answer-throttle.ts); a hello that
 * arrives before `start` (the replica holds a session's start while it catches up from another peer
 * first) is answered on `start`, after our own hello. Engines add their protocol.
 */
import type { EngineChange, EngineVersion, SyncSession } from '../../engine.ts';
import { AnswerThrottle } from './answer-throttle.ts';

/** The engine a session belongs to, as far as the session's lifecycle cares. */
export interface SessionOwner {
  readonly closed: boolean;
}

export abstract class PeerSession implements SyncSession {
  private started = false;
  private closed = false;
  private readonly answers = new AnswerThrottle();
  /** The peer's latest hello that came before `start`, answered then. */
  private beforeStart: { readonly hello: Uint8Array; readonly answer: () => void } | undefined;

  constructor(
    readonly peer: string,
    private readonly owner: SessionOwner,
    private readonly toPeer: (payload: Uint8Array) => void,
  ) {}

  /** Send a payload to the peer (every payload goes through here: the answer throttle counts it). */
  protected ship(payload: Uint8Array): void {
    this.answers.shipped(payload.length);
    this.toPeer(payload);
  }

  /**
   * The peer's hello (its whole payload): `answer` sends what the peer lacks, unless a large answer to
   * the same peer state may still be on its way; then it waits a bounded back-off (answer-throttle.ts).
   * Before `start`, the answer waits for it (a later hello replaces it); once closed, nothing is answered.
   */
  protected answerHello(hello: Uint8Array, answer: () => void): void {
    if (this.isClosed) return;
    if (!this.started) this.beforeStart = { hello: hello.slice(), answer };
    else if (this.answers.answer(hello)) answer();
  }

  /**
   * A change of `bytes` reaches the peer from another peer, not from this session: answers to the peer's
   * hellos wait a while (answer-throttle.ts), so one still taking it in is not sent it a second time.
   */
  arriving(bytes: number): void {
    this.answers.arriving(bytes);
  }

  /** Started and not closed (nor its engine): the session may send. */
  protected get open(): boolean {
    return this.started && !this.isClosed;
  }

  /** Closed for good (a link-down, or its engine closed): answer nothing more. */
  protected get isClosed(): boolean {
    return this.closed || this.owner.closed;
  }

  /** Its engine is closed: payloads are refused. */
  protected get engineClosed(): boolean {
    return this.owner.closed;
  }

  start(): void {
    if (this.isClosed) return;
    this.started = true;
    this.handshake();
    const early = this.beforeStart;
    this.beforeStart = undefined;
    if (early !== undefined) this.answerHello(early.hello, early.answer);
  }

  antiEntropy(): void {
    if (!this.open) return;
    this.answers.tick();
    this.repair();
  }

  close(): void {
    this.closed = true;
  }

  /** What opens the exchange: our version, so the peer can send what we lack (and ask for what it lacks). */
  protected abstract handshake(): void;

  /** An anti-entropy round: by default the handshake again, which repairs whatever was dropped. */
  protected repair(): void {
    this.handshake();
  }

  /**
   * Decode a peer's payload and handle it, as `receive` must: never throwing. A payload that does not
   * decode, or whose handling fails (e.g. content that cannot be applied, a throwing change listener),
   * is dropped and reported as false.
   */
  protected receiveChecked<M>(
    payload: Uint8Array,
    decode: (payload: Uint8Array) => M,
    handle: (message: M) => void,
  ): boolean {
    if (this.engineClosed) return false;
    let message: M;
    try {
      message = decode(payload);
    } catch {
      return false;
    }
    try {
      handle(message);
      return true;
    } catch {
      return false;
    }
  }

  abstract receive(payload: Uint8Array): boolean;
  abstract changed(change: EngineChange): void;
  abstract peerVersion(): EngineVersion | undefined;
}
