/**
 * What a node sends in one task, as one frame: a replica sends each engine's frame of an intent (and
 * answers each engine's sync message) in one synchronous run, so collecting them until the task ends
 * costs each end one WebSocket message per intent instead of one per engine (the relay's work and the
 * receiving window's per message). The frames leave at the next microtask, in the order they were
 * added; a frame that would take a bundle past the relay's size limit starts the next one.
 */
import {
  type BundleEntry,
  bundleEntryBytes,
  bundleHeaderBytes,
  checkEntry,
  encodeBundle,
  encodedDataBytes,
} from './frames.ts';

export interface FrameBundlerOptions {
  readonly from: string;
  /** The relay's frame size limit (it may change on every welcome): a frame past it is refused. */
  maxFrameBytes(): number;
  /** The most bytes a bundle of several frames may take (default: `maxFrameBytes`). */
  maxBundleBytes?(): number;
  /** Put one encoded frame (of `entries`, in order) on the wire. */
  emit(frame: Uint8Array, entries: readonly BundleEntry[]): void;
  /** A frame too large to send even alone: not sent. */
  tooLarge(bytes: number, limit: number): void;
  /** Runs `flush` once the current task's synchronous work is done; defaults to queueMicrotask. */
  schedule?(flush: () => void): void;
}

export class FrameBundler {
  private entries: BundleEntry[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(private readonly options: FrameBundlerOptions) {}

  /** Queue one frame; it leaves with the others of this task. */
  add(to: string | null, channel: number, payload: Uint8Array): void {
    const entry: BundleEntry = { to, channel, payload };
    // A bad value throws here, at its caller, as a direct send's encoding did.
    checkEntry(entry);
    const limit = this.options.maxFrameBytes();
    const entryBytes = bundleEntryBytes(entry);
    const alone = encodedDataBytes(this.options.from, entry);
    if (alone > limit) {
      this.options.tooLarge(alone, limit);
      return;
    }
    const count = this.entries.length + 1;
    const bundleLimit = Math.min(limit, this.options.maxBundleBytes?.() ?? limit);
    if (
      this.entries.length > 0 &&
      bundleHeaderBytes(this.options.from, count) + this.bytes + entryBytes > bundleLimit
    ) {
      this.flush();
    }
    this.entries.push(entry);
    this.bytes += entryBytes;
    if (!this.scheduled) {
      this.scheduled = true;
      const schedule = this.options.schedule ?? queueMicrotask;
      schedule(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Send what is queued now (before a close, or when a bundle is full). */
  flush(): void {
    if (this.entries.length === 0) return;
    const entries = this.entries;
    this.entries = [];
    this.bytes = 0;
    this.options.emit(encodeBundle(this.options.from, entries), entries);
  }

  /** Forget what is queued (the connection it was for is gone). */
  clear(): void {
    this.entries = [];
    this.bytes = 0;
  }

  /** Frames queued and not yet sent. */
  get pending(): number {
    return this.entries.length;
  }
}
