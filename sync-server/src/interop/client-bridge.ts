/**
 * One outside client's way into a room: a replica named after the client (every engine the registry
 * offers, joined to the room through an in-process node, so windows and the storage peer sync with it
 * like with any window) and the outside document its stock client edits (a Y.Doc, an Automerge document).
 *
 * Once open, the bridge keeps the outside document a mirror of the replica's primary engine (the
 * gateway's own: yjs for y-websocket clients, automerge for automerge-repo clients), and every step is
 * O(the edit), never O(the document):
 * - A client's edit arrives as the document describes it (its texts' deltas, from a Y.Text event or
 *   Automerge's patches): each text delta becomes text.delete / text.insert at the same positions in the
 *   primary engine (the texts are equal, since the document mirrors it), and the other fields (cart,
 *   counters, registers: small) are compared with what the document showed before and turned into
 *   intents (./outside-state.ts). Every engine gets them as this replica's edits: the Compare panel and
 *   the LWW ledger see them.
 * - Whatever the primary engine comes to show, from windows or from the outside edits themselves, is
 *   written back as the gateway's own change (not translated again): its text deltas as they come (the
 *   runtime reports them), the other fields once per burst.
 * Reading and writing whole texts happens only when the bridge opens (`reconcile`: what a client wrote
 * while no bridge was open is translated then), and to repair the mirror when an edit could not be
 * followed (a text replaced whole, an edit the engines refused).
 *
 * The replica's store and the outside document outlive the bridge (./bridge-slot.ts keeps both, in a
 * crash-safe log with a data directory), so a client that reconnects finds both as it left them.
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
  type TextDelta,
  type WorkspaceSchema,
} from '@converge/replica';
import type { GatewayHost } from '../gateways.ts';
import { intentsBetween, type OutsideProblem, type OutsideState, outsideStateOf } from './outside-state.ts';

/**
 * How long a bridge whose client left waits for its peers to hold what it holds before leaving the room
 * (a peer that keeps editing would keep the digests apart for good).
 */
export const CLOSE_WAIT_MS = 5_000;

/** A stock client's document, as the bridge reads and writes it. */
export interface OutsideDocument {
  /**
   * What the document shows now, and what in it the workspace cannot carry. Its texts only with
   * `texts` (reading a text whole is O(text)); otherwise the other fields alone.
   */
  read(options?: { readonly texts?: boolean }): {
    readonly state: Map<string, string | number>;
    readonly problems: readonly OutsideProblem[];
  };
  /** Change the document from `current` to show `target` (the paths either names), as the gateway's own change. */
  write(current: OutsideState, target: OutsideState): void;
  /** Apply a text's deltas (each to the text the previous one left), as the gateway's own change. */
  writeText(field: string, deltas: readonly TextDelta[]): void;
  /** The document's id, for documents that have one (an automerge-repo document's). */
  readonly documentId?: string;
}

/** A client's edit of the outside document, as the document described it. */
export interface OutsideEdit {
  /**
   * Its texts' changes in order, each delta applying to the text the previous one left; `undefined`
   * deltas: the change could not be followed (a text replaced whole), so the text is compared whole.
   */
  readonly texts: readonly { readonly field: string; readonly deltas: readonly TextDelta[] | undefined }[];
  /** Cart and counter paths the client changed by counting (an Automerge Counter's increment). */
  readonly counted?: ReadonlySet<string>;
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
  /** Called with what an outside edit carried that the workspace cannot. */
  readonly onProblems?: (problems: readonly OutsideProblem[]) => void;
}

export class ClientBridge {
  /** The fields besides the texts as the outside document shows them (last read or written). */
  private fields: OutsideState = new Map();
  private fieldsScheduled = false;
  /** Set by `reconcile`: from then on the outside document mirrors the primary engine. */
  private mirroring = false;
  /** A client's edit is being applied: the primary's text changes now are that edit, already outside. */
  private translating = false;
  /** Outside edits being applied: the bridge leaves the room only once each reached its peers. */
  private readonly applying = new Set<Promise<void>>();
  /** Problems already reported (a document keeps showing them until someone mends it). */
  private readonly reported = new Set<string>();
  private closed = false;

  private constructor(
    private readonly options: ClientBridgeOptions,
    readonly replica: Replica,
  ) {
    replica.subscribe((event) => {
      if (event.type === 'text' && event.engine === options.primary)
        this.primaryText(event.field, event.deltas);
      if (event.type === 'change' && event.engine === options.primary) this.scheduleFields();
      if (event.type === 'problem')
        options.host.log.warn('interop-replica-problem', { room: options.room, ...event.problem });
    });
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

  /**
   * Make the outside document a mirror of the primary engine, once, when the bridge opens (O(document)):
   * first what it shows beyond `baseline` (a client's edits no bridge translated: while none was open,
   * or cut off by a crash) is applied to every engine, then it is made to show what the primary shows.
   */
  reconcile(baseline: OutsideState | undefined, counted?: ReadonlySet<string>): void {
    if (this.closed) return;
    if (baseline !== undefined) {
      const { state, problems } = this.options.document.read({ texts: true });
      this.translateStates(baseline, state, counted, problems);
    }
    this.mirror();
    this.mirroring = true;
  }

  /** A client changed the outside document by `edit`: apply it to every engine. */
  outsideChanged(edit: OutsideEdit): void {
    if (this.closed || !this.mirroring) return;
    if (edit.texts.some(({ deltas }) => deltas === undefined)) {
      // Not followable: compare whole (the texts were the primary's until this edit).
      const before = new Map(this.fields);
      for (const field of this.schema.fieldsOf('text'))
        before.set(field.name, this.replica.textSlice(this.options.primary, field.name));
      const { state, problems } = this.options.document.read({ texts: true });
      this.translateStates(before, state, edit.counted, problems);
      this.fields = withoutTexts(this.schema, new Map(state));
      // Not from within the document's change event (automerge-repo would report a change made there
      // only after it, as if a client had made it).
      setTimeout(() => this.mirror(), 0);
      return;
    }
    const { state, problems: unreadable } = this.options.document.read();
    const { intents, problems } = intentsBetween(this.schema, this.fields, state, edit.counted);
    this.fields = state;
    this.translating = true;
    try {
      for (const { field, deltas } of edit.texts) {
        for (const { pos, del, text } of deltas ?? []) {
          if (del > 0) this.apply({ op: `${field}.delete`, pos, len: del } as unknown as Intent);
          if (text.length > 0) this.apply({ op: `${field}.insert`, pos, text } as unknown as Intent);
        }
      }
      for (const intent of intents) this.apply(intent);
    } finally {
      this.translating = false;
    }
    this.report([...unreadable, ...problems]);
    // What could not be carried is put back to what the engines show.
    this.scheduleFields();
  }

  /** The primary engine's text changed: the same deltas outside (unless they are the client's own edit). */
  private primaryText(field: string, deltas: readonly TextDelta[]): void {
    if (!this.mirroring || this.translating || this.closed || deltas.length === 0) return;
    try {
      this.options.document.writeText(field, deltas);
    } catch (error) {
      this.failed('interop-write-failed', error);
      this.mirror();
    }
  }

  /**
   * Translate the difference of two whole states (texts included) into intents, each text edit aligned
   * from the outside text to the primary's (they may differ when the bridge opens).
   */
  private translateStates(
    before: OutsideState,
    after: OutsideState,
    counted: ReadonlySet<string> | undefined,
    unreadable: readonly OutsideProblem[],
  ): void {
    const { intents, problems } = intentsBetween(this.schema, before, after, counted);
    let outside = before;
    this.translating = true;
    try {
      for (const intent of intents) outside = this.applyAligned(intent, outside);
    } finally {
      this.translating = false;
    }
    this.report([...unreadable, ...problems]);
  }

  /** Apply one intent whose text positions refer to the outside text; returns the outside state after it. */
  private applyAligned(intent: Intent, outside: OutsideState): OutsideState {
    const edit = this.schema.edit(intent);
    if (edit.kind !== 'text') {
      this.apply(intent);
      return outside;
    }
    const before = String(outside.get(edit.field) ?? '');
    const primaryText = this.replica.textSlice(this.options.primary, edit.field);
    for (const aligned of alignTextEdit(before, primaryText, edit))
      this.apply(this.schema.intentOf(aligned) as Intent);
    const next = new Map(outside);
    next.set(edit.field, applyTextEdit(before, edit));
    return next;
  }

  private apply(intent: Intent): void {
    const applied = this.replica.apply(intent).catch((error: unknown) => {
      this.failed('interop-apply-failed', error, intent.op);
      // The engines refused what the document shows: put it back to what they show.
      this.mirror();
    });
    this.applying.add(applied);
    void applied.finally(() => this.applying.delete(applied));
  }

  private report(found: readonly OutsideProblem[]): void {
    const fresh = found.filter((p) => {
      const key = `${p.path}\n${p.problem}`;
      if (this.reported.has(key)) return false;
      this.reported.add(key);
      return true;
    });
    if (fresh.length === 0) return;
    for (const problem of fresh)
      this.options.host.log.warn('interop-untranslatable', {
        room: this.options.room,
        replica: this.id,
        ...problem,
      });
    this.options.onProblems?.(fresh);
  }

  private failed(event: string, error: unknown, op?: string): void {
    this.options.host.log.error(event, {
      room: this.options.room,
      replica: this.id,
      ...(op === undefined ? {} : { op }),
      error: errorMessage(error),
    });
  }

  /**
   * Resolves once the replica holds what its peers in the room hold (every reachable peer announced the
   * primary engine's digest we have) and the outside document shows it, or after `maxWaitMs`: a client
   * served before that would first see a room that is still filling up. A peer that announced digests
   * but none of the primary (a window whose engine is still loading) is not waited for: a stock
   * automerge-repo client gives its server 1 s to answer, then calls the document unavailable.
   */
  caughtUp(maxWaitMs = 3000): Promise<void> {
    return this.peersAgree([this.options.primary], maxWaitMs, 'agrees').then(() => {
      // The texts are mirrored as they change; the other fields may still wait for their burst.
      this.writeFields();
    });
  }

  /**
   * Resolves once every reachable peer announced, for each of `engines`, the digest we have (a peer that
   * announced none of an engine counts as agreeing if `unannounced` says so), once the replica is closed,
   * or after `maxWaitMs`.
   */
  private peersAgree(
    engines: readonly EngineName[],
    maxWaitMs: number,
    unannounced: 'agrees' | 'waits',
  ): Promise<void> {
    const done = (): boolean => {
      if (this.replica.connection() !== 'online') return false;
      const heard = this.replica.peerDigests();
      return this.replica.peers().every((peer) => {
        const theirs = heard.get(peer);
        return (
          theirs !== undefined &&
          engines.every(
            (name) =>
              (unannounced === 'agrees' && theirs[name] === undefined) ||
              theirs[name] === this.replica.digest(name),
          )
        );
      });
    };
    return new Promise((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        unsubscribe();
        clearTimeout(timer);
        resolve();
      };
      const check = (): void => {
        // After the event that prompted it: welcome sets the state before the links come up.
        setTimeout(() => {
          if (this.closed || done()) finish();
        }, 0);
      };
      const unsubscribe = this.replica.subscribe(check);
      const timer = setTimeout(finish, maxWaitMs);
      check();
    });
  }

  private scheduleFields(): void {
    if (this.fieldsScheduled || this.closed) return;
    this.fieldsScheduled = true;
    // One write for a burst of changes (a peer's catch-up, a multi-step outside edit).
    setTimeout(() => {
      this.fieldsScheduled = false;
      this.writeFields();
    }, 0);
  }

  /** Make the outside document's fields besides the texts show what the primary shows (O(those fields)). */
  private writeFields(): void {
    if (!this.mirroring || this.closed) return;
    const target = withoutTexts(
      this.schema,
      outsideStateOf(this.schema, this.replica.viewWithoutText(this.options.primary)),
    );
    if (sameState(this.fields, target)) return;
    this.write(this.fields, target);
    this.fields = this.options.document.read().state;
  }

  /** Make the whole outside document show what the primary shows (O(document): on opening and repairs). */
  private mirror(): void {
    if (this.closed) return;
    const target = outsideStateOf(this.schema, this.replica.view(this.options.primary));
    const current = this.options.document.read({ texts: true }).state;
    if (!sameState(current, target)) this.write(current, target);
    this.fields = this.options.document.read().state;
  }

  private write(current: OutsideState, target: OutsideState): void {
    try {
      this.options.document.write(current, target);
    } catch (error) {
      this.failed('interop-write-failed', error);
    }
  }

  /**
   * Leave the room once every outside edit is durable and sent, and the peers hold what the replica holds
   * (at most CLOSE_WAIT_MS); what the replica holds stays in its store.
   */
  async close(): Promise<void> {
    await Promise.all(this.applying);
    // The primary caught up before the client was served, the other engines maybe not: their part of an
    // edit the client made at once may still wait for a peer's answer (Automerge sends changes in reply
    // to the peer's heads). Leaving now would leave the room without it until this client came back.
    // A peer yet to announce an engine's digest may still be taking the edit in: waited for too.
    if (this.replica.connection() === 'online')
      await this.peersAgree(this.replica.engineNames, CLOSE_WAIT_MS, 'waits');
    this.closed = true;
    await this.replica.close();
  }
}

/** A state without its texts' paths (what the fields besides the texts show). */
function withoutTexts(
  schema: WorkspaceSchema,
  state: Map<string, string | number>,
): Map<string, string | number> {
  for (const field of schema.fieldsOf('text')) state.delete(field.name);
  return state;
}

function sameState(a: OutsideState, b: OutsideState): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}
