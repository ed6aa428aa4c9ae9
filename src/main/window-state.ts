/**
 * The list of open replica windows (replica id + bounds), persisted so the next start reopens them.
 *
 * The file is rewritten whole and crash-safely (temp file, fsync, rename). A file that cannot be
 * parsed is moved aside as evidence with a clear warning and the app starts as on a first run; the
 * replicas' data is untouched, since it lives in their own folders.
 *
 * Closing a window removes it from the list (its data stays on disk), unless it is the last one.
 * Quitting does not: windows that are still open when the app quits are exactly the ones restored.
 */
import { readFile } from 'node:fs/promises';
import { idProblem } from '@converge/protocol';
import { setAside, writeFileAtomically } from '@converge/replica/node';
import { z } from 'zod';
import { isSafeReplicaId } from './replica-id.ts';

export interface Bounds {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface WindowRecord {
  readonly replicaId: string;
  /** The room the replica is in (a room link's); absent: the app's room from settings. */
  readonly room?: string;
  readonly bounds?: Bounds;
  readonly maximized?: boolean;
}

export const WINDOW_STATE_VERSION = 1;

const MAX_WINDOWS = 64;
const coordinate = z.number().int().min(-100_000).max(100_000);
const extent = z.number().int().min(1).max(100_000);

const windowStateSchema = z.object({
  version: z.literal(WINDOW_STATE_VERSION),
  windows: z
    .array(
      z.object({
        replicaId: z.string().refine(isSafeReplicaId, 'not a safe replica id'),
        room: z
          .string()
          .refine((room) => idProblem(room) === undefined, 'not a valid room name')
          .optional(),
        bounds: z.object({ x: coordinate, y: coordinate, width: extent, height: extent }).optional(),
        maximized: z.boolean().optional(),
      }),
    )
    .max(MAX_WINDOWS),
});

export type ParsedWindowState =
  | { readonly ok: true; readonly windows: WindowRecord[] }
  | { readonly ok: false; readonly reason: string };

/** Parse the file's text; duplicate replica ids keep their first entry (one window per replica). */
export function parseWindowState(text: string): ParsedWindowState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not valid JSON (${(error as Error).message})` };
  }
  const parsed = windowStateSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: z.prettifyError(parsed.error).replaceAll('\n', '; ') };
  const seen = new Set<string>();
  const windows: WindowRecord[] = [];
  for (const w of parsed.data.windows) {
    if (seen.has(w.replicaId)) continue;
    seen.add(w.replicaId);
    windows.push(w);
  }
  return { ok: true, windows };
}

export function serializeWindowState(windows: readonly WindowRecord[]): string {
  return `${JSON.stringify({ version: WINDOW_STATE_VERSION, windows }, null, 2)}\n`;
}

export interface LoadedWindowState {
  readonly windows: WindowRecord[];
  /** Set when the file was unreadable: why, and where the bad file was kept. */
  readonly recovered?: { readonly reason: string; readonly preservedAs: string };
}

/** Read the state file; missing → no windows; corrupt → set aside, warn, no windows. */
export async function loadWindowState(options: {
  readonly path: string;
  readonly warn: (message: string) => void;
  readonly now?: () => number;
}): Promise<LoadedWindowState> {
  let text: string;
  try {
    text = await readFile(options.path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { windows: [] };
    throw error;
  }
  const parsed = parseWindowState(text);
  if (parsed.ok) return { windows: parsed.windows };
  const preservedAs = await setAside(options.path, (options.now ?? Date.now)(), 'corrupt');
  options.warn(
    `window state ${options.path} is corrupt (${parsed.reason}); kept it as ${preservedAs} and starting with a new window`,
  );
  return { windows: [], recovered: { reason: parsed.reason, preservedAs } };
}

/** The windows to open at start: the restored ones, or one window with a new replica. */
export function windowsToOpen(restored: readonly WindowRecord[], newReplicaId: () => string): WindowRecord[] {
  return restored.length > 0 ? [...restored] : [{ replicaId: newReplicaId() }];
}

/**
 * The live list, written to disk after every change. Writes never overlap: a change made while a
 * write is in flight is written right after it (only the latest state), so a burst of moves costs
 * at most two writes.
 */
export class WindowStateStore {
  private windows: WindowRecord[];
  private quitting = false;
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(
    private readonly path: string,
    initial: readonly WindowRecord[],
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.windows = [...initial];
  }

  list(): readonly WindowRecord[] {
    return [...this.windows];
  }

  /** A window for this replica opened (or an existing entry is refreshed in place). */
  opened(record: WindowRecord): void {
    const i = this.windows.findIndex((w) => w.replicaId === record.replicaId);
    if (i === -1) this.windows.push(record);
    else this.windows[i] = record;
    this.save();
  }

  /** The window moved, resized, or (un)maximized. */
  updateBounds(replicaId: string, bounds: Bounds, maximized: boolean): void {
    const i = this.windows.findIndex((w) => w.replicaId === replicaId);
    if (i === -1) return;
    const { room } = this.windows[i] as WindowRecord;
    this.windows[i] = { replicaId, ...(room === undefined ? {} : { room }), bounds, maximized };
    this.save();
  }

  /**
   * The user closed the window: forget it (its replica data stays), except the last one, which is
   * kept so that closing the only window (which quits on Windows and Linux) and starting again, or
   * re-activating the app on macOS, brings back the same replica. Ignored once quitting began.
   */
  closed(replicaId: string): void {
    if (this.quitting) return;
    const rest = this.windows.filter((w) => w.replicaId !== replicaId);
    if (rest.length === this.windows.length || rest.length === 0) return;
    this.windows = rest;
    this.save();
  }

  /** The app is quitting: windows closing from now on stay in the list, to be restored. */
  beginQuit(): void {
    this.quitting = true;
  }

  /** Resolves once everything changed so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  private save(): void {
    this.dirty = true;
    if (this.writing !== undefined) return;
    this.writing = this.writeLoop().finally(() => {
      this.writing = undefined;
    });
  }

  private async writeLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      try {
        await writeFileAtomically(this.path, serializeWindowState(this.windows));
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
