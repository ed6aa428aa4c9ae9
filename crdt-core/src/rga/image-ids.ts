import type { SnapshotImage } from './snapshot.ts';

/**
 * Where ids are in a decoded snapshot that has no tree yet (see snapshot.ts): enough to tell
 * whether a remote delete names only characters deleted already, which a state merge between
 * replicas in sync always sends (deletes carry no counters, so a delta names every deleted id the
 * receiver may hold). Answering that from the columns spares the receiver building runs, origins,
 * tree and id index for a delete that changes nothing.
 *
 * Built once per image on first need, O(n log n) in spans; a lookup is O(log n).
 */
export class ImageIds {
  private constructor(
    private readonly image: SnapshotImage,
    /** Per replica r, its spans in counter order: `bySpan[offset[r] … offset[r + 1])`. */
    private readonly offset: Int32Array,
    private readonly bySpan: Int32Array,
    /** Position of each span's first character among all characters, tombstones included. */
    private readonly spanStart: Float64Array,
    /** Position one past the end of each deletion mark's stretch. */
    private readonly markEnd: Float64Array,
  ) {}

  static build(image: SnapshotImage): ImageIds {
    const { replica, counter, length, marks } = image;
    const n = counter.length;
    const count = image.replicas.length;
    const spanStart = new Float64Array(n);
    let position = 0;
    for (let s = 0; s < n; s++) {
      spanStart[s] = position;
      position += length[s] as number;
    }
    const markEnd = new Float64Array(marks.length);
    position = 0;
    for (let m = 0; m < marks.length; m++) {
      position += marks[m] as number;
      markEnd[m] = position;
    }
    const offset = new Int32Array(count + 1);
    if (replica === null) offset[1] = n;
    else {
      for (let s = 0; s < n; s++) {
        const slot = (replica[s] as number) + 1;
        offset[slot] = (offset[slot] as number) + 1;
      }
      for (let r = 0; r < count; r++) offset[r + 1] = (offset[r + 1] as number) + (offset[r] as number);
    }
    // Spans by counter (counter and span index packed in one number, sorted natively), then dealt
    // to their replicas in that order.
    const spanRange = 2 ** (32 - Math.clz32(n));
    const keys = new Float64Array(n);
    for (let s = 0; s < n; s++) keys[s] = (counter[s] as number) * spanRange + s;
    keys.sort();
    const fill = offset.slice(0, count);
    const bySpan = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const s = (keys[k] as number) % spanRange;
      const r = replica === null ? 0 : (replica[s] as number);
      bySpan[fill[r] as number] = s;
      fill[r] = (fill[r] as number) + 1;
    }
    return new ImageIds(image, offset, bySpan, spanStart, markEnd);
  }

  /**
   * Whether ids `counter … counter + length - 1` of replica `r` (a table index of the image; every
   * id must be one the image holds) are all deleted.
   */
  allDeleted(r: number, counter: number, length: number): boolean {
    const spanCounter = this.image.counter;
    const spanLength = this.image.length;
    const end = counter + length;
    while (counter < end) {
      // The replica's last span starting at or before `counter`.
      let lo = this.offset[r] as number;
      let hi = (this.offset[r + 1] as number) - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((spanCounter[this.bySpan[mid] as number] as number) <= counter) lo = mid;
        else hi = mid - 1;
      }
      const s = this.bySpan[lo] as number;
      const first = spanCounter[s] as number;
      const take = Math.min(end, first + (spanLength[s] as number)) - counter;
      const at = (this.spanStart[s] as number) + (counter - first);
      // The deletion mark holding position `at`: marks alternate visible, deleted, … from 0.
      const markEnd = this.markEnd;
      let m = 0;
      let top = markEnd.length - 1;
      while (m < top) {
        const mid = (m + top) >> 1;
        if ((markEnd[mid] as number) <= at) m = mid + 1;
        else top = mid;
      }
      if (m % 2 === 0 || (markEnd[m] as number) < at + take) return false;
      counter += take;
    }
    return true;
  }
}
