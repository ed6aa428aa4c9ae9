/**
 * Sharing state digests between the windows of one machine, so each can tell whether it holds exactly
 * what the others hold. The sync protocols never carry digests, so windows announce theirs on a local
 * channel (a BroadcastChannel per room in the app: every window of the app or tabs of the web page on
 * this machine share it). Messages are checked before use; anything malformed is ignored.
 */
import { ENGINE_NAMES, type EngineName } from '@converge/replica';

/** One window's latest digests. */
export interface DigestReport {
  readonly replica: string;
  /** The sender's wall clock when it sent the report. */
  readonly at: number;
  readonly digests: Readonly<Partial<Record<EngineName, string>>>;
}

type BeaconMessage =
  | { readonly type: 'digests'; readonly report: DigestReport }
  /** A new window asks everyone to announce now. */
  | { readonly type: 'hello'; readonly replica: string }
  | { readonly type: 'bye'; readonly replica: string };

/** The part of BroadcastChannel the beacon uses. */
export interface BeaconChannel {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

const MAX_ID = 64;
const MAX_DIGEST = 128;
/** Unchanged digests are announced again this often, so the others can tell a live window from a gone one. */
const HEARTBEAT_MS = 10_000;
/** A window not heard of for this long is forgotten (it crashed without saying bye). */
const EXPIRE_MS = 30_000;

export class DigestBeacon {
  private readonly reports = new Map<string, DigestReport>();
  private latest: DigestReport | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly channel: BeaconChannel,
    readonly replica: string,
    private readonly now: () => number,
  ) {
    channel.onmessage = (event) => this.receive(event.data);
    this.post({ type: 'hello', replica });
  }

  /** Announce this window's digests (call whenever they change). */
  publish(digests: Readonly<Partial<Record<EngineName, string>>>): void {
    const previous = this.latest;
    const now = this.now();
    if (
      previous !== undefined &&
      now - previous.at < HEARTBEAT_MS &&
      ENGINE_NAMES.every((e) => previous.digests[e] === digests[e])
    ) {
      return;
    }
    this.latest = { replica: this.replica, at: now, digests: { ...digests } };
    this.post({ type: 'digests', report: this.latest });
  }

  /** Other windows' latest reports, by replica id (windows silent for too long are forgotten). */
  peers(): ReadonlyMap<string, DigestReport> {
    const now = this.now();
    for (const [replica, report] of this.reports) {
      if (now - report.at > EXPIRE_MS) this.reports.delete(replica);
    }
    return this.reports;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.post({ type: 'bye', replica: this.replica });
    this.channel.onmessage = null;
    this.channel.close();
    this.listeners.clear();
  }

  private receive(data: unknown): void {
    const message = parseMessage(data);
    if (message === undefined) return;
    if (message.type === 'hello') {
      if (message.replica !== this.replica && this.latest !== undefined) {
        this.post({ type: 'digests', report: this.latest });
      }
      return;
    }
    if (message.type === 'bye') {
      if (this.reports.delete(message.replica)) this.changed();
      return;
    }
    if (message.report.replica === this.replica) return;
    this.reports.set(message.report.replica, message.report);
    this.changed();
  }

  private post(message: BeaconMessage): void {
    try {
      this.channel.postMessage(message);
    } catch {
      // A closed channel: the beacon is best effort.
    }
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID;
}

function parseMessage(data: unknown): BeaconMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  if ((m.type === 'hello' || m.type === 'bye') && isId(m.replica))
    return { type: m.type, replica: m.replica };
  if (m.type !== 'digests' || typeof m.report !== 'object' || m.report === null) return undefined;
  const r = m.report as Record<string, unknown>;
  if (!isId(r.replica) || typeof r.at !== 'number' || typeof r.digests !== 'object' || r.digests === null) {
    return undefined;
  }
  const digests: Partial<Record<EngineName, string>> = {};
  for (const engine of ENGINE_NAMES) {
    const digest = (r.digests as Record<string, unknown>)[engine];
    if (typeof digest === 'string' && digest.length <= MAX_DIGEST) digests[engine] = digest;
  }
  return { type: 'digests', report: { replica: r.replica, at: r.at, digests } };
}
