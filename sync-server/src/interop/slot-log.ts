/**
 * Where one outside client identity's slot keeps what must survive a relay restart: the outside
 * document (the Y.Doc or Automerge document its stock client syncs with) and its bridge replica's
 * store, in ONE crash-safe byte log (a `DurableLog` directory under the room's storage, or memory
 * without a data directory). One log, because the two must agree: after a crash the gateway has to know
 * which of the outside document's updates the engines already hold, or a client resending its document
 * would either be taken for new edits (duplicated in every engine) or be undone.
 *
 * Records (one tag byte, then lib0-encoded fields):
 * - META: the slot's settings (its replica's id in the room, the Automerge document's id).
 * - REPLICA: one record of the bridge replica's store, unchanged (the replica's `LogStore` writes here).
 * - OUTSIDE: an update of the outside document, with whether the engines hold it (the gateway's own
 *   write-back, which shows what the engines show) or not yet (a client's edit no bridge translated yet).
 * - TRANSLATED: a client's update together with the replica records its translation appended, in one
 *   record: durable together or not at all. It also marks every earlier outside update as translated.
 *
 * Loading splits the outside updates into those the engines hold and those they do not (after the last
 * TRANSLATED): the gateway rebuilds the document, and the bridge translates only the latter. The
 * snapshot (written when the replica compacts its store) holds the replica's snapshot and the whole
 * outside document; while untranslated updates exist, compaction is skipped (the log stays as it is,
 * which loads to the same state), so a snapshot never hides what still needs translating.
 */
import { errorMessage } from '@converge/protocol';
import { type ByteLog, describeDamage } from '@converge/replica';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/** A slot's settings, fixed when it is first created. */
export interface SlotMeta {
  /** The bridge replica's id in the room (kept: its store numbers edits by it). */
  readonly replicaName: string;
  /** The Automerge document's id (an automerge-repo client finds it by its URL). */
  readonly documentId?: string;
}

/** What a slot's log held when it was opened. */
export interface LoadedSlot {
  readonly meta: SlotMeta | undefined;
  /** Outside updates the engines hold (the document as the bridge last knew it). */
  readonly translated: readonly Uint8Array[];
  /** Outside updates after those that no bridge translated yet (a crash cut their translation off). */
  readonly untranslated: readonly Uint8Array[];
  readonly damage: readonly string[];
}

const Tag = { Meta: 1, Replica: 2, Outside: 3, Translated: 4 } as const;
const SNAPSHOT_VERSION = 1;

export class SlotLog {
  /** The replica's part of the log, as its `LogStore` reads and writes it. */
  readonly replicaLog: ByteLog;
  /** The outside document's whole state, for a snapshot (set by the gateway that owns the document). */
  outsideState: () => Uint8Array = () => new Uint8Array(0);
  private meta: SlotMeta | undefined;
  /** Outside updates appended since the last TRANSLATED that the engines do not hold. */
  private untranslated = 0;
  /** While a translation runs: the replica records it appends, written with its update in one record. */
  private bundle: { records: Uint8Array[]; durable: Deferred[] } | undefined;

  /** The replica's part as it stands (snapshot and records since), for every reopening of its store. */
  private replicaSnapshot: Uint8Array | undefined;
  private replicaRecords: Uint8Array[];
  private replicaDamage: readonly string[];
  /** The last append: what the gateway sends its clients waits for it (see `durable`). */
  private lastAppend: Promise<void> = Promise.resolve();

  private constructor(
    private readonly log: ByteLog,
    replica: { snapshot: Uint8Array | undefined; records: Uint8Array[]; damage: readonly string[] },
    loaded: LoadedSlot,
  ) {
    this.meta = loaded.meta;
    this.untranslated = loaded.untranslated.length;
    this.replicaSnapshot = replica.snapshot;
    this.replicaRecords = replica.records;
    this.replicaDamage = replica.damage;
    this.replicaLog = {
      // The bridge replica opens its store each time its client connects after all had left.
      open: async () => {
        const damage = this.replicaDamage;
        this.replicaDamage = [];
        return { snapshot: this.replicaSnapshot, records: [...this.replicaRecords], damage };
      },
      append: (record) => this.appendReplica(record),
      compact: (snapshot) => this.compact(snapshot),
      flush: () => this.log.flush?.(),
      // The slot closes the log itself, after the replica.
      close: async () => {},
    };
  }

  /** Open a slot's log and split what it holds into the replica's part and the outside document's. */
  static async open(log: ByteLog): Promise<{ readonly log: SlotLog; readonly loaded: LoadedSlot }> {
    const contents = await log.open();
    const damage = (contents.damage ?? []).map(describeDamage);
    let base = readSnapshot(contents.snapshot);
    let records = contents.records;
    if (base.problem !== undefined && contents.previous !== undefined) {
      const previous = readSnapshot(contents.previous.snapshot);
      if (previous.problem === undefined) {
        damage.push(`slot snapshot unreadable (${base.problem}); recovered from the previous one`);
        base = previous;
        records = contents.previous.records;
      }
    }
    if (base.problem !== undefined) damage.push(`slot snapshot unreadable: ${base.problem}`);
    let meta = base.snapshot?.meta;
    const replicaRecords: Uint8Array[] = [];
    const translated: Uint8Array[] = base.snapshot?.outside === undefined ? [] : [base.snapshot.outside];
    let untranslated: Uint8Array[] = [];
    records.forEach((bytes, index) => {
      try {
        const record = decodeRecord(bytes);
        if (record.tag === Tag.Meta) meta = record.meta;
        else if (record.tag === Tag.Replica) replicaRecords.push(record.record);
        else if (record.tag === Tag.Outside)
          (record.translated ? translated : untranslated).push(record.update);
        else {
          translated.push(...untranslated);
          untranslated = [];
          if (record.update !== undefined) translated.push(record.update);
          replicaRecords.push(...record.records);
        }
      } catch (error) {
        damage.push(`slot record ${index} unreadable: ${errorMessage(error)}`);
      }
    });
    const replica = { snapshot: base.snapshot?.replica, records: replicaRecords, damage };
    const loaded: LoadedSlot = { meta, translated, untranslated, damage };
    return { log: new SlotLog(log, replica, loaded), loaded };
  }

  get settings(): SlotMeta | undefined {
    return this.meta;
  }

  /** Record the slot's settings (once, when it is created). */
  setMeta(meta: SlotMeta): Promise<void> {
    this.meta = meta;
    return this.append(encodeRecord(Tag.Meta, (e) => encoding.writeVarString(e, JSON.stringify(meta))));
  }

  /** An outside update the engines already hold (the gateway wrote what they show). */
  written(update: Uint8Array): void {
    this.appendOutside(update, true);
  }

  /** A client's update no bridge can translate now; the next `translate` covers it. */
  untranslatedUpdate(update: Uint8Array): void {
    this.untranslated++;
    this.appendOutside(update, false);
  }

  /**
   * Run `translation` (which applies a client's update to the bridge replica) so that `update` and
   * every replica record it appends are stored in one record, after every earlier update not yet
   * translated. The replica's appends resolve once that record is durable.
   */
  translate(update: Uint8Array | undefined, translation: () => void): void {
    const bundle: { records: Uint8Array[]; durable: Deferred[] } = { records: [], durable: [] };
    this.bundle = bundle;
    try {
      translation();
    } finally {
      this.bundle = undefined;
    }
    const bytes = encodeRecord(Tag.Translated, (e) => {
      encoding.writeVarUint8Array(e, update ?? new Uint8Array(0));
      encoding.writeVarUint(e, update === undefined ? 0 : 1);
      encoding.writeVarUint(e, bundle.records.length);
      for (const record of bundle.records) encoding.writeVarUint8Array(e, record);
    });
    this.untranslated = 0;
    const written = this.append(bytes);
    this.replicaRecords.push(...bundle.records);
    for (const deferred of bundle.durable) written.then(deferred.resolve, deferred.reject);
    written.catch(() => {}); // each replica append reports its own failure
  }

  /**
   * Settles once everything appended so far is durable (or failed). The gateway sends its clients
   * nothing before what it reflects is durable: a client must never hold a write-back the log lost,
   * or it would send it back after a restart as an edit of its own.
   */
  durable(): Promise<void> {
    return this.lastAppend;
  }

  close(): Promise<void> {
    return this.lastAppend.then(() => this.log.close());
  }

  private append(bytes: Uint8Array): Promise<void> {
    const written = this.log.append(bytes);
    this.lastAppend = written.catch(() => {});
    return written;
  }

  private appendOutside(update: Uint8Array, translated: boolean): void {
    const bytes = encodeRecord(Tag.Outside, (e) => {
      encoding.writeVarUint(e, translated ? 1 : 0);
      encoding.writeVarUint8Array(e, update);
    });
    // Nothing waits on it: a lost write-back is written again from the engines, a lost client update
    // is sent again by its client.
    this.append(bytes).catch(() => {});
  }

  private appendReplica(record: Uint8Array): Promise<void> {
    if (this.bundle !== undefined) {
      this.bundle.records.push(record);
      return new Promise((resolve, reject) => this.bundle?.durable.push({ resolve, reject }));
    }
    this.replicaRecords.push(record);
    return this.append(encodeRecord(Tag.Replica, (e) => encoding.writeVarUint8Array(e, record)));
  }

  private async compact(replicaSnapshot: Uint8Array): Promise<void> {
    // Untranslated updates must stay distinguishable; the log as it is loads to the same state.
    if (this.untranslated > 0) return;
    const snapshot = encoding.encode((e) => {
      encoding.writeVarUint(e, SNAPSHOT_VERSION);
      encoding.writeVarString(e, JSON.stringify(this.meta ?? null));
      encoding.writeVarUint8Array(e, replicaSnapshot);
      encoding.writeVarUint8Array(e, this.outsideState());
    });
    this.replicaSnapshot = replicaSnapshot;
    this.replicaRecords = [];
    const done = this.log.compact(snapshot);
    this.lastAppend = done.catch(() => {});
    await done;
  }
}

interface Deferred {
  resolve(): void;
  reject(error: unknown): void;
}

type SlotRecord =
  | { readonly tag: typeof Tag.Meta; readonly meta: SlotMeta }
  | { readonly tag: typeof Tag.Replica; readonly record: Uint8Array }
  | { readonly tag: typeof Tag.Outside; readonly translated: boolean; readonly update: Uint8Array }
  | {
      readonly tag: typeof Tag.Translated;
      readonly update: Uint8Array | undefined;
      readonly records: readonly Uint8Array[];
    };

function encodeRecord(tag: number, write: (encoder: encoding.Encoder) => void): Uint8Array {
  return encoding.encode((e) => {
    encoding.writeUint8(e, tag);
    write(e);
  });
}

function decodeRecord(bytes: Uint8Array): SlotRecord {
  const d = decoding.createDecoder(bytes);
  const tag = decoding.readUint8(d);
  let record: SlotRecord;
  if (tag === Tag.Meta) record = { tag, meta: parseMeta(decoding.readVarString(d)) };
  else if (tag === Tag.Replica) record = { tag, record: decoding.readVarUint8Array(d) };
  else if (tag === Tag.Outside) {
    const translated = decoding.readVarUint(d) === 1;
    record = { tag, translated, update: decoding.readVarUint8Array(d) };
  } else if (tag === Tag.Translated) {
    const update = decoding.readVarUint8Array(d);
    const hasUpdate = decoding.readVarUint(d) === 1;
    const records: Uint8Array[] = [];
    for (let n = decoding.readVarUint(d); n > 0; n--) records.push(decoding.readVarUint8Array(d));
    record = { tag, update: hasUpdate ? update : undefined, records };
  } else throw new Error(`unknown record tag ${tag}`);
  if (decoding.hasContent(d)) throw new Error('trailing bytes');
  return record;
}

function readSnapshot(bytes: Uint8Array | undefined): {
  snapshot?: { meta: SlotMeta | undefined; replica: Uint8Array | undefined; outside: Uint8Array | undefined };
  problem?: string;
} {
  if (bytes === undefined) return {};
  try {
    const d = decoding.createDecoder(bytes);
    const version = decoding.readVarUint(d);
    if (version !== SNAPSHOT_VERSION) throw new Error(`unknown snapshot version ${version}`);
    const metaText = decoding.readVarString(d);
    const replica = decoding.readVarUint8Array(d);
    const outside = decoding.readVarUint8Array(d);
    if (decoding.hasContent(d)) throw new Error('trailing bytes');
    return {
      snapshot: {
        meta: metaText === 'null' ? undefined : parseMeta(metaText),
        replica: replica.length === 0 ? undefined : replica,
        outside: outside.length === 0 ? undefined : outside,
      },
    };
  } catch (error) {
    return { problem: errorMessage(error) };
  }
}

function parseMeta(text: string): SlotMeta {
  const value = JSON.parse(text) as Partial<SlotMeta> | null;
  if (typeof value?.replicaName !== 'string') throw new Error('slot settings without a replica name');
  return {
    replicaName: value.replicaName,
    ...(typeof value.documentId === 'string' ? { documentId: value.documentId } : {}),
  };
}
