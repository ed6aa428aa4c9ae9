/**
 * A crash-safe, append-only record log with snapshot compaction, for Node (Electron main, relay).
 *
 * On disk, one directory holds:
 *   snapshot.bin  header "CVSN" + version + generation + length + CRC-32, then the snapshot bytes
 *   log.bin       header "CVLG" + version + generation, then records: length u32 LE, CRC-32 u32 LE, bytes
 *
 * Durability: `append` resolves only after the record is written and fdatasync'ed, so a resolved append
 * (an acknowledged edit) survives SIGKILL and power loss. Appends that arrive while a sync is in flight
 * are written and synced together (group commit).
 *
 * Compaction writes the new snapshot to a temporary file, fsyncs it, renames it over snapshot.bin and
 * fsyncs the directory; only then does it start a new, empty log of the next generation the same way.
 * A log whose generation is older than the snapshot's was already folded into it and is ignored.
 *
 * Damage: a torn or corrupt tail is detected by length/CRC checks; every intact record before it is kept
 * and the damage reported. The damaged file is never overwritten: it is renamed aside as evidence and the
 * intact records are rewritten to a fresh log (temp file, fsync, rename) before anything new is appended.
 */
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { DamageReport } from '../log-store.ts';

const LOG_MAGIC = 0x474c5643; // "CVLG" little-endian
const SNAPSHOT_MAGIC = 0x4e535643; // "CVSN" little-endian
const FORMAT_VERSION = 1;
const LOG_HEADER_BYTES = 12; // magic u32, version u32, generation u32
const SNAPSHOT_HEADER_BYTES = 20; // magic, version, generation, length, crc
const RECORD_HEADER_BYTES = 8; // length u32, crc u32
/** Records larger than this are refused on append and treated as corruption on load. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/** A file log always knows the file and the offset. */
export interface LogDamage extends DamageReport {
  readonly file: string;
  readonly offset: number;
}

export interface LoadedLog {
  readonly snapshot: Uint8Array | undefined;
  readonly records: Uint8Array[];
  readonly damage: LogDamage[];
}

export interface DurableLogOptions {
  /** Called once per damage found on open (the caller logs it as a warning). */
  readonly onDamage?: (damage: LogDamage) => void;
  /** Suffix source for evidence file names; injectable for tests. */
  readonly now?: () => number;
}

type Waiter = { resolve: () => void; reject: (error: unknown) => void };
type PendingOp =
  | { kind: 'records'; records: Uint8Array[]; waiters: Waiter[] }
  | { kind: 'compact'; snapshot: Uint8Array; waiters: Waiter[] };

export class DurableLog {
  /** Operations run strictly in order; consecutive appends share one write and one sync (group commit). */
  private pending: PendingOp[] = [];
  private draining = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  private constructor(
    readonly dir: string,
    private handle: FileHandle,
    private generation: number,
  ) {}

  /** Open (creating if needed) the log in `dir` and return it with everything it holds. */
  static async open(
    dir: string,
    options: DurableLogOptions = {},
  ): Promise<{ log: DurableLog; loaded: LoadedLog }> {
    await mkdir(dir, { recursive: true });
    const now = options.now ?? Date.now;
    const damage: LogDamage[] = [];
    const report = (d: LogDamage): void => {
      damage.push(d);
      options.onDamage?.(d);
    };

    const snapPath = join(dir, 'snapshot.bin');
    const logPath = join(dir, 'log.bin');
    const snap = await readSnapshot(snapPath);
    let snapshot: Uint8Array | undefined;
    let generation = 0;
    if (snap.kind === 'ok') {
      snapshot = snap.bytes;
      generation = snap.generation;
    } else if (snap.kind === 'damaged') {
      const preservedAs = await preserve(snapPath, now);
      report({ file: snapPath, offset: snap.offset, reason: snap.reason, preservedAs });
    }

    const parsed = await readLog(logPath);
    let records: Uint8Array[] = [];
    let rewrite = false;
    if (parsed.kind === 'missing') {
      rewrite = true;
    } else if (parsed.kind === 'unreadable') {
      const preservedAs = await preserve(logPath, now);
      report({ file: logPath, offset: 0, reason: parsed.reason, preservedAs });
      rewrite = true;
    } else {
      if (parsed.generation === generation) {
        records = parsed.records;
      } else if (parsed.generation > generation) {
        // The snapshot this log continues is gone or damaged: keep the records, report the gap.
        records = parsed.records;
        report({
          file: logPath,
          offset: 0,
          reason: `log generation ${parsed.generation} has no matching snapshot (found ${generation})`,
        });
        generation = parsed.generation;
      } else {
        rewrite = true; // already folded into the snapshot by a compaction that crashed before resetting the log
      }
      if (parsed.damage !== undefined) {
        const preservedAs = await preserve(logPath, now);
        report({ file: logPath, offset: parsed.damage.offset, reason: parsed.damage.reason, preservedAs });
        rewrite = true;
      }
    }
    if (rewrite) await writeLogAtomically(dir, generation, records);

    const handle = await open(logPath, fsConstants.O_WRONLY | fsConstants.O_APPEND);
    return { log: new DurableLog(dir, handle, generation), loaded: { snapshot, records, damage } };
  }

  /** Append one record; resolves once it is durable on disk. */
  append(record: Uint8Array): Promise<void> {
    if (record.length > MAX_RECORD_BYTES) {
      return Promise.reject(new RangeError(`record of ${record.length} bytes exceeds ${MAX_RECORD_BYTES}`));
    }
    return this.enqueue((waiter) => {
      const last = this.pending[this.pending.length - 1];
      if (last?.kind === 'records') {
        last.records.push(record);
        last.waiters.push(waiter);
      } else {
        this.pending.push({ kind: 'records', records: [record], waiters: [waiter] });
      }
    });
  }

  /**
   * Replace the snapshot and every record appended before this call with `snapshot`, crash-safely.
   * Records appended after this call go to the new log.
   */
  compact(snapshot: Uint8Array): Promise<void> {
    return this.enqueue((waiter) => this.pending.push({ kind: 'compact', snapshot, waiters: [waiter] }));
  }

  /** Wait for every pending operation, then release the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.idle;
    await this.handle.close();
  }

  private enqueue(add: (waiter: Waiter) => void): Promise<void> {
    if (this.closed) return Promise.reject(new Error('DurableLog is closed'));
    const done = new Promise<void>((resolve, reject) => add({ resolve, reject }));
    if (!this.draining) {
      this.draining = true;
      this.idle = new Promise<void>((resolve) => {
        this.markIdle = resolve;
      });
      void this.drain();
    }
    return done;
  }

  private async drain(): Promise<void> {
    for (let op = this.pending.shift(); op !== undefined; op = this.pending.shift()) {
      try {
        if (op.kind === 'records') {
          await this.handle.write(frameRecords(op.records));
          await this.handle.datasync();
        } else {
          await this.rotate(op.snapshot);
        }
        for (const w of op.waiters) w.resolve();
      } catch (error) {
        for (const w of op.waiters) w.reject(error);
      }
    }
    this.draining = false;
    this.markIdle();
  }

  private async rotate(snapshot: Uint8Array): Promise<void> {
    const next = this.generation + 1;
    await writeFileAtomically(this.dir, 'snapshot.bin', frameSnapshot(next, snapshot));
    // From here a crash leaves an older-generation log, which open() recognises as already folded in.
    await this.handle.close();
    await writeLogAtomically(this.dir, next, []);
    this.handle = await open(join(this.dir, 'log.bin'), fsConstants.O_WRONLY | fsConstants.O_APPEND);
    this.generation = next;
  }
}

function frameRecords(records: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const r of records) total += RECORD_HEADER_BYTES + r.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const r of records) {
    view.setUint32(pos, r.length, true);
    view.setUint32(pos + 4, crc32(r), true);
    out.set(r, pos + RECORD_HEADER_BYTES);
    pos += RECORD_HEADER_BYTES + r.length;
  }
  return out;
}

function frameSnapshot(generation: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(SNAPSHOT_HEADER_BYTES + bytes.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, SNAPSHOT_MAGIC, true);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, generation, true);
  view.setUint32(12, bytes.length, true);
  view.setUint32(16, crc32(bytes), true);
  out.set(bytes, SNAPSHOT_HEADER_BYTES);
  return out;
}

function logHeader(generation: number): Uint8Array {
  const out = new Uint8Array(LOG_HEADER_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, LOG_MAGIC, true);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, generation, true);
  return out;
}

type SnapshotRead =
  | { kind: 'missing' }
  | { kind: 'ok'; generation: number; bytes: Uint8Array }
  | { kind: 'damaged'; offset: number; reason: string };

async function readSnapshot(path: string): Promise<SnapshotRead> {
  const data = await readIfExists(path);
  if (data === undefined) return { kind: 'missing' };
  if (data.length < SNAPSHOT_HEADER_BYTES)
    return { kind: 'damaged', offset: 0, reason: 'snapshot shorter than its header' };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(0, true) !== SNAPSHOT_MAGIC)
    return { kind: 'damaged', offset: 0, reason: 'not a snapshot file (bad magic)' };
  if (view.getUint32(4, true) !== FORMAT_VERSION)
    return { kind: 'damaged', offset: 4, reason: 'unsupported snapshot version' };
  const length = view.getUint32(12, true);
  if (length !== data.length - SNAPSHOT_HEADER_BYTES) {
    return { kind: 'damaged', offset: 12, reason: `snapshot length ${length} does not match file size` };
  }
  const bytes = data.subarray(SNAPSHOT_HEADER_BYTES);
  if (crc32(bytes) !== view.getUint32(16, true))
    return { kind: 'damaged', offset: 16, reason: 'snapshot checksum mismatch' };
  return { kind: 'ok', generation: view.getUint32(8, true), bytes };
}

type LogRead =
  | { kind: 'missing' }
  | { kind: 'unreadable'; reason: string }
  | { kind: 'ok'; generation: number; records: Uint8Array[]; damage?: { offset: number; reason: string } };

async function readLog(path: string): Promise<LogRead> {
  const data = await readIfExists(path);
  if (data === undefined) return { kind: 'missing' };
  if (data.length < LOG_HEADER_BYTES) return { kind: 'unreadable', reason: 'log shorter than its header' };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(0, true) !== LOG_MAGIC)
    return { kind: 'unreadable', reason: 'not a log file (bad magic)' };
  if (view.getUint32(4, true) !== FORMAT_VERSION)
    return { kind: 'unreadable', reason: 'unsupported log version' };
  const generation = view.getUint32(8, true);
  const records: Uint8Array[] = [];
  let pos = LOG_HEADER_BYTES;
  while (pos < data.length) {
    if (data.length - pos < RECORD_HEADER_BYTES) {
      return {
        kind: 'ok',
        generation,
        records,
        damage: { offset: pos, reason: 'torn record header at end of log' },
      };
    }
    const length = view.getUint32(pos, true);
    const checksum = view.getUint32(pos + 4, true);
    if (length > MAX_RECORD_BYTES || length > data.length - pos - RECORD_HEADER_BYTES) {
      return {
        kind: 'ok',
        generation,
        records,
        damage: { offset: pos, reason: 'torn or corrupt record length' },
      };
    }
    const body = data.subarray(pos + RECORD_HEADER_BYTES, pos + RECORD_HEADER_BYTES + length);
    if (crc32(body) !== checksum) {
      return { kind: 'ok', generation, records, damage: { offset: pos, reason: 'record checksum mismatch' } };
    }
    records.push(body.slice());
    pos += RECORD_HEADER_BYTES + length;
  }
  return { kind: 'ok', generation, records };
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Move a damaged file aside (never overwriting an earlier piece of evidence). */
async function preserve(path: string, now: () => number): Promise<string> {
  const base = `${path}.damaged-${now()}`;
  for (let i = 0; ; i++) {
    const target = i === 0 ? base : `${base}-${i}`;
    if ((await readIfExists(target)) !== undefined) continue;
    await rename(path, target);
    return target;
  }
}

async function writeLogAtomically(
  dir: string,
  generation: number,
  records: readonly Uint8Array[],
): Promise<void> {
  const header = logHeader(generation);
  const body = frameRecords(records);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  await writeFileAtomically(dir, 'log.bin', out);
}

/** Write to a temporary file, fsync it, rename it into place, fsync the directory. */
async function writeFileAtomically(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  await rm(tmp, { force: true });
  const handle = await open(tmp, 'wx');
  try {
    await handle.write(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, name));
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
