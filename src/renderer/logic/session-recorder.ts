/**
 * Recording the session as a scenario file (scenarios/src/scenario.ts) that the runner replays to the
 * same result.
 *
 * - One log for the windows of this app: every window records what its user does that the format can
 *   express (edits, typing coalesced; Offline/online; clock skew; partition presets; heal; chaos) and
 *   shares each step with the other windows of the room over a `SessionChannel` (a BroadcastChannel in
 *   the app), so the export of any window holds every window's steps, in the order they happened. A
 *   window that opens later asks the others for the log so far.
 * - Self-contained: the log starts with the room's state as the window that made the first step had it
 *   just before (engine snapshots), so an export made mid-room replays from where the recording began.
 * - People act far slower than windows sync: the export puts a `sync` before every step except an edit
 *   that continues the same replica's edits, so what a window had received before acting is what its
 *   replica has received in the replay.
 * - Node ids only: the storage peer is never a replica of the file (partitions say where it goes), and a
 *   heal is recorded only when something was cut since the last one.
 * Cutting one directed link has no scenario step: it is counted and reported as left out.
 */
import {
  AUTHORITY_NODE_ID,
  placementOf,
  STORAGE_NODE_ID,
  type StoragePlacement,
  storageWith,
} from '@converge/protocol';
import {
  ENGINES,
  type EngineName,
  type FieldEdit,
  type Intent,
  isEmptyView,
  type Replica,
  WORKSPACE,
} from '@converge/replica';
import {
  type EditStep,
  isEditStep,
  parseScenario,
  replicasNamedBy,
  type ScenarioFile,
  type Step,
  stepSchema,
  toBase64,
} from '@converge/scenarios/format';
import { z } from 'zod';
import { openWindowChannel } from './broadcast-channel.ts';
import type { LinkOperation } from './relay-admin.ts';

export type { ScenarioFile };

/** The room's state as one window holds it: a snapshot per engine (`Engine.save()`). */
export type Snapshot = Readonly<Partial<Record<EngineName, Uint8Array>>>;

/** The state a log starts from, and the wall time it was taken at. */
export interface LogStart {
  readonly at: number;
  readonly engines: Snapshot;
}

/** One step of the log; `ids` are the recorded actions it stands for (typing coalesces many). */
export interface LoggedStep {
  readonly ids: readonly string[];
  readonly step: Step;
}

export type SessionMessage =
  /** A window opened: windows with a log answer with it. */
  | { readonly kind: 'hello'; readonly from: string }
  | {
      readonly kind: 'log';
      readonly to: string;
      readonly start: LogStart | null;
      readonly entries: readonly LoggedStep[];
    }
  /**
   * A window recorded a step. `first`: the first step of its log, which then starts from `start` (absent:
   * an empty room); a window that had no log yet adopts that start.
   */
  | {
      readonly kind: 'step';
      readonly from: string;
      readonly entry: LoggedStep;
      readonly first: boolean;
      readonly start?: LogStart;
    };

/** How the windows of one room share their steps (a BroadcastChannel in the app). */
export interface SessionChannel {
  post(message: SessionMessage): void;
  /** Messages from the other windows (never this window's own); returns an unsubscribe function. */
  subscribe(listener: (message: unknown) => void): () => void;
}

/** The scenario format's chaos step (rates 0..1, delay as a uniform extra delay up to delayMs). */
export interface ScenarioChaos {
  readonly drop?: number;
  readonly duplicate?: number;
  readonly reorder?: number;
  readonly delayMs?: number;
  readonly seed?: number;
}

export interface SessionRecorderOptions {
  /** The room's state as this window holds it; undefined when nothing shows yet (an empty room). */
  readonly snapshot?: () => Snapshot | undefined;
  readonly channel?: SessionChannel;
  /** Tells this window's messages apart (default: random). */
  readonly instanceId?: string;
  /** Wall clock, for when the start state was taken (default Date.now). */
  readonly now?: () => number;
}

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_REPLICAS = 16;

const startSchema = z.strictObject({
  at: z.number().int().min(0),
  engines: z.record(
    z.string().refine((name) => ENGINES.has(name), 'unknown engine'),
    z.instanceof(Uint8Array),
  ),
});
const loggedStepSchema = z.strictObject({ ids: z.array(z.string().max(200)).min(1), step: stepSchema });
const messageSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('hello'), from: z.string().max(200) }),
  z.strictObject({
    kind: z.literal('log'),
    to: z.string().max(200),
    start: startSchema.nullable(),
    entries: z.array(loggedStepSchema).max(100_000),
  }),
  z.strictObject({
    kind: z.literal('step'),
    from: z.string().max(200),
    entry: loggedStepSchema,
    first: z.boolean(),
    start: startSchema.optional(),
  }),
]);

/** What a window holds, for the start of a log; undefined when nothing shows in any engine. */
export function snapshotOf(replica: Replica): Snapshot | undefined {
  if (replica.engineNames.every((engine) => isEmptyView(replica.view(engine)))) return undefined;
  // An engine still loading (a progressive open) holds nothing of its store yet, and its code may not have
  // loaded (`engine` would throw): it is left out, and a replay starts it empty.
  const loading = new Set(replica.loading());
  return Object.fromEntries(
    replica.engineNames
      .filter((engine) => !loading.has(engine))
      .map((engine) => [engine, replica.engine(engine).save()]),
  );
}

export class SessionRecorder {
  private readonly instance: string;
  private readonly snapshot: (() => Snapshot | undefined) | undefined;
  private readonly channel: SessionChannel | undefined;
  private readonly now: () => number;
  private readonly unsubscribe: () => void;
  private start: LogStart | undefined;
  private entries: LoggedStep[] = [];
  private readonly ids = new Set<string>();
  /** Steps from other windows that came before the log they belong to (see `receive`). */
  private waiting: LoggedStep[] = [];
  private seq = 0;
  private readonly seen = new Set<string>();
  private readonly omitted: string[] = [];

  constructor(
    readonly replicaId: string,
    options: SessionRecorderOptions = {},
  ) {
    this.instance = options.instanceId ?? `w-${Math.random().toString(36).slice(2, 12)}`;
    this.snapshot = options.snapshot;
    this.channel = options.channel;
    this.now = options.now ?? Date.now;
    this.unsubscribe = this.channel?.subscribe((message) => this.receive(message)) ?? (() => {});
    this.channel?.post({ kind: 'hello', from: this.instance });
  }

  /** A local edit of this window (positions against the primary engine's text, as applied). */
  edit(intent: Intent): void {
    this.record({ replica: this.replicaId, ...intent } as EditStep);
  }

  /** An undo or redo of this window's own edits. */
  history(op: 'undo' | 'redo'): void {
    this.record({ replica: this.replicaId, op });
  }

  offline(offline: boolean): void {
    this.record(offline ? { offline: this.replicaId } : { online: this.replicaId });
  }

  skew(ms: number): void {
    this.record({ skew: { replica: this.replicaId, ms } });
  }

  /** A split of the windows, the storage peer placed. */
  partition(groups: readonly (readonly string[])[], storage: StoragePlacement): void {
    const bad = groups.flat().find((id) => !isScenarioReplica(id));
    if (bad !== undefined || groups.length === 0) {
      this.omit(`partition ${JSON.stringify(groups)} (node ids outside the scenario format)`);
      return;
    }
    this.record({ partition: groups.map((g) => [...g]), storage });
  }

  heal(): void {
    this.record({ heal: true });
  }

  chaos(chaos: ScenarioChaos): void {
    this.record({ chaos: { ...chaos } });
  }

  /**
   * A link operation this window sent to the relay, as a scenario step: presets become partitions (the
   * storage peer placed where the operation put it), heal-all a heal; single links are left out.
   * `nodes`: the room's nodes when it was sent.
   */
  links(operation: LinkOperation, nodes: readonly { readonly id: string; readonly role: string }[]): void {
    const windows = nodes.filter((n) => n.role === 'replica').map((n) => n.id);
    switch (operation.op) {
      case 'heal-all':
        this.heal();
        return;
      case 'isolate': {
        // Every link of the node is cut, the storage peer's too; it stays with the others.
        const others = windows.filter((id) => id !== operation.node);
        const [companion] = others;
        this.partition(
          others.length > 0 ? [[operation.node], others] : [[operation.node]],
          companion === undefined ? 'alone' : storageWith(companion),
        );
        return;
      }
      case 'split': {
        if (operation.storage !== undefined) this.partition(operation.groups, operation.storage);
        else {
          const placed = placementOf(operation.groups);
          this.partition(placed.groups, placed.storage);
        }
        return;
      }
      case 'bridge':
        if (operation.node === STORAGE_NODE_ID) this.partition(operation.groups, 'everywhere');
        else this.omit(`bridge through ${operation.node} (only the storage peer can bridge in a scenario)`);
        return;
      default:
        this.omit(`${operation.op} link ${operation.from} → ${operation.to}`);
    }
  }

  /** Something the user did that the format cannot express (e.g. cutting a single directed link). */
  omit(description: string): void {
    this.omitted.push(description);
  }

  /** Another replica this session met (listed in the file so partitions may name it). */
  sawPeer(id: string): void {
    if (isScenarioReplica(id)) this.seen.add(id);
  }

  get stepCount(): number {
    return this.entries.length;
  }

  /** What was left out of the export, oldest first. */
  get omittedActions(): readonly string[] {
    return this.omitted;
  }

  /** Whether the log starts from a room that already held something. */
  get startsMidRoom(): boolean {
    return this.start !== undefined;
  }

  /** The session as a scenario file; validated against the format (throws ScenarioError if it cannot be). */
  toScenario(name: string): ScenarioFile {
    const steps: Step[] = [];
    let previous: Step | undefined;
    for (const { step } of this.entries) {
      const continuesTyping =
        previous !== undefined &&
        isEditStep(previous) &&
        isEditStep(step) &&
        previous.replica === step.replica;
      if (previous !== undefined && !continuesTyping) steps.push({ sync: true });
      steps.push(structuredClone(step));
      previous = step;
    }
    const named = new Set([...this.seen, ...steps.flatMap(replicasNamedBy)]);
    named.delete(this.replicaId);
    const replicas = [this.replicaId, ...[...named].sort()];
    if (replicas.length > MAX_REPLICAS) {
      throw new RangeError(
        `a scenario names at most ${MAX_REPLICAS} replicas; this session met ${replicas.length}`,
      );
    }
    const start = this.start;
    const file: ScenarioFile = {
      name,
      replicas,
      ...(start === undefined ? {} : { start: { at: start.at, engines: encodeSnapshot(start.engines) } }),
      steps,
    };
    parseScenario(file);
    return file;
  }

  /** Stop listening to the other windows. */
  close(): void {
    this.unsubscribe();
  }

  private record(step: Step): void {
    const first = this.entries.length === 0;
    if (first) {
      const engines = this.snapshot?.();
      this.start = engines === undefined ? undefined : { at: Math.floor(this.now()), engines };
      // Still waiting for the log those steps belong to: acting now starts a log of our own, from our
      // state, which already holds whatever of them reached this window.
      this.waiting = [];
    }
    const entry: LoggedStep = { ids: [`${this.instance}#${++this.seq}`], step };
    this.append(entry);
    this.channel?.post({
      kind: 'step',
      from: this.instance,
      entry,
      first,
      ...(first && this.start !== undefined ? { start: this.start } : {}),
    });
  }

  private receive(raw: unknown): void {
    const parsed = messageSchema.safeParse(raw);
    if (!parsed.success) return; // not ours, or from an incompatible build: ignored
    const message = parsed.data as SessionMessage;
    switch (message.kind) {
      case 'hello':
        if (this.entries.length > 0) {
          this.channel?.post({
            kind: 'log',
            to: message.from,
            start: this.start ?? null,
            entries: this.entries,
          });
        }
        return;
      case 'log':
        if (message.to !== this.instance || this.entries.length > 0) return;
        this.start = message.start ?? undefined;
        for (const entry of [...message.entries, ...this.waiting]) this.append(entry);
        this.waiting = [];
        return;
      case 'step':
        if (this.entries.length > 0) {
          this.append(message.entry);
        } else if (message.first) {
          this.start = message.start;
          for (const entry of [message.entry, ...this.waiting]) this.append(entry);
          this.waiting = [];
        } else {
          // A log began before this window opened: ask for it; this step waits for it.
          if (this.waiting.length === 0) this.channel?.post({ kind: 'hello', from: this.instance });
          this.waiting.push(message.entry);
        }
        return;
    }
  }

  /** Add a step to the log, merging it into the one before where only the last value matters. */
  private append(entry: LoggedStep): void {
    if (entry.ids.some((id) => this.ids.has(id))) return;
    for (const id of entry.ids) this.ids.add(id);
    const last = this.entries[this.entries.length - 1];
    const merged = last === undefined ? undefined : coalesce(last.step, entry.step);
    if (merged !== undefined && last !== undefined) {
      this.entries[this.entries.length - 1] = { ids: [...last.ids, ...entry.ids], step: merged };
      return;
    }
    if ('heal' in entry.step && !this.cutSinceHeal()) return;
    this.entries.push({ ids: [...entry.ids], step: entry.step });
  }

  /** Whether a partition was recorded after the last heal (a heal without one changes nothing). */
  private cutSinceHeal(): boolean {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const step = (this.entries[i] as LoggedStep).step;
      if ('heal' in step) return false;
      if ('partition' in step) return true;
    }
    return false;
  }
}

/**
 * One step for two in a row where only the result matters: typing that continues, backspaces and forward
 * deletes next to each other, a skew slider settling, chaos sliders applied again. Else undefined.
 */
function coalesce(last: Step, next: Step): Step | undefined {
  if ('skew' in last && 'skew' in next && last.skew.replica === next.skew.replica) return next;
  if ('chaos' in last && 'chaos' in next) return next;
  if (!isEditStep(last) || !isEditStep(next) || last.replica !== next.replica) return undefined;
  const { replica, ...lastIntent } = last;
  const a = WORKSPACE.edit(lastIntent);
  const { replica: _, ...nextIntent } = next;
  const b = WORKSPACE.edit(nextIntent);
  if (a.kind !== 'text' || b.kind !== 'text' || a.field !== b.field) return undefined;
  const step = (edit: FieldEdit): Step => ({ replica, ...WORKSPACE.intentOf(edit) }) as Step;
  if (a.action === 'insert' && b.action === 'insert' && b.pos === a.pos + a.text.length) {
    return step({ ...a, text: a.text + b.text });
  }
  if (a.action === 'delete' && b.action === 'delete') {
    // Backspace again: the new range ends where the previous one started.
    if (b.pos + b.len === a.pos) return step({ ...a, pos: b.pos, len: a.len + b.len });
    // Forward delete again: the text closed up, the next range starts at the same place.
    if (b.pos === a.pos) return step({ ...a, len: a.len + b.len });
  }
  return undefined;
}

function encodeSnapshot(snapshot: Snapshot): Partial<Record<EngineName, string>> {
  const out: Partial<Record<EngineName, string>> = {};
  for (const [engine, bytes] of Object.entries(snapshot))
    if (bytes !== undefined) out[engine] = toBase64(bytes);
  return out;
}

/** The app's channel: a BroadcastChannel per room, shared by the windows of one origin. */
export function broadcastSessionChannel(room: string): (SessionChannel & { close(): void }) | undefined {
  return openWindowChannel<SessionMessage>(`converge-session:${room}`);
}

/** The relay's own nodes (storage peer, checkout authority) are no replicas of a scenario. */
function isScenarioReplica(id: string): boolean {
  return NODE_ID.test(id) && id !== STORAGE_NODE_ID && id !== AUTHORITY_NODE_ID;
}
