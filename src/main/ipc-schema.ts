/**
 * What every IPC channel accepts, and who may call it.
 *
 * Arguments: one zod schema per channel over the whole argument list, so a missing, extra,
 * mistyped or oversized argument is rejected with a message naming the channel and the argument.
 * Sender: only the main frame of one of our replica windows, showing our own renderer, may call.
 */
import { idProblem } from '@converge/protocol';
import { z } from 'zod';
import { IPC_CHANNELS, type IpcChannel } from '../preload/api.ts';

/** Largest record one append may carry: far above any single edit, far below IPC limits. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Largest snapshot one compaction may carry. */
export const MAX_SNAPSHOT_BYTES = 128 * 1024 * 1024;

export class IpcRequestError extends Error {
  override readonly name = 'IpcRequestError';
}

function bytes(what: string, max: number) {
  return z
    .custom<Uint8Array>((v) => v instanceof Uint8Array, { message: `${what} must be a Uint8Array` })
    .refine((v) => v.byteLength <= max, {
      message: `${what} exceeds the limit of ${max} bytes`,
    });
}

export const ipcArgumentSchemas = {
  [IPC_CHANNELS.getWindowConfig]: z.tuple([]),
  [IPC_CHANNELS.storeOpen]: z.tuple([]),
  [IPC_CHANNELS.storeAppend]: z.tuple([bytes('record', MAX_RECORD_BYTES)]),
  [IPC_CHANNELS.storeCompact]: z.tuple([bytes('snapshot', MAX_SNAPSHOT_BYTES)]),
  [IPC_CHANNELS.storeClose]: z.tuple([]),
  [IPC_CHANNELS.newReplicaWindow]: z.tuple([]),
  [IPC_CHANNELS.openRoom]: z.tuple([
    z.string({ error: 'room must be a string' }).refine((room) => idProblem(room) === undefined, {
      error: (issue) => `room ${idProblem(issue.input) ?? 'is invalid'}`,
    }),
  ]),
} as const satisfies Record<IpcChannel, z.ZodType<readonly unknown[]>>;

export type IpcArguments<C extends IpcChannel> = z.output<(typeof ipcArgumentSchemas)[C]>;

export function isIpcChannel(value: unknown): value is IpcChannel {
  return typeof value === 'string' && Object.hasOwn(ipcArgumentSchemas, value);
}

/** Validate a call's arguments; throws IpcRequestError saying what is wrong. */
export function parseIpcArguments<C extends IpcChannel>(
  channel: C,
  args: readonly unknown[],
): IpcArguments<C> {
  // Indexing by a generic channel widens the schema to the union; each entry matches its own channel.
  const schema = ipcArgumentSchemas[channel] as unknown as z.ZodType<IpcArguments<C>>;
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'too_big' && issue.path.length === 0) {
      return `expected at most ${String(issue.maximum)} argument(s), got ${args.length}`;
    }
    if (issue.code === 'too_small' && issue.path.length === 0) {
      return `expected ${String(issue.minimum)} argument(s), got ${args.length}`;
    }
    const where = issue.path.length > 0 ? `argument ${Number(issue.path[0]) + 1}: ` : '';
    return `${where}${issue.message}`;
  });
  throw new IpcRequestError(`${channel}: invalid arguments: ${problems.join('; ')}`);
}

/** What main knows about the caller of an IPC message (from the Electron event, reduced to data). */
export interface IpcSender {
  readonly webContentsId: number;
  /** URL of the frame that sent the message; undefined when the frame is already gone. */
  readonly frameUrl: string | undefined;
  /** Whether that frame is the window's top-level frame (not an iframe). */
  readonly isMainFrame: boolean;
}

export interface SenderPolicy {
  /** The replica the window with this webContents hosts, if it is one of ours. */
  replicaFor(webContentsId: number): string | undefined;
  /** Whether a URL is our own renderer. */
  isAppUrl(url: string): boolean;
}

/** The caller's replica id, or IpcRequestError if the caller is not our renderer in one of our windows. */
export function validateSender(channel: string, sender: IpcSender, policy: SenderPolicy): string {
  const replicaId = policy.replicaFor(sender.webContentsId);
  if (replicaId === undefined) {
    throw new IpcRequestError(
      `${channel}: refused: webContents ${sender.webContentsId} is not a replica window`,
    );
  }
  if (!sender.isMainFrame)
    throw new IpcRequestError(`${channel}: refused: sender is not the window's main frame`);
  if (sender.frameUrl === undefined || !policy.isAppUrl(sender.frameUrl)) {
    throw new IpcRequestError(
      `${channel}: refused: sender frame is not the app (${String(sender.frameUrl)})`,
    );
  }
  return replicaId;
}
