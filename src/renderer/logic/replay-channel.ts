/**
 * How a window conducting a replay across windows (replay-conductor.ts) reaches the other windows of its
 * room: a BroadcastChannel (the windows of one origin), on which each window runs a `ReplayAgent` that
 * answers "who is here" and carries out commands addressed to its replica: apply an edit, go off or on
 * the network, set the clock skew, report its state. Messages from other windows are input: validated,
 * and anything else is ignored.
 */
import { type Cancel, type ConnectionState, errorMessage, type Timers } from '@converge/protocol';
import type { EngineName, EngineVersion, Intent, PeerDigests, Replica } from '@converge/replica';
import type { SyncParticipant } from '@converge/scenarios/replay';
import { z } from 'zod';
import type { AppModel } from './app-model.ts';
import { openWindowChannel } from './broadcast-channel.ts';

/** A window's replica as the sync condition reads it, in a form that crosses a BroadcastChannel. */
export interface WindowState {
  readonly id: string;
  readonly engineNames: readonly EngineName[];
  readonly connection: ConnectionState;
  readonly peers: readonly string[];
  readonly peerDigests: Readonly<Record<string, PeerDigests>>;
  readonly digests: Readonly<Partial<Record<EngineName, string>>>;
  readonly versions: Readonly<Partial<Record<EngineName, EngineVersion>>>;
}

export function windowStateOf(replica: Replica): WindowState {
  const engines = replica.engineNames;
  // An engine still loading (a progressive open) has no digest or version of its store yet, and its code
  // may not have loaded: it is left out until it has.
  const loading = new Set(replica.loading());
  const loaded = engines.filter((e) => !loading.has(e));
  return {
    id: replica.id,
    engineNames: [...engines],
    connection: replica.connection(),
    peers: replica.peers(),
    peerDigests: Object.fromEntries(replica.peerDigests()),
    digests: Object.fromEntries(loaded.map((e) => [e, replica.digest(e)])),
    versions: Object.fromEntries(loaded.map((e) => [e, replica.version(e)])),
  };
}

/** A reported state in the shape the scenario runner's sync condition reads. */
export function participantOf(state: WindowState): SyncParticipant {
  return {
    id: state.id,
    engineNames: [...state.engineNames],
    connection: () => state.connection,
    peers: () => [...state.peers],
    peerDigests: () => new Map(Object.entries(state.peerDigests)),
    digest: (engine) => state.digests[engine] ?? '',
    version: (engine) => state.versions[engine] ?? { kind: 'vector', entries: {} },
  };
}

export type ReplayCommand =
  | { readonly type: 'edit'; readonly intent: Intent }
  | { readonly type: 'offline'; readonly offline: boolean }
  | { readonly type: 'skew'; readonly ms: number }
  | { readonly type: 'state' };

export type ReplayMessage =
  | { readonly kind: 'who'; readonly from: string }
  | { readonly kind: 'here'; readonly to: string; readonly replica: string }
  | {
      readonly kind: 'command';
      readonly from: string;
      readonly id: string;
      readonly to: string;
      readonly command: ReplayCommand;
    }
  | {
      readonly kind: 'reply';
      readonly to: string;
      readonly id: string;
      readonly ok: boolean;
      readonly error?: string;
      readonly state?: WindowState;
    };

const text = z.string().max(200);
const version = z.union([
  z.strictObject({ kind: z.literal('vector'), entries: z.record(z.string(), z.number()) }),
  z.strictObject({ kind: z.literal('heads'), heads: z.array(z.string()) }),
]);
/** A window's state, naming only the engines this window knows (the others' names are not input it can use). */
function stateSchemaOf(engines: readonly EngineName[]) {
  const known = new Set<string>(engines);
  const engineName = z.string().refine((name) => known.has(name), 'not an engine of the registry');
  return z.strictObject({
    id: text,
    engineNames: z.array(engineName),
    connection: z.enum(['connecting', 'online', 'offline']),
    peers: z.array(text),
    peerDigests: z.record(z.string(), z.partialRecord(engineName, z.string())),
    digests: z.partialRecord(engineName, z.string()),
    versions: z.partialRecord(engineName, version),
  });
}
const commandSchema = z.discriminatedUnion('type', [
  // The intent is checked by the window that applies it (AppModel.apply validates every edit).
  z.strictObject({ type: z.literal('edit'), intent: z.looseObject({ op: z.string() }) }),
  z.strictObject({ type: z.literal('offline'), offline: z.boolean() }),
  z.strictObject({ type: z.literal('skew'), ms: z.number().int() }),
  z.strictObject({ type: z.literal('state') }),
]);
function messageSchemaOf(engines: readonly EngineName[]) {
  return z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('who'), from: text }),
    z.strictObject({ kind: z.literal('here'), to: text, replica: text }),
    z.strictObject({ kind: z.literal('command'), from: text, id: text, to: text, command: commandSchema }),
    z.strictObject({
      kind: z.literal('reply'),
      to: text,
      id: text,
      ok: z.boolean(),
      error: z.string().max(1000).optional(),
      state: stateSchemaOf(engines).optional(),
    }),
  ]);
}

/** The windows' channel (a BroadcastChannel per room in the app). */
export interface ReplayChannel {
  post(message: ReplayMessage): void;
  /** Messages from the other windows (never this window's own); returns an unsubscribe function. */
  subscribe(listener: (message: unknown) => void): () => void;
}

/** What a window does when a conductor asks. */
export interface WindowActions {
  readonly replicaId: string;
  /** The engines this window hosts (states naming others are refused). */
  readonly engines: readonly EngineName[];
  /** Resolves false when the edit was refused (it does not fit this window's state). */
  apply(intent: Intent): Promise<boolean>;
  /** Switch the Offline setting (a no-op when it already is so). */
  setOffline(offline: boolean): Promise<void>;
  setSkew(ms: number): Promise<void>;
  /** This window's state now (asked of the replica worker when the replica runs there). */
  state(): WindowState | Promise<WindowState>;
}

/** What a window's app model does for a conductor (edits are recorded as the user's would be). */
export function windowActions(model: AppModel): WindowActions {
  return {
    replicaId: model.replica.id,
    engines: model.replica.registry.names,
    apply: (intent) => model.apply(intent),
    setOffline: async (offline) => {
      if (model.replica.isOffline !== offline) model.setOffline(offline);
    },
    setSkew: (ms) => model.setSkew(ms),
    state: () => windowStateOf(model.replica),
  };
}

/** Carry out a command in this window. */
async function run(actions: WindowActions, command: ReplayCommand): Promise<WindowState | boolean> {
  switch (command.type) {
    case 'edit':
      return actions.apply(command.intent);
    case 'offline':
      await actions.setOffline(command.offline);
      return true;
    case 'skew':
      await actions.setSkew(command.ms);
      return true;
    case 'state':
      return actions.state();
  }
}

/** Every window runs one: it says it is here and carries out the commands addressed to its replica. */
export class ReplayAgent {
  private readonly unsubscribe: () => void;
  private readonly messageSchema;

  constructor(
    private readonly actions: WindowActions,
    private readonly channel: ReplayChannel,
  ) {
    this.messageSchema = messageSchemaOf(actions.engines);
    this.unsubscribe = channel.subscribe((raw) => void this.receive(raw));
  }

  close(): void {
    this.unsubscribe();
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = this.messageSchema.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data as ReplayMessage;
    if (message.kind === 'who') {
      this.channel.post({ kind: 'here', to: message.from, replica: this.actions.replicaId });
      return;
    }
    if (message.kind !== 'command' || message.to !== this.actions.replicaId) return;
    const reply = { kind: 'reply', to: message.from, id: message.id } as const;
    try {
      const result = await run(this.actions, message.command);
      this.channel.post(
        typeof result === 'boolean' ? { ...reply, ok: result } : { ...reply, ok: true, state: result },
      );
    } catch (error) {
      this.channel.post({ ...reply, ok: false, error: errorMessage(error) });
    }
  }
}

/** The conductor's side: finds the windows and sends them commands (its own window directly). */
export class ReplayClient {
  private readonly instance = `c-${Math.random().toString(36).slice(2, 12)}`;
  private readonly pending = new Map<string, (message: Extract<ReplayMessage, { kind: 'reply' }>) => void>();
  private readonly heard: string[] = [];
  private readonly unsubscribe: () => void;
  private readonly messageSchema;
  private seq = 0;

  constructor(
    private readonly self: WindowActions,
    private readonly channel: ReplayChannel,
    private readonly timers: Timers,
    /** How long a window may take to answer a command. */
    private readonly answerMs = 10_000,
  ) {
    this.messageSchema = messageSchemaOf(self.engines);
    this.unsubscribe = channel.subscribe((raw) => this.receive(raw));
  }

  close(): void {
    this.unsubscribe();
  }

  /** The room's windows that answer within `waitMs`: this one first, then the others as they answered. */
  async discover(waitMs: number): Promise<string[]> {
    this.heard.length = 0;
    this.channel.post({ kind: 'who', from: this.instance });
    await new Promise<void>((resolve) => this.timers.setTimeout(resolve, waitMs));
    return [this.self.replicaId, ...new Set(this.heard.filter((id) => id !== this.self.replicaId))];
  }

  /** Carry out a command in a window (this one, or another over the channel). */
  async command(window: string, command: ReplayCommand): Promise<WindowState | boolean> {
    if (window === this.self.replicaId) return run(this.self, command);
    const id = `${this.instance}#${++this.seq}`;
    let cancel: Cancel = () => {};
    const reply = await new Promise<Extract<ReplayMessage, { kind: 'reply' }> | undefined>((resolve) => {
      this.pending.set(id, resolve);
      cancel = this.timers.setTimeout(() => resolve(undefined), this.answerMs);
      this.channel.post({ kind: 'command', from: this.instance, id, to: window, command });
    });
    cancel();
    this.pending.delete(id);
    if (reply === undefined) throw new Error(`window ${window} did not answer (closed?)`);
    if (!reply.ok && reply.error !== undefined) throw new Error(`window ${window}: ${reply.error}`);
    return reply.state ?? reply.ok;
  }

  private receive(raw: unknown): void {
    const parsed = this.messageSchema.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data as ReplayMessage;
    if (message.kind === 'here' && message.to === this.instance) this.heard.push(message.replica);
    else if (message.kind === 'reply' && message.to === this.instance)
      this.pending.get(message.id)?.(message);
  }
}

/** The app's channel: a BroadcastChannel per room, shared by the windows of one origin. */
export function broadcastReplayChannel(room: string): (ReplayChannel & { close(): void }) | undefined {
  return openWindowChannel<ReplayMessage>(`converge-replay:${room}`);
}
