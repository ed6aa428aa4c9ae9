/**
 * The page's side of the window's replica, which runs in a worker (replica-worker.ts): what the UI
 * reads and does, over the page protocol (protocol.ts). It keeps page-side mirrors fed by the worker —
 * every engine's texts (text-mirrors.ts, from deltas) and the status snapshot (a few times a second) —
 * so the UI reads synchronously what it read from the replica before; rare reads (a history entry, the
 * session export) are requests. Commands never wait for the worker unless the caller awaits their result.
 */
import type { ChangeSet } from '@codemirror/state';
import type { CheckoutStart, ClientView } from '@converge/checkout';
import { errorMessage } from '@converge/protocol';
import type {
  EngineName,
  FieldEdit,
  Intent,
  LedgerWrite,
  LocalPresence,
  NamedField,
  WorkspaceSchema,
  WorkspaceView,
} from '@converge/replica';
import { type EngineFacts, WORKSPACE } from '@converge/replica/descriptors';
import { EngineCatalog } from '../logic/engine-catalog.ts';

import type { HistoryEntry } from '../logic/history-log.ts';
import { keepEqual } from '../logic/keep-equal.ts';
import type { LinkOperation } from '../logic/relay-admin.ts';
import type { WindowActions, WindowState } from '../logic/replay-channel.ts';
import type { ScenarioChaos, ScenarioFile } from '../logic/session-recorder.ts';
import { TextMirrors } from '../logic/text-mirrors.ts';
import { markStart } from '../logic/timing.ts';
import { type AfterFrame, AfterFramePosts } from './after-frame-posts.ts';
import {
  parseToPage,
  type StoreSpec,
  type ToPage,
  type ToWorker,
  type WorkerRequest,
  type WorkerWindowConfig,
} from './protocol.ts';
import { type SnapshotPatch, textFieldNames, type WorkerSnapshot, withFramesAdded } from './wire-snapshot.ts';

/** The few Worker members used here (a real Worker, or a fake in tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  terminate(): void;
}

export interface ReplicaClientOptions {
  readonly worker: WorkerLike;
  readonly config: WorkerWindowConfig;
  readonly store: StoreSpec;
  /** Transferred with the start message (the byte log's port in Electron). */
  readonly transfer?: Transferable[];
  readonly checkoutRestored?: unknown;
  readonly notice?: string;
  /** The window's credential (only the page can get it). */
  credential(): Promise<string>;
  /** Keep the checkout session (the page's localStorage). */
  persistCheckout(snapshot: unknown): void;
  /**
   * When the keystroke's messages (an editor edit, the caret's presence) may go: after the frame that
   * shows the keystroke (after-frame-posts.ts). Without it they go at once.
   */
  readonly afterFrame?: AfterFrame;
}

export type ClientSnapshot = WorkerSnapshot;

/** What the UI's checkout panel uses of the worker's checkout client. */
export interface CheckoutProxy {
  view(): ClientView;
  subscribe(listener: () => void): () => void;
  checkout(lines: readonly (readonly [string, number])[]): Promise<CheckoutStart>;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class ReplicaClient {
  readonly id: string;
  readonly schema: WorkspaceSchema = WORKSPACE;
  /** The engines the worker hosts, as facts (their code never loads on the page). */
  readonly registry: EngineCatalog;
  /** Every engine's texts, change by change (the editor and the Compare panel follow it). */
  readonly texts: TextMirrors;
  readonly checkout: CheckoutProxy;
  private readonly worker: WorkerLike;
  private readonly textFields: readonly string[];
  private snapshot: ClientSnapshot;
  private checkoutView: ClientView;
  private rev: number;
  private remoteTextMarked = false;
  private nextId = 1;
  private nextSeq = 1;
  private readonly waiting = new Map<number, Waiter>();
  private readonly listeners = new Set<() => void>();
  private readonly checkoutListeners = new Set<() => void>();
  private readonly editListeners = new Set<(seq: number, field: string, exact: boolean) => void>();
  private closed = false;
  /** Every message to the worker, in order; the keystroke's wait for their frame. */
  private readonly posts: AfterFramePosts;

  private constructor(
    private readonly options: ReplicaClientOptions,
    ready: Extract<ToPage, { type: 'ready' }>,
  ) {
    this.worker = options.worker;
    this.posts = new AfterFramePosts(
      (message) => this.worker.postMessage(message),
      options.afterFrame ?? now,
    );
    this.id = options.config.replicaId;
    this.registry = new EngineCatalog(ready.engines as EngineFacts[]);
    this.textFields = textFieldNames(this.schema);
    this.texts = new TextMirrors(ready.texts);
    this.rev = ready.rev;
    this.snapshot = this.withTexts(ready.snapshot as unknown as ClientSnapshot);
    this.checkoutView = ready.checkout as unknown as ClientView;
    this.checkout = {
      view: () => this.checkoutView,
      subscribe: (listener) => {
        this.checkoutListeners.add(listener);
        return () => this.checkoutListeners.delete(listener);
      },
      checkout: (lines) =>
        this.call({
          type: 'checkout',
          id: 0,
          lines: lines.map(([p, q]) => [p, q]),
        }) as Promise<CheckoutStart>,
    };
  }

  /** Start the worker's replica; resolves once it is open (its store loaded), rejects if it cannot start. */
  static start(options: ReplicaClientOptions): Promise<ReplicaClient> {
    const { worker } = options;
    return new Promise((resolve, reject) => {
      const init: ToWorker = {
        type: 'init',
        config: options.config,
        store: options.store,
        ...(options.checkoutRestored === undefined ? {} : { checkoutRestored: options.checkoutRestored }),
        ...(options.notice === undefined ? {} : { notice: options.notice }),
      };
      worker.onerror = (event) =>
        reject(new Error(`the replica worker failed: ${event.message ?? 'unknown error'}`));
      worker.onmessage = (event) => {
        const parsed = parseToPage(event.data);
        if (!parsed.ok) {
          // Nothing can show a notice yet: the window's start fails with the reason.
          reject(new Error(parsed.error));
          return;
        }
        const message = parsed.message;
        if (message.type === 'listening') {
          markStart('converge:worker-listening');
          worker.postMessage(init, options.transfer ?? []);
        } else if (message.type === 'credential-request') answerCredential(options, message.id);
        else if (message.type === 'checkout-persist') options.persistCheckout(message.snapshot);
        else if (message.type === 'failed') reject(new Error(message.message));
        else if (message.type === 'ready') {
          markStart('converge:worker-ready');
          const client = new ReplicaClient(options, message);
          worker.onmessage = (next) => client.receive(next.data);
          worker.onerror = (error) =>
            client.notify('error', `the replica worker failed: ${error.message ?? 'unknown error'}`);
          resolve(client);
        }
      };
    });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): ClientSnapshot => this.snapshot;

  get primary(): EngineName {
    return this.snapshot.status.primary;
  }

  get isOffline(): boolean {
    return this.snapshot.offline;
  }

  /** A text field's text in the primary engine (as the worker last reported it). */
  textOf(field: string): string {
    return this.texts.text(this.primary, field);
  }

  /** A field's value in the primary engine. */
  valueOf(field: NamedField): unknown {
    const view = this.snapshot.status.engines[this.primary]?.view ?? this.schema.empty();
    return this.schema.valueIn(view, field);
  }

  /** Carry out an edit of one field (as `apply` does its intent). */
  applyEdit(edit: FieldEdit): Promise<boolean> {
    try {
      return this.apply(this.schema.intentOf(edit) as Intent);
    } catch (error) {
      this.notify('error', errorMessage(error));
      return Promise.resolve(false);
    }
  }

  /** Apply an intent in every engine (the worker validates it); resolves false when it was not accepted. */
  async apply(intent: Intent): Promise<boolean> {
    return (await this.tryCall({ type: 'apply', id: 0, intent })) === true;
  }

  undo(): Promise<boolean> {
    return this.history('undo');
  }

  redo(): Promise<boolean> {
    return this.history('redo');
  }

  /**
   * The editor's own text edit (already shown): sent at once with the revision the editor has seen, so
   * the worker places it right whatever changed meanwhile. Returns its sequence number. Not after the
   * frame as the caret's presence is: a page reloaded or closed within that frame lost the keystroke
   * (the worker, ended with the page, never took the edit posted on pagehide in).
   */
  editText(engine: EngineName, field: string, changes: ChangeSet): number {
    const seq = this.nextSeq++;
    this.post({ type: 'edit-text', seq, base: this.rev, engine, field, changes: changes.toJSON() });
    return seq;
  }

  /** Called when the worker carried out an editor edit (`exact` false: the engine made something else of it). */
  onEditDone(listener: (seq: number, field: string, exact: boolean) => void): () => void {
    this.editListeners.add(listener);
    return () => this.editListeners.delete(listener);
  }

  /** A history entry with every engine's view (the scrubber), while the worker keeps it. */
  historyEntry = async (seq: number): Promise<HistoryEntry | undefined> =>
    ((await this.request({ what: 'history-entry', seq })) ?? undefined) as HistoryEntry | undefined;

  /** Restore the version a history entry shows, with new edits. */
  async restore(seq: number): Promise<boolean> {
    return (await this.tryCall({ type: 'restore', id: 0, seq })) === true;
  }

  ledgerWrites(): Promise<Readonly<Record<EngineName, readonly LedgerWrite[]>>> {
    return this.request({ what: 'ledger-writes' }) as Promise<
      Readonly<Record<EngineName, readonly LedgerWrite[]>>
    >;
  }

  startViews(): Promise<Readonly<Partial<Record<EngineName, WorkspaceView>>>> {
    return this.request({ what: 'start-views' }) as Promise<
      Readonly<Partial<Record<EngineName, WorkspaceView>>>
    >;
  }

  toScenario(name: string): Promise<ScenarioFile> {
    return this.request({ what: 'scenario', name }) as Promise<ScenarioFile>;
  }

  /** What a replay conductor on this page does in this window (its state asked of the worker). */
  windowActions(): WindowActions {
    return {
      replicaId: this.id,
      engines: this.registry.names,
      apply: (intent) => this.apply(intent),
      setOffline: async (offline) => {
        if (this.isOffline !== offline) this.setOffline(offline);
      },
      setSkew: (ms) => this.setSkew(ms),
      state: async () => (await this.request({ what: 'window-state' })) as WindowState,
    };
  }

  /** Network steps taken here (admin API), for the session recorder. */
  recordLinks(
    operation: LinkOperation,
    nodes: readonly { readonly id: string; readonly role: string }[],
  ): void {
    this.post({
      type: 'record',
      step: {
        what: 'links',
        operation: { ...operation },
        nodes: nodes.map(({ id, role }) => ({ id, role })),
      },
    });
  }

  recordChaos(chaos: ScenarioChaos): void {
    this.post({ type: 'record', step: { what: 'chaos', chaos: { ...chaos } } });
  }

  setPresence(presence: LocalPresence): void {
    this.defer({ type: 'presence', presence });
  }

  setOffline(offline: boolean): void {
    this.post({ type: 'offline', offline });
  }

  async setPrimary(engine: EngineName): Promise<void> {
    await this.tryCall({ type: 'primary', id: 0, engine });
  }

  async setSkew(ms: number): Promise<void> {
    await this.tryCall({ type: 'skew', id: 0, ms });
  }

  notify(level: 'error' | 'info', message: string): void {
    this.post({ type: 'notify', level, message });
  }

  dismiss(notice: number): void {
    this.post({ type: 'dismiss', notice });
  }

  /** Start writing whatever the store has queued (the page is being hidden or going away). */
  flush(): void {
    this.post({ type: 'flush' });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.call({ type: 'close', id: 0 });
    } finally {
      this.closed = true;
      this.worker.terminate();
      for (const waiter of this.waiting.values()) waiter.reject(new Error('the replica is closed'));
      this.waiting.clear();
      this.texts.close();
      this.listeners.clear();
    }
  }

  /** A message from the worker. Malformed ones are reported as a notice and dropped. */
  receive(data: unknown): void {
    const parsed = parseToPage(data);
    if (!parsed.ok) {
      this.notify('error', parsed.error);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'text':
        if (!this.remoteTextMarked && message.origin === 'remote' && message.engine === this.primary) {
          this.remoteTextMarked = true;
          markStart('converge:page-remote-text');
        }
        this.rev = message.rev;
        try {
          this.texts.apply(message.engine, message.field, message.origin, message.deltas, message.seq);
        } catch (error) {
          this.notify(
            'error',
            `the page's copy of a text was out of step and is re-read: ${errorMessage(error)}`,
          );
          void this.reread(message.engine, message.field);
        }
        return;
      case 'edit-done':
        for (const listener of [...this.editListeners]) listener(message.seq, message.field, message.exact);
        return;
      case 'snapshot': {
        // What did not change keeps its identity, so memoized panels skip it (logic/keep-equal.ts).
        const { wireFramesAdded, ...patch } = message.snapshot as SnapshotPatch;
        let next = keepEqual(this.snapshot, { ...this.snapshot, ...patch });
        // Added frames only: the ones held are the same objects, not compared again.
        if (wireFramesAdded !== undefined && wireFramesAdded.length > 0)
          next = { ...next, wireFrames: withFramesAdded(next.wireFrames ?? [], wireFramesAdded) };
        if (next === this.snapshot) return;
        this.snapshot = this.withTexts(next);
        for (const listener of [...this.listeners]) listener();
        return;
      }
      case 'checkout-view':
        this.checkoutView = message.view as unknown as ClientView;
        for (const listener of [...this.checkoutListeners]) listener();
        return;
      case 'checkout-persist':
        this.options.persistCheckout(message.snapshot);
        return;
      case 'credential-request':
        answerCredential(this.options, message.id);
        return;
      case 'reply': {
        const waiter = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.ok) waiter?.resolve(message.value);
        else waiter?.reject(new Error(message.error ?? 'failed'));
        return;
      }
      case 'protocol-error':
        this.notify('error', `the replica worker refused a message: ${message.message}`);
        return;
      case 'batch':
        for (const inner of message.messages) {
          if ((inner as { type?: unknown } | null)?.type === 'batch') {
            this.notify('error', 'the replica worker sent a batch inside a batch');
            continue;
          }
          this.receive(inner);
        }
        return;
      case 'listening':
      case 'ready':
      case 'failed':
        return;
    }
  }

  private async reread(engine: EngineName, field: string): Promise<void> {
    try {
      const text = (await this.request({ what: 'text', engine, field })) as string;
      this.texts.reset(engine, field, text);
    } catch (error) {
      this.notify('error', `could not re-read ${engine}'s ${field}: ${errorMessage(error)}`);
    }
  }

  /** Text fields of every engine's view read from the mirrors (the snapshot carries no texts). */
  private withTexts(snapshot: ClientSnapshot): ClientSnapshot {
    for (const [engine, status] of Object.entries(snapshot.status.engines)) {
      if (status === undefined) continue;
      for (const field of this.textFields) {
        const descriptor = Object.getOwnPropertyDescriptor(status.view, field);
        if (descriptor?.get !== undefined) continue;
        Object.defineProperty(status.view, field, {
          get: () => this.texts.text(engine, field),
          enumerable: true,
          configurable: true,
        });
      }
    }
    return snapshot;
  }

  private async history(op: 'undo' | 'redo'): Promise<boolean> {
    return (await this.tryCall({ type: 'history', id: 0, op })) === true;
  }

  private request(request: WorkerRequest): Promise<unknown> {
    return this.call({ type: 'request', id: 0, request });
  }

  /** A call whose failure becomes a notice (the UI's actions never throw). */
  private async tryCall(message: ToWorker & { id: number }): Promise<unknown> {
    try {
      return await this.call(message);
    } catch (error) {
      this.notify('error', errorMessage(error));
      return undefined;
    }
  }

  private call(message: ToWorker & { id: number }): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the replica is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.post({ ...message, id } as ToWorker);
    });
  }

  private post(message: ToWorker): void {
    if (this.closed) return;
    this.posts.post(message);
  }

  /** The caret's presence: it goes after the frame that shows the keystroke, in order with the rest. */
  private defer(message: ToWorker): void {
    if (this.closed) return;
    this.posts.defer(message);
  }
}

/** No wait: posted at once. */
const now: AfterFrame = (flush) => flush();

function answerCredential(options: ReplicaClientOptions, id: number): void {
  options.credential().then(
    (token) => options.worker.postMessage({ type: 'credential', id, token } satisfies ToWorker),
    (error: unknown) =>
      options.worker.postMessage({ type: 'credential', id, error: errorMessage(error) } satisfies ToWorker),
  );
}
