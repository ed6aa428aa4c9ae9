/**
 * What the replica worker does (worker/replica-worker.ts is only its entry): it opens the window's
 * replica — the relay connection (tapped for the wire log), checkout on the same connection, every
 * registered engine, the store — with the app model over it, and speaks the page protocol (protocol.ts):
 * commands in; per engine text deltas, the status snapshot (a few times a second, without texts) and the
 * checkout view out. The page's text edits are rebased over the changes it had not seen (editor-sync.ts).
 */
import { attachCheckout, type CheckoutClient, parseSessionSnapshot } from '@converge/checkout';
import { errorMessage, realTimers, STORAGE_NODE_ID } from '@converge/protocol';
import {
  ENGINES,
  type EngineName,
  type Intent,
  type LocalPresence,
  RelayTransport,
  Replica,
  type Store,
} from '@converge/replica';
import { engineFacts } from '@converge/replica/descriptors';
import { AppModel } from '../logic/app-model.ts';

import type { LinkOperation } from '../logic/relay-admin.ts';
import { describeRelayProblem } from '../logic/relay-problem.ts';
import {
  broadcastReplayChannel,
  ReplayAgent,
  windowActions,
  windowStateOf,
} from '../logic/replay-channel.ts';
import {
  broadcastSessionChannel,
  type ScenarioChaos,
  SessionRecorder,
  snapshotOf,
} from '../logic/session-recorder.ts';
import { TappedTransport, wireLogTap } from '../logic/tapped-transport.ts';
import { markStart, type StartMark } from '../logic/timing.ts';
import { type HeadsResolver, type VersionComparison, VersionComparisons } from '../logic/versions.ts';
import { WireLog } from '../logic/wire-log.ts';
import { PageTextEdits } from './page-text-edits.ts';
import type { ToPage, ToWorker, WorkerRequest } from './protocol.ts';
import {
  type HistoryMark,
  snapshotPatch,
  statusWithoutTexts,
  textFieldNames,
  WIRE_LOG_FRAMES,
  type WorkerSnapshot,
} from './wire-snapshot.ts';

type Init = Extract<ToWorker, { type: 'init' }>;

export interface ReplicaHostOptions {
  readonly init: Init;
  readonly store: Store;
  readonly post: (message: ToPage) => void;
  /** Ask the page for the window's credential (only the page can reach it). */
  readonly credential: () => Promise<string>;
}

/** At least this long between two status snapshots sent to the page. */
export const SNAPSHOT_MIN_MS = 250;

/** At least this long between two history entries while changes keep coming (each reads every whole text). */
export const HISTORY_MIN_MS = 1000;

/** How long checkout view changes are gathered before one message carries them. */
const CHECKOUT_VIEW_MS = 50;

export class ReplicaHost {
  private readonly texts: PageTextEdits;
  private posted: WorkerSnapshot | undefined;
  private checkoutTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly stops: (() => void)[] = [];
  private readonly textFields: readonly string[];

  private constructor(
    private readonly options: ReplicaHostOptions,
    private readonly replica: Replica,
    private readonly model: AppModel,
    private readonly recorder: SessionRecorder,
    private readonly checkout: CheckoutClient,
    private readonly closers: readonly (() => void)[],
  ) {
    this.textFields = textFieldNames(replica.schema);
    this.texts = new PageTextEdits({
      replica,
      textFields: this.textFields,
      post: options.post,
      apply: (edit) => void model.applyEdit(edit),
      notify: (message) => model.notify('info', message),
    });
  }

  static async open(options: ReplicaHostOptions): Promise<ReplicaHost> {
    const { config } = options.init;
    const wire = new WireLog(ENGINES.names, WIRE_LOG_FRAMES);
    let model: AppModel | undefined;
    const relay = new RelayTransport({
      url: config.relayUrl,
      room: config.room,
      nodeId: config.replicaId,
      role: 'replica',
      token: options.credential,
      onProblem: (problem) => model?.relayReported(describeRelayProblem(problem)),
    });
    let restored: ReturnType<typeof parseSessionSnapshot> | undefined;
    let restoreProblem: string | undefined;
    try {
      if (options.init.checkoutRestored !== undefined)
        restored = parseSessionSnapshot(options.init.checkoutRestored);
    } catch (error) {
      restoreProblem = `the checkout session kept for this window could not be read: ${errorMessage(error)}`;
    }
    const checkout = attachCheckout(relay, {
      clock: realTimers,
      canWrite: () => relay.state() !== 'online' || relay.rights().includes('write'),
      ...(restored === undefined ? {} : { restored }),
      persist: (snapshot) => options.post({ type: 'checkout-persist', snapshot }),
    });
    const transport = new TappedTransport(
      checkout.transport,
      ENGINES,
      wireLogTap(wire, ENGINES, Date.now, () => model?.wireChanged()),
    );
    const replica = await Replica.open({
      id: config.replicaId,
      transport,
      store: options.store,
      engines: ENGINES,
      // The primary's text is shown (and editable) as soon as it has loaded; the others follow.
      progressive: true,
      // A new window takes the room's document from the storage peer alone; the other windows then
      // answer with what it lacked, not a megabyte per engine each (issue 19).
      firstSource: STORAGE_NODE_ID,
    });
    markStart('converge:replica-open');
    const sessionChannel = broadcastSessionChannel(config.room);
    const recorder = new SessionRecorder(config.replicaId, {
      snapshot: () => snapshotOf(replica),
      ...(sessionChannel === undefined ? {} : { channel: sessionChannel }),
    });
    model = new AppModel({
      replica,
      wire,
      recorder,
      schedule: (flush) => setTimeout(flush, 0),
      now: Date.now,
      // The whole-state snapshot at most 4 times a second: each one re-renders the page's panels on
      // the UI thread (measured: ~30 ms a render under load), which typing must not queue behind.
      minRebuildMs: SNAPSHOT_MIN_MS,
      // The page follows the texts by their deltas: a snapshot need not read every engine's whole text,
      // which only the history's entries keep (at most once a second while changes keep coming).
      statusWithoutText: true,
      historyMinMs: HISTORY_MIN_MS,
      // The digests (every text's hash) follow in the next snapshot, in a task after 'ready' (issue 19).
      firstSnapshotWithoutDigest: true,
    });
    if (options.init.notice !== undefined) model.notify('info', options.init.notice);
    if (restoreProblem !== undefined) model.notify('error', restoreProblem);
    const replayChannel = broadcastReplayChannel(config.room);
    const replayAgent =
      replayChannel === undefined ? undefined : new ReplayAgent(windowActions(model), replayChannel);
    const host = new ReplicaHost(options, replica, model, recorder, checkout.client, [
      () => checkout.client.close(),
      () => recorder.close(),
      () => sessionChannel?.close(),
      () => replayAgent?.close(),
      () => replayChannel?.close(),
    ]);
    host.start();
    return host;
  }

  private start(): void {
    const { replica, model } = this;
    const texts: Record<string, Record<string, string>> = {};
    for (const engine of replica.engineNames) {
      const fields: Record<string, string> = {};
      for (const field of this.textFields) {
        const text = replica.textSlice(engine, field);
        fields[field] = text;
        this.texts.started(engine, field, text.length);
      }
      texts[engine] = fields;
    }
    this.stops.push(
      replica.subscribe((event) => (event.type === 'text' ? this.texts.changed(event) : undefined)),
    );
    this.stops.push(markFirstSyncSteps(replica));
    this.stops.push(model.subscribe(() => this.postSnapshot()));
    this.stops.push(
      this.checkout.subscribe(() => {
        if (this.checkoutTimer !== undefined) return;
        this.checkoutTimer = setTimeout(() => {
          this.checkoutTimer = undefined;
          this.options.post({ type: 'checkout-view', view: { ...this.checkout.view() } });
        }, CHECKOUT_VIEW_MS);
      }),
    );
    const snapshot = this.snapshot();
    this.posted = snapshot;
    this.options.post({
      type: 'ready',
      rev: this.texts.rev,
      engines: ENGINES.descriptors.map(engineFacts),
      texts,
      snapshot: { ...snapshot },
      checkout: { ...this.checkout.view() },
    });
  }

  /** Carry out a command from the page. Never throws: failures become replies or notices. */
  handle(message: ToWorker): void {
    const { model } = this;
    switch (message.type) {
      case 'init':
        this.options.post({ type: 'protocol-error', message: 'the replica worker is already started' });
        return;
      case 'edit-text':
        this.texts.edit(message);
        return;
      case 'apply':
        this.answer(message.id, () => model.apply(message.intent as Intent));
        return;
      case 'history':
        this.answer(message.id, () => (message.op === 'undo' ? model.undo() : model.redo()));
        return;
      case 'restore':
        this.answer(message.id, async () => {
          const entry = model.historyEntry(message.seq);
          if (entry === undefined) throw new Error('that history entry is no longer kept');
          return model.restore(entry);
        });
        return;
      case 'offline':
        model.setOffline(message.offline);
        return;
      case 'skew':
        this.answer(message.id, () => model.setSkew(message.ms));
        return;
      case 'primary':
        this.answer(message.id, async () => {
          await model.setPrimary(message.engine as EngineName);
          // Edits the page based on the old engine's text cannot be placed in the new one's.
          this.texts.reset();
        });
        return;
      case 'presence':
        model.setPresence(message.presence as LocalPresence);
        return;
      case 'notify':
        model.notify(message.level, message.message);
        return;
      case 'dismiss':
        model.dismiss(message.notice);
        return;
      case 'checkout':
        this.answer(message.id, async () => this.checkout.checkout(message.lines));
        return;
      case 'request':
        this.answer(message.id, async () => this.request(message.request));
        return;
      case 'record':
        try {
          if (message.step.what === 'links')
            this.recorder.links(message.step.operation as unknown as LinkOperation, message.step.nodes);
          else this.recorder.chaos(message.step.chaos as unknown as ScenarioChaos);
        } catch (error) {
          model.notify('error', `could not record that step: ${errorMessage(error)}`);
        }
        return;
      case 'flush':
        this.replica.flush();
        return;
      case 'credential':
        return; // answered by the worker entry
      case 'close':
        this.answer(message.id, () => this.close());
        return;
    }
  }

  async close(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    if (this.checkoutTimer !== undefined) clearTimeout(this.checkoutTimer);
    for (const close of this.closers) close();
    this.model.close();
    await this.replica.close();
    await this.options.store.close();
  }

  private async request(request: WorkerRequest): Promise<unknown> {
    switch (request.what) {
      case 'history-entry':
        return this.model.historyEntry(request.seq);
      case 'ledger-writes':
        return this.model.ledgerWrites();
      case 'start-views':
        return this.model.startViews;
      case 'scenario':
        return this.recorder.toScenario(request.name);
      case 'window-state':
        return windowStateOf(this.replica);
      case 'text':
        if (!this.replica.engineNames.includes(request.engine) || !this.textFields.includes(request.field))
          throw new Error(`no text ${request.field} in engine ${request.engine}`);
        return this.replica.textSlice(request.engine, request.field);
    }
  }

  private answer(id: number, run: () => Promise<unknown> | unknown): void {
    const post = this.options.post;
    Promise.resolve()
      .then(run)
      .then(
        (value) => post({ type: 'reply', id, ok: true, value: value === undefined ? null : value }),
        (error: unknown) => post({ type: 'reply', id, ok: false, error: errorMessage(error) }),
      );
  }

  private postSnapshot(): void {
    const next = this.snapshot();
    const changed = snapshotPatch(this.posted, next);
    this.posted = next;
    this.options.post({ type: 'snapshot', snapshot: changed });
  }

  private snapshot(): WorkerSnapshot {
    const app = this.model.getSnapshot();
    const previous = this.posted;
    const history: readonly HistoryMark[] =
      previous !== undefined && this.lastHistory === app.history
        ? previous.history
        : app.history.map(({ views: _views, ...mark }) => mark);
    this.lastHistory = app.history;
    return {
      ...app,
      status: statusWithoutTexts(app.status, this.textFields),
      history,
      omittedActions:
        previous !== undefined && sameList(previous.omittedActions, this.recorder.omittedActions)
          ? previous.omittedActions
          : [...this.recorder.omittedActions],
      versionComparisons: this.versionComparisons(app.status),
    };
  }

  private lastHistory: unknown;
  private readonly comparisons = new VersionComparisons();

  /** Heads (Automerge's versions) are compared here, against this replica's own change graph. */
  private versionComparisons(
    status: ReturnType<AppModel['getSnapshot']>['status'],
  ): WorkerSnapshot['versionComparisons'] {
    const out: Record<string, Record<string, VersionComparison>> = {};
    for (const { name, heads } of this.replica.registry.descriptors) {
      const engine = status.engines[name];
      if (heads === undefined || engine === undefined) continue;
      let resolver: HeadsResolver | undefined;
      const resolverOnce = (): HeadsResolver => {
        resolver ??= heads(this.replica.engine(name));
        return resolver;
      };
      const byPeer: Record<string, VersionComparison> = {};
      for (const [peer, version] of Object.entries(engine.peerVersions))
        byPeer[peer] = this.comparisons.compare(keyOf(name, peer), engine.version, version, resolverOnce);
      out[name] = byPeer;
    }
    this.comparisons.endRound();
    return out;
  }
}

/**
 * The start marks of what a window waits for from the relay (a new window's text): connected, a first
 * peer, the primary's first text from a peer. Each is marked once; stops listening when all are.
 */
type FirstSyncMark = Extract<
  StartMark,
  'converge:relay-online' | 'converge:first-peer' | 'converge:first-remote-text'
>;

function markFirstSyncSteps(replica: Replica): () => void {
  const marked = new Set<FirstSyncMark>();
  const once = (name: FirstSyncMark): void => {
    if (marked.has(name)) return;
    marked.add(name);
    markStart(name);
    if (marked.size === 3) stop();
  };
  const stop = replica.subscribe((event) => {
    if (event.type === 'connection' && event.state === 'online') once('converge:relay-online');
    else if (event.type === 'peers' && event.peers.length > 0) once('converge:first-peer');
    else if (event.type === 'text' && event.origin === 'remote' && event.engine === replica.primary)
      once('converge:first-remote-text');
  });
  // What happened before the host listened is marked now (as it is seen).
  if (replica.connection() === 'online') once('converge:relay-online');
  if (replica.peers().length > 0) once('converge:first-peer');
  return stop;
}

function keyOf(engine: string, field: string): string {
  return `${engine}\u0000${field}`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
