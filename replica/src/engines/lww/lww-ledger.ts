/**
 * The lost-write ledger of the last-writer-wins engine, and the winner of every field.
 *
 * A field's value is its winning write: the greatest by (wall clock, replica id, counter) among
 * every write of the field. A write is *lost* when it is not the winner although no write of the same
 * field that causally follows it (by version vectors) replaced it: its writer meant it to be the
 * value, and nobody who saw it decided otherwise. Why it lost:
 *   - 'concurrent': the winner was made without seeing it (neither saw the other);
 *   - 'clock-skew': the winner causally *precedes* it, i.e. the lost write was made after its writer
 *     had seen the winner, yet carries a smaller stamp (a clock behind, or the same millisecond with
 *     a smaller replica id).
 * A write that a causally later write of the same field replaced is not lost (it was overwritten
 * knowingly), even if that later write lost in turn: the later write is the one the ledger lists.
 *
 * Incremental: per field it keeps the winner, each replica's latest write (a replica's earlier
 * writes are always covered by its later ones), and for each replica the highest entry for it in the
 * vectors of other replicas' writes of the field. A replica's latest write is covered exactly when
 * that entry reaches its counter. So adding a write costs O(vector size) and listing the ledger
 * O(fields × replicas).
 */
import { compareStamps, type LostWrite } from '../../ledger.ts';
import type { LwwField, LwwWrite } from './lww-write.ts';

interface FieldState {
  winner: LwwWrite;
  readonly latestBy: Map<string, LwwWrite>;
  /** replica → highest vector entry for it among other replicas' writes of this field. */
  readonly seenBy: Map<string, number>;
}

export class LwwLedger {
  private readonly fields = new Map<LwwField, FieldState>();

  /** Record a write (each write once; the engine deduplicates). */
  add(write: LwwWrite): void {
    let state = this.fields.get(write.field);
    if (!state) {
      state = { winner: write, latestBy: new Map(), seenBy: new Map() };
      this.fields.set(write.field, state);
    } else if (compareStamps(write, state.winner) > 0) {
      state.winner = write;
    }
    const latest = state.latestBy.get(write.replica);
    if (!latest || write.counter > latest.counter) state.latestBy.set(write.replica, write);
    for (const [replica, counter] of Object.entries(write.vector)) {
      if (replica !== write.replica && counter > (state.seenBy.get(replica) ?? 0)) {
        state.seenBy.set(replica, counter);
      }
    }
  }

  /** The field's winning write, if the field was ever written. */
  winner(field: LwwField): LwwWrite | undefined {
    return this.fields.get(field)?.winner;
  }

  /** Every field's winning write. */
  winners(): IterableIterator<LwwWrite> {
    return (function* (fields) {
      for (const state of fields.values()) yield state.winner;
    })(this.fields);
  }

  /** Every lost write, sorted by field, then stamp. */
  lost(): LostWrite[] {
    const result: LostWrite[] = [];
    for (const state of this.fields.values()) {
      const { winner } = state;
      for (const [replica, latest] of state.latestBy) {
        if (latest === winner || (state.seenBy.get(replica) ?? 0) >= latest.counter) continue;
        const winnerCameFirst = (latest.vector[winner.replica] ?? 0) >= winner.counter;
        result.push({
          replica: latest.replica,
          counter: latest.counter,
          op: latest.op,
          field: latest.field,
          value: latest.value,
          wallMs: latest.wallMs,
          ...(latest.skewMs !== undefined ? { skewMs: latest.skewMs } : {}),
          overwrittenBy: {
            replica: winner.replica,
            counter: winner.counter,
            value: winner.value,
            wallMs: winner.wallMs,
            ...(winner.skewMs !== undefined ? { skewMs: winner.skewMs } : {}),
          },
          reason: winnerCameFirst ? 'clock-skew' : 'concurrent',
        });
      }
    }
    return result.sort(
      (a, b) =>
        (a.field < b.field ? -1 : a.field > b.field ? 1 : 0) ||
        a.wallMs - b.wallMs ||
        (a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0) ||
        a.counter - b.counter,
    );
  }
}
