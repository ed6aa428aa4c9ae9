/**
 * One outside client's way into a room: a replica named after the client (every engine the registry
 * offers, joined to the room through an in-process node, so windows and the storage peer sync with it
 * like with any window) and the outside document its stock client edits (a Y.Doc, an Automerge document).
 *
 * - An outside edit is read back as the difference of the document's state before and after it, turned
 *   into intents (./outside-state.ts) and applied to the replica: every engine gets it, the Compare panel
 *   and the LWW ledger see it as this replica's edit.
 * - Whatever the replica's primary engine (the gateway's own: yjs for y-websocket clients, automerge for
 *   automerge-repo clients) comes to show, from windows or from the outside edits themselves, is written
 *   back into the outside document as the gateway's own change, which is not translated again.
 *
 * The replica's store and the outside document outlive the bridge (the gateway keeps them while the
 * relay runs), so a client that reconnects finds both as it left them.
 */
import { errorMessage, splitCheckoutChannel } from '@converge/protocol';
import {
  alignTextEdit,
  applyTextEdit,
  ENGINES,
  type EngineName,
  type Intent,
  Replica,
  type Store,
  type WorkspaceSchema,
} from '@converge/replica';
import type { GatewayHost } from '../gateways.ts';
import { intentsBetween, type OutsideProblem, type OutsideState, outsideStateOf } from './outside-state.ts';

/** A stock client's document, as the bridge reads and writes it. */
export interface OutsideDocument {
  /** What the document shows now, and what in it the workspace cannot carry. */
  read(): { readonly state: Map<string, string | number>; readonly problems: readonly OutsideProblem[] };
  /** Change the document from `current` to show `target`, as the gateway's own change. */
  write(current: OutsideState, target: OutsideState): void;
  /** The document's id, for documents that have one (an automerge-repo document's). */
  readonly documentId?: string;
}

export interface ClientBridgeOptions {
  readonly room: string;
  /** The replica's id: the client's, as its credential names it, made unique to this gateway and relay run. */
  readonly replicaId: string;
  readonly host: GatewayHost;
  /** The engine whose view the outside document shows. */
  readonly primary: EngineName;
  readonly document: OutsideDocument;
  readonly store: Store;
  /** What the outside document showed when the bridge began opening (default: what it shows once open). */
  readonly baseline?: OutsideState;
  /** Called with what an outside edit carried that the workspace cannot. */
  readonly onProblems?: (problems: readonly OutsideProblem[]) => void;
}

export class ClientBridge {
  private known: OutsideState;
  private showScheduled = false;
  /** Outside edits being applied: the bridge leaves the room only once each reached its peers. */
  private readonly applying = new Set<Promise<void>>();
  /** Problems already reported (a document keeps showing them until someone mends it). */
  private readonly reported = new Set<string>();
  private closed = false;

  private constructor(
    private readonly options: ClientBridgeOptions,
    readonly replica: Replica,
  ) {
    this.known = options.baseline ?? options.document.read().state;
    replica.subscribe((event) => {
      if (event.type === 'change' && event.engine === options.primary) this.scheduleShow();
      if (event.type === 'problem')
        options.host.log.warn('interop-replica-problem', { room: options.room, ...event.problem });
    });
    this.scheduleShow();
  }

  static async open(options: ClientBridgeOptions): Promise<ClientBridge> {
    const replica = await Replica.open({
      id: options.replicaId,
      // The room's checkout authority is no replica: a bridge that counted it as a peer would wait for
      // its digests (which never come) before serving its client.
      transport: splitCheckoutChannel(
        options.host.openLocalNode({ room: options.room, nodeId: options.replicaId, role: 'replica' }),
      ).transport,
      store: options.store,
      engines: ENGINES,
      primary: options.primary,
    });
    return new ClientBridge(options, replica);
  }

  get id(): string {
    return this.replica.id;
  }

  get schema(): WorkspaceSchema {
    return this.replica.schema;
  }

  /** The outside document changed by a client's edit: apply the difference to every engine. */
  outsideChanged(counted?: ReadonlySet<string>): void {
    if (this.closed) return;
    const { state, problems: unreadable } = this.options.document.read();
    const { intents, problems } = intentsBetween(this.schema, this.known, state, counted);
    let outside = this.known;
    this.known = state;
    for (const intent of intents) outside = this.applyIntent(intent, outside);
    const all = [...unreadable, ...problems].filter((p) => {
      const key = `${p.path}\n${p.problem}`;
      if (this.reported.has(key)) return false;
      this.reported.add(key);
      return true;
    });
    if (all.length > 0) {
      for (const problem of all)
        this.options.host.log.warn('interop-untranslatable', {
          room: this.options.room,
          replica: this.id,
          ...problem,
        });
      this.options.onProblems?.(all);
    }
    // What could not be carried is put back to what the engines show.
    this.scheduleShow();
  }

  /** Apply one intent whose text positions refer to the outside text; returns the outside state after it. */
  private applyIntent(intent: Intent, outside: OutsideState): OutsideState {
    const edit = this.schema.edit(intent);
    const apply = (one: Intent): void => {
      const applied = this.replica.apply(one).catch((error: unknown) =>
        this.options.host.log.error('interop-apply-failed', {
          room: this.options.room,
          replica: this.id,
          op: one.op,
          error: errorMessage(error),
        }),
      );
      this.applying.add(applied);
      void applied.finally(() => this.applying.delete(applied));
    };
    if (edit.kind !== 'text') {
      apply(intent);
      return outside;
    }
    const field = this.schema.field(edit.field);
    const before = String(outside.get(edit.field) ?? '');
    const primaryText = String(field === undefined ? '' : this.schema.valueIn(this.view(), field));
    for (const aligned of alignTextEdit(before, primaryText, edit))
      apply(this.schema.intentOf(aligned) as Intent);
    const next = new Map(outside);
    next.set(edit.field, applyTextEdit(before, edit));
    return next;
  }

  /**
   * Resolves once the replica holds what its peers in the room hold (every reachable peer announced the
   * primary engine's digest we have) and the outside document shows it, or after `maxWaitMs`: a client
   * served before that would first see a room that is still filling up.
   */
  caughtUp(maxWaitMs = 3000): Promise<void> {
    const { primary } = this.options;
    const done = (): boolean => {
      if (this.closed) return true;
      if (this.replica.connection() !== 'online') return false;
      const ours = this.replica.digest(primary);
      const heard = this.replica.peerDigests();
      return this.replica.peers().every((peer) => heard.get(peer)?.[primary] === ours);
    };
    return new Promise((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        unsubscribe();
        clearTimeout(timer);
        if (!this.closed) this.show();
        resolve();
      };
      const check = (): void => {
        // After the event that prompted it: welcome sets the state before the links come up.
        setTimeout(() => {
          if (done()) finish();
        }, 0);
      };
      const unsubscribe = this.replica.subscribe(check);
      const timer = setTimeout(finish, maxWaitMs);
      check();
    });
  }

  private view() {
    return this.replica.view(this.options.primary);
  }

  private scheduleShow(): void {
    if (this.showScheduled || this.closed) return;
    this.showScheduled = true;
    // One write for a burst of changes (a peer's catch-up, a multi-step outside edit).
    setTimeout(() => {
      this.showScheduled = false;
      if (!this.closed) this.show();
    }, 0);
  }

  /** Make the outside document show what the primary engine shows. */
  private show(): void {
    const target = outsideStateOf(this.schema, this.view());
    if (sameState(this.known, target)) return;
    try {
      this.options.document.write(this.known, target);
    } catch (error) {
      this.options.host.log.error('interop-write-failed', {
        room: this.options.room,
        replica: this.id,
        error: errorMessage(error),
      });
    }
    this.known = this.options.document.read().state;
  }

  /** Leave the room once every outside edit is durable and sent; what the replica holds stays in its store. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.applying);
    await this.replica.close();
  }
}

function sameState(a: OutsideState, b: OutsideState): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}
