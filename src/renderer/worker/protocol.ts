/**
 * The one message protocol between a window's page and its replica worker (worker/replica-worker.ts).
 * The worker hosts the runtime (engines, store, relay connection, checkout); the page sends it commands
 * and gets back, per engine, how its text changed (deltas, O(edit)) and, a few times a second, the
 * status snapshot. Whole texts cross only when the worker starts and when the page asks for one.
 *
 * Every message is parsed on arrival (`parseToWorker`, `parseToPage`): a malformed one is answered with
 * a clear error (or reported as a notice) and dropped, never thrown.
 */
import { z } from 'zod';

const id = z.number().int().nonnegative();
const name = z.string().min(1).max(200);

export const textDeltaSchema = z.object({
  pos: z.number().int().nonnegative(),
  del: z.number().int().nonnegative(),
  text: z.string(),
});
export type WireTextDelta = z.infer<typeof textDeltaSchema>;

export const windowConfigSchema = z.object({
  relayUrl: z.string(),
  adminUrl: z.string(),
  room: z.string(),
  replicaId: z.string(),
});
export type WorkerWindowConfig = z.infer<typeof windowConfigSchema>;

/** Where the worker keeps the replica: IndexedDB (web), or a byte log the page serves over a port (Electron). */
export const storeSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('indexeddb'), name: z.string().min(1) }),
  z.object({ kind: z.literal('byte-log') }),
]);
export type StoreSpec = z.infer<typeof storeSpecSchema>;

/** Rare reads, answered by a `reply`. */
export const requestSchema = z.discriminatedUnion('what', [
  /** One history entry with every engine's whole view (the scrubber's selected entry). */
  z.object({ what: z.literal('history-entry'), seq: id }),
  /** Per engine with a ledger, every write it holds (the Compare export). */
  z.object({ what: z.literal('ledger-writes') }),
  /** Each engine's view as the window opened (the Compare export). */
  z.object({ what: z.literal('start-views') }),
  /** The session so far as a scenario file. */
  z.object({ what: z.literal('scenario'), name: z.string().max(1000) }),
  /** The window's state for a replay conductor (digests, versions, peers, connection) now. */
  z.object({ what: z.literal('window-state') }),
  /** An engine's whole text of a field now. */
  z.object({ what: z.literal('text'), engine: name, field: name }),
]);
export type WorkerRequest = z.infer<typeof requestSchema>;

export const toWorkerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('init'),
    config: windowConfigSchema,
    store: storeSpecSchema,
    checkoutRestored: z.unknown().optional(),
    notice: z.string().optional(),
  }),
  /** A local text edit: CodeMirror changes (ChangeSet JSON) against the text after revision `base`. */
  z.object({
    type: z.literal('edit-text'),
    seq: id,
    base: id,
    engine: name,
    field: name,
    changes: z.array(z.unknown()).max(100_000),
  }),
  /** Any other intent (cart, counters, note), validated by the workspace schema in the worker. */
  z.object({ type: z.literal('apply'), id, intent: z.unknown() }),
  z.object({ type: z.literal('history'), id, op: z.enum(['undo', 'redo']) }),
  z.object({ type: z.literal('restore'), id, seq: id }),
  z.object({ type: z.literal('offline'), offline: z.boolean() }),
  z.object({ type: z.literal('skew'), id, ms: z.number().finite() }),
  z.object({ type: z.literal('primary'), id, engine: name }),
  z.object({ type: z.literal('presence'), presence: z.unknown() }),
  z.object({ type: z.literal('notify'), level: z.enum(['error', 'info']), message: z.string().max(10_000) }),
  z.object({ type: z.literal('dismiss'), notice: id }),
  z.object({ type: z.literal('checkout'), id, lines: z.array(z.tuple([z.string(), z.number()])).max(1000) }),
  z.object({ type: z.literal('credential'), id, token: z.string().optional(), error: z.string().optional() }),
  z.object({ type: z.literal('request'), id, request: requestSchema }),
  /** Network steps taken on the page (admin API), for the session recorder. */
  z.object({
    type: z.literal('record'),
    step: z.discriminatedUnion('what', [
      z.object({
        what: z.literal('links'),
        operation: z.record(z.string(), z.unknown()),
        nodes: z.array(z.object({ id: z.string(), role: z.string() })).max(10_000),
      }),
      z.object({ what: z.literal('chaos'), chaos: z.record(z.string(), z.unknown()) }),
    ]),
  }),
  z.object({ type: z.literal('flush') }),
  z.object({ type: z.literal('close'), id }),
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

const record = z.record(z.string(), z.unknown());

/** An engine's descriptor as data (EngineFacts): what the page shows and asks of it. */
const engineFactsSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]{1,40}$/),
  label: z.string().max(200),
  description: z.string().max(2000),
  wireCode: z.number().int().min(0).max(255),
  completeVersion: z.boolean(),
  cartRules: z.strictObject({ step: z.string().max(2000), set: z.string().max(2000) }),
  semantics: z.strictObject({
    counters: z.enum(['exact', 'lossy']),
    growingCart: z.enum(['exact', 'bounded', 'lossy']),
    text: z.enum(['merged', 'lossy']),
    register: z.enum(['multi-value', 'single-value']),
  }),
  keepsLedger: z.boolean(),
  versionsAreHeads: z.boolean(),
});

export const toPageSchema = z.discriminatedUnion('type', [
  /** The worker has loaded and listens: the page may send 'init'. */
  z.object({ type: z.literal('listening') }),
  /** The replica is open: the engines' facts, every engine's texts (once), the first snapshot and the checkout view. */
  z.object({
    type: z.literal('ready'),
    rev: id,
    /** The hosted engines in display order (their code stays in the worker). */
    engines: z.array(engineFactsSchema).min(1),
    texts: z.record(z.string(), z.record(z.string(), z.string())),
    snapshot: record,
    checkout: record,
  }),
  z.object({ type: z.literal('failed'), message: z.string() }),
  /** An engine's text changed (revision `rev`); `seq` when it carried out the page's edit `seq`. */
  z.object({
    type: z.literal('text'),
    rev: id,
    engine: name,
    field: name,
    origin: z.enum(['local', 'remote', 'store']),
    seq: id.optional(),
    deltas: z.array(textDeltaSchema),
  }),
  /** The page's edit `seq` is carried out; `exact` false when the engine did something else with it. */
  z.object({ type: z.literal('edit-done'), seq: id, field: name, exact: z.boolean() }),
  z.object({ type: z.literal('snapshot'), snapshot: record }),
  z.object({ type: z.literal('checkout-view'), view: record }),
  z.object({ type: z.literal('checkout-persist'), snapshot: z.unknown() }),
  z.object({ type: z.literal('credential-request'), id }),
  /** The answer to a command or request `id`: its value, or why it failed. */
  z.object({
    type: z.literal('reply'),
    id,
    ok: z.boolean(),
    value: z.unknown().optional(),
    error: z.string().optional(),
  }),
  /** The worker could not read a message the page sent. */
  z.object({ type: z.literal('protocol-error'), message: z.string() }),
  /** What the worker posted in one task (page-poster.ts), in order; each is parsed as it is handled. */
  z.object({ type: z.literal('batch'), messages: z.array(z.unknown()).min(2) }),
]);
export type ToPage = z.infer<typeof toPageSchema>;

export type ParseResult<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly error: string };

function parseWith<T>(schema: z.ZodType<T>, data: unknown, side: string): ParseResult<T> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, message: parsed.data };
  const type =
    typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string'
      ? ` "${(data as { type: string }).type}"`
      : '';
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
  return {
    ok: false,
    error: `malformed message${type} for the ${side}${where}: ${issue?.message ?? 'invalid'}`,
  };
}

export function parseToWorker(data: unknown): ParseResult<ToWorker> {
  return parseWith(toWorkerSchema, data, 'replica worker');
}

export function parseToPage(data: unknown): ParseResult<ToPage> {
  return parseWith(toPageSchema, data, 'page');
}

/** The calls a byte log gets, page ↔ worker over its own port (Electron: the preload's store). */
export const byteLogCallSchema = z.object({
  id,
  method: z.enum(['open', 'append', 'compact', 'flush', 'close']),
  bytes: z.instanceof(Uint8Array).optional(),
});
export type ByteLogCall = z.infer<typeof byteLogCallSchema>;

export const byteLogReplySchema = z.union([
  z.object({ id, ok: z.literal(true), value: z.unknown() }),
  z.object({ id, ok: z.literal(false), error: z.string() }),
]);
export type ByteLogReply = z.infer<typeof byteLogReplySchema>;
