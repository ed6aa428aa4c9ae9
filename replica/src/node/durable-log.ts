/**
 * A crash-safe, append-only record log with snapshot compaction, for Node (Electron main, relay).
 *
 * On disk, one directory holds:
 *   snapshot.bin       header "CVSN" + version + generation + length + CRC-32, then the snapshot bytes
 *   log.bin            header "CVLG" + version + generation + CRC-32 of those, then records, each
 *                      marker "CVR1", length u32 LE, CRC-32 u32 LE (of length and bytes), bytes
 *   snapshot.prev.bin  the snapshot before (generation g-1), and
 *   log.prev.bin       the records appended after it: together they rebuild snapshot.bin
 *
 * Durability: `append` resolves only after the record is written and fdatasync'ed, so a resolved append
 * (an acknowledged edit) survives SIGKILL and power loss. Appends that arrive while a sync is in flight
 * are written and synced together (group commit).
 *
 * Compaction first keeps the current snapshot and log as the previous ones (hard links, so nothing is
 * copied and nothing ever goes missing), then writes the new snapshot to a temporary file, fsyncs it, reads
 * it back to verify it, renames it over snapshot.bin and fsyncs the directory; only then does it start a
 * new, empty log of the next generation the same way. A log whose generation is older than the snapshot's
 * was already folded into it and is ignored.
 *
 * Damage is salvaged and reported, never silently dropped:
 * - a damaged or missing snapshot.bin: the previous snapshot plus both logs rebuild it;
 * - damage inside the log (a torn tail, flipped bits): every intact record before AND after it is kept,
 *   found again by its marker and checksum;
 * - a missing log.bin (with data around that says it should exist) is reported as lost records.
 * A damaged file is never overwritten: it is renamed aside as evidence, and what was salvaged is written
 * to fresh files (temp file, fsync, rename) before anything new is appended.
 */
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { DamageReport } from '../log-store.ts';
import { keepCopyAtomically, setAside, syncFolder, writeFileAtomically } from './atomic-file.ts';

const LOG_MAGIC = 0x474c5643; // "CVLG" little-endian
const SNAPSHOT_MAGIC = 0x4e535643; // "CVSN" little-endian
const RECORD_MAGIC = 0x31525643; // "CVR1" little-endian: where a record starts, found again after damage
const RECORD_MARKER = Buffer.from([0x43, 0x56, 0x52, 0x31]);
const SNAPSHOT_VERSION = 1;
/** Log version 1 framed records without a marker (read, then rewritten as version 2). */
const LOG_VERSION_UNMARKED = 1;
const LOG_VERSION = 2;
const UNMARKED_LOG_HEADER_BYTES = 12; // magic u32, version u32, generation u32
const LOG_HEADER_BYTES = 16; // magic u32, version u32, generation u32, crc u32 of the first 12 bytes
const SNAPSHOT_HEADER_BYTES = 20; // magic, version, generation, length, crc
const UNMARKED_RECORD_HEADER_BYTES = 8; // length u32, crc u32
const RECORD_HEADER_BYTES = 12; // marker u32, length u32, crc u32
/** Records larger than this are refused on append and treated as corruption on load. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

const FILES = {
  snapshot: 'snapshot.bin',
  log: 'log.bin',
  previousSnapshot: 'snapshot.prev.bin',
  previousLog: 'log.prev.bin',
} as const;

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
    await removeLeftoverTemporaries(dir);
    const recovered = await recover(dir, options);
    const handle = await open(join(dir, FILES.log), fsConstants.O_WRONLY | fsConstants.O_APPEND);
    const loaded = { snapshot: recovered.snapshot, records: recovered.records, damage: recovered.damage };
    return { log: new DurableLog(dir, handle, recovered.generation), loaded };
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
    const path = (name: string): string => join(this.dir, name);
    // The current pair becomes the previous one: together they rebuild the snapshot written next, should
    // it ever be damaged. No previous snapshot file means generation 0: the empty state.
    if (await exists(path(FILES.snapshot))) {
      await keepCopyAtomically(path(FILES.snapshot), path(FILES.previousSnapshot));
    } else {
      await rm(path(FILES.previousSnapshot), { force: true });
    }
    await keepCopyAtomically(path(FILES.log), path(FILES.previousLog));
    await syncFolder(this.dir);
    await writeFileAtomically(path(FILES.snapshot), frameSnapshot(next, snapshot), { verify: true });
    // From here a crash leaves an older-generation log, which open() recognises as already folded in.
    await this.handle.close();
    await writeLogAtomically(this.dir, next, []);
    this.handle = await open(path(FILES.log), fsConstants.O_WRONLY | fsConstants.O_APPEND);
    this.generation = next;
  }
}

// ---- recovery on open ---------------------------------------------------------------------------------

interface Recovered {
  readonly generation: number;
  readonly snapshot: Uint8Array | undefined;
  readonly records: Uint8Array[];
  readonly damage: LogDamage[];
}

/**
 * Read what the directory holds, salvage what damage left, report every loss, and leave the directory in
 * its normal shape (a readable snapshot.bin for the generation, a log.bin of the same generation holding
 * every record returned) before anything new is appended.
 */
async function recover(dir: string, options: DurableLogOptions): Promise<Recovered> {
  const now = options.now ?? Date.now;
  const path = (name: string): string => join(dir, name);
  const damage: LogDamage[] = [];
  const report = (d: LogDamage): void => {
    damage.push(d);
    options.onDamage?.(d);
  };
  const preserve = (name: string): Promise<string> => setAside(path(name), now());

  const snap = await readSnapshot(path(FILES.snapshot));
  if (snap.kind === 'damaged') {
    const preservedAs = await preserve(FILES.snapshot);
    report({ file: path(FILES.snapshot), offset: snap.offset, reason: snap.reason, preservedAs });
  }
  const log = await readLog(path(FILES.log));
  let rewriteLog = log.kind !== 'ok' || log.damage.length > 0 || log.version !== LOG_VERSION;
  if (log.kind === 'unreadable') {
    const preservedAs = await preserve(FILES.log);
    report({ file: path(FILES.log), offset: 0, reason: log.reason, preservedAs });
  } else if (log.kind === 'ok' && log.damage.length > 0) {
    const preservedAs = await preserve(FILES.log);
    for (const d of log.damage) report({ file: path(FILES.log), ...d, preservedAs });
  }
  const logMissing = (generation: number): void =>
    report({
      file: path(FILES.log),
      offset: 0,
      reason: `log is missing: the records written after snapshot generation ${generation} are lost`,
    });

  let generation: number;
  let snapshot: Uint8Array | undefined;
  let records: Uint8Array[] = [];
  let restoreSnapshot: Uint8Array | undefined;

  const previousSnapshotExists = await exists(path(FILES.previousSnapshot));
  const previousLog = snap.kind === 'ok' ? undefined : await readLog(path(FILES.previousLog));
  // A log whose header was damaged is taken to continue what it normally would.
  const generationOf = (read: LogRead, assumed: number): number | undefined =>
    read.kind === 'ok' ? (read.generation ?? assumed) : undefined;
  if (snap.kind === 'ok') {
    generation = snap.generation;
    snapshot = snap.bytes;
    const logGeneration = generationOf(log, generation);
    if (log.kind === 'ok' && logGeneration !== undefined) {
      if (logGeneration === generation) {
        records = log.records;
      } else if (logGeneration > generation) {
        // The snapshot this log continues is gone: keep the records, report the gap.
        records = log.records;
        report({
          file: path(FILES.log),
          offset: 0,
          reason: `log generation ${logGeneration} has no matching snapshot (found ${generation})`,
        });
        generation = logGeneration;
      } else {
        rewriteLog = true; // already folded into the snapshot by a compaction that crashed before resetting the log
      }
    } else if (log.kind === 'missing') {
      logMissing(generation);
    }
  } else if (snap.kind === 'missing' && !previousSnapshotExists && previousLog?.kind === 'missing') {
    // Never compacted (or a new store): the log alone holds everything.
    generation = 0;
    const logGeneration = generationOf(log, 0);
    if (log.kind === 'ok' && logGeneration !== undefined) {
      records = log.records;
      if (logGeneration !== 0) {
        report({
          file: path(FILES.snapshot),
          offset: 0,
          reason: `snapshot is missing: log generation ${logGeneration} continues a snapshot that is gone`,
        });
        generation = logGeneration;
      }
    }
  } else {
    // snapshot.bin is damaged or gone: rebuild it from the previous snapshot and the records after it.
    const previous = await readSnapshot(path(FILES.previousSnapshot));
    const olderLog: LogRead = previousLog ?? { kind: 'missing' };
    const base =
      previous.kind === 'ok'
        ? { generation: previous.generation, bytes: previous.bytes as Uint8Array | undefined }
        : previous.kind === 'missing' && generationOf(olderLog, 0) === 0
          ? { generation: 0, bytes: undefined }
          : undefined;
    if (previousLog?.kind === 'ok' && previousLog.damage.length > 0) {
      for (const d of previousLog.damage) report({ file: path(FILES.previousLog), ...d });
    }
    if (base === undefined) {
      // Nothing to rebuild from: keep every record still readable, say what is lost.
      generation = generationOf(log, 0) ?? 0;
      if (previousLog?.kind === 'ok') records.push(...previousLog.records);
      if (log.kind === 'ok') records.push(...log.records);
      report({
        file: path(FILES.previousSnapshot),
        offset: 0,
        reason: `no readable snapshot: the previous one is ${previous.kind === 'damaged' ? `damaged (${previous.reason})` : 'missing'}; kept the ${records.length} records still readable`,
      });
    } else {
      generation = base.generation;
      snapshot = base.bytes;
      restoreSnapshot = base.bytes === undefined ? undefined : frameSnapshot(generation, base.bytes);
      const previousRecords =
        olderLog.kind === 'ok' && generationOf(olderLog, generation) === generation
          ? olderLog.records
          : undefined;
      const logGeneration = generationOf(log, generation + 1);
      if (log.kind === 'ok' && logGeneration === generation) {
        records = log.records; // a compaction stopped before its new snapshot: log.bin is the newer copy
      } else {
        if (previousRecords === undefined) {
          report({
            file: path(FILES.previousLog),
            offset: 0,
            reason: `the records between snapshot generations ${generation} and ${generation + 1} are missing`,
          });
        } else {
          records.push(...previousRecords);
        }
        if (log.kind === 'ok') {
          if (logGeneration !== undefined && logGeneration > generation + 1) {
            report({
              file: path(FILES.log),
              offset: 0,
              reason: `log generation ${logGeneration} does not follow the previous snapshot (generation ${generation})`,
            });
          }
          records.push(...log.records);
        } else if (log.kind === 'missing') {
          logMissing(generation + 1);
        }
      }
      // The first compaction stopped before writing its snapshot: there never was one, nothing is lost.
      const firstCompactionStopped =
        snap.kind === 'missing' && previous.kind === 'missing' && generation === 0 && logGeneration === 0;
      if (!firstCompactionStopped)
        report({
          file: path(FILES.snapshot),
          offset: 0,
          reason: `snapshot ${snap.kind === 'missing' ? 'is missing' : 'was unreadable'}: rebuilt from the previous snapshot (generation ${generation}) and the ${records.length} records after it`,
        });
      rewriteLog = true;
    }
  }
  if (rewriteLog) {
    // First the records, then the snapshot they continue: a crash in between leaves log.bin of the
    // previous snapshot's generation, which the next open reads the same way.
    await writeLogAtomically(dir, generation, records);
    if (restoreSnapshot !== undefined) {
      await writeFileAtomically(path(FILES.snapshot), restoreSnapshot, { verify: true });
    }
  }
  return { generation, snapshot, records, damage };
}

/** Temporary files of an interrupted write are garbage: the files they were to replace are intact. */
async function removeLeftoverTemporaries(dir: string): Promise<void> {
  const names = new Set<string>(Object.values(FILES).map((name) => `.${name}.tmp`));
  for (const entry of await readdir(dir)) {
    if (names.has(entry)) await rm(join(dir, entry), { force: true });
  }
}

// ---- formats ------------------------------------------------------------------------------------------

function frameRecords(records: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const r of records) total += RECORD_HEADER_BYTES + r.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const r of records) {
    view.setUint32(pos, RECORD_MAGIC, true);
    view.setUint32(pos + 4, r.length, true);
    view.setUint32(pos + 8, crc32(r, crc32(out.subarray(pos + 4, pos + 8))), true);
    out.set(r, pos + RECORD_HEADER_BYTES);
    pos += RECORD_HEADER_BYTES + r.length;
  }
  return out;
}

function frameSnapshot(generation: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(SNAPSHOT_HEADER_BYTES + bytes.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, SNAPSHOT_MAGIC, true);
  view.setUint32(4, SNAPSHOT_VERSION, true);
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
  view.setUint32(4, LOG_VERSION, true);
  view.setUint32(8, generation, true);
  view.setUint32(12, crc32(out.subarray(0, 12)), true);
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
  if (view.getUint32(4, true) !== SNAPSHOT_VERSION)
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

/** A stretch of a log that could not be read; `reason` says what and how much was skipped. */
interface LogGap {
  readonly offset: number;
  readonly reason: string;
}

type LogRead =
  | { kind: 'missing' }
  | { kind: 'unreadable'; reason: string }
  | {
      kind: 'ok';
      version: number;
      /** Undefined when the header was damaged (the records were found by their markers). */
      generation: number | undefined;
      records: Uint8Array[];
      damage: LogGap[];
    };

async function readLog(path: string): Promise<LogRead> {
  const data = await readIfExists(path);
  if (data === undefined) return { kind: 'missing' };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = data.length >= UNMARKED_LOG_HEADER_BYTES && view.getUint32(0, true) === LOG_MAGIC;
  const version = magic ? view.getUint32(4, true) : undefined;
  if (version === LOG_VERSION_UNMARKED) {
    return { kind: 'ok', version, generation: view.getUint32(8, true), ...readUnmarkedRecords(data) };
  }
  if (
    version === LOG_VERSION &&
    data.length >= LOG_HEADER_BYTES &&
    crc32(data.subarray(0, 12)) === view.getUint32(12, true)
  ) {
    return {
      kind: 'ok',
      version,
      generation: view.getUint32(8, true),
      ...readMarkedRecords(data, LOG_HEADER_BYTES),
    };
  }
  const problem =
    data.length < LOG_HEADER_BYTES
      ? 'log shorter than its header'
      : !magic
        ? 'not a log file (bad magic)'
        : version !== LOG_VERSION
          ? `unsupported log version ${version}`
          : 'log header checksum mismatch';
  // The records may well be intact: find them by their markers.
  const first = findNextRecord(data, Math.min(UNMARKED_LOG_HEADER_BYTES, data.length));
  if (first === undefined) return { kind: 'unreadable', reason: problem };
  const salvaged = readMarkedRecords(data, first);
  return {
    kind: 'ok',
    version: LOG_VERSION,
    generation: undefined,
    records: salvaged.records,
    damage: [
      { offset: 0, reason: `${problem}; the records after it found by their markers` },
      ...salvaged.damage,
    ],
  };
}

/**
 * Every intact record of a version-2 log from `start`. After damage, the next record is found again by
 * its marker and checksum, so one flipped byte costs only the record it hit.
 */
function readMarkedRecords(data: Uint8Array, start: number): { records: Uint8Array[]; damage: LogGap[] } {
  const records: Uint8Array[] = [];
  const damage: LogGap[] = [];
  let pos = start;
  while (pos < data.length) {
    const read = readMarkedRecord(data, pos);
    if (read.kind === 'ok') {
      records.push(read.body.slice());
      pos = read.next;
      continue;
    }
    const resume = findNextRecord(data, pos + 1);
    if (resume === undefined) {
      damage.push({ offset: pos, reason: `${read.reason} (the last ${data.length - pos} bytes skipped)` });
      break;
    }
    damage.push({
      offset: pos,
      reason: `${read.reason}; ${resume - pos} bytes skipped, reading on after them`,
    });
    pos = resume;
  }
  return { records, damage };
}

type RecordRead = { kind: 'ok'; body: Uint8Array; next: number } | { kind: 'bad'; reason: string };

function readMarkedRecord(data: Uint8Array, pos: number): RecordRead {
  if (data.length - pos < RECORD_HEADER_BYTES) return { kind: 'bad', reason: 'torn record header' };
  const view = new DataView(data.buffer, data.byteOffset + pos, RECORD_HEADER_BYTES);
  if (view.getUint32(0, true) !== RECORD_MAGIC) return { kind: 'bad', reason: 'corrupt record marker' };
  const length = view.getUint32(4, true);
  if (length > MAX_RECORD_BYTES || length > data.length - pos - RECORD_HEADER_BYTES) {
    return { kind: 'bad', reason: 'torn or corrupt record length' };
  }
  const body = data.subarray(pos + RECORD_HEADER_BYTES, pos + RECORD_HEADER_BYTES + length);
  if (crc32(body, crc32(data.subarray(pos + 4, pos + 8))) !== view.getUint32(8, true)) {
    return { kind: 'bad', reason: 'record checksum mismatch' };
  }
  return { kind: 'ok', body, next: pos + RECORD_HEADER_BYTES + length };
}

/** The offset of the next intact record at or after `from`, if any. */
function findNextRecord(data: Uint8Array, from: number): number | undefined {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let at = buffer.indexOf(RECORD_MARKER, from); at !== -1; at = buffer.indexOf(RECORD_MARKER, at + 1)) {
    if (readMarkedRecord(data, at).kind === 'ok') return at;
  }
  return undefined;
}

/** The records of a version-1 log (no markers): every intact one up to the first damage. */
function readUnmarkedRecords(data: Uint8Array): { records: Uint8Array[]; damage: LogGap[] } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const records: Uint8Array[] = [];
  let pos = UNMARKED_LOG_HEADER_BYTES;
  while (pos < data.length) {
    if (data.length - pos < UNMARKED_RECORD_HEADER_BYTES) {
      return { records, damage: [{ offset: pos, reason: 'torn record header at end of log' }] };
    }
    const length = view.getUint32(pos, true);
    const checksum = view.getUint32(pos + 4, true);
    if (length > MAX_RECORD_BYTES || length > data.length - pos - UNMARKED_RECORD_HEADER_BYTES) {
      return { records, damage: [{ offset: pos, reason: 'torn or corrupt record length' }] };
    }
    const body = data.subarray(
      pos + UNMARKED_RECORD_HEADER_BYTES,
      pos + UNMARKED_RECORD_HEADER_BYTES + length,
    );
    if (crc32(body) !== checksum) {
      return { records, damage: [{ offset: pos, reason: 'record checksum mismatch' }] };
    }
    records.push(body.slice());
    pos += UNMARKED_RECORD_HEADER_BYTES + length;
  }
  return { records, damage: [] };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
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
  await writeFileAtomically(join(dir, FILES.log), out);
}
