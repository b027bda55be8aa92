/**
 * A connection's open streams by id: a small open-addressing hash table
 * (linear probing, deletion by backward shift) on plain arrays, with the
 * Map methods the connection uses.
 *
 * Why not a Map: a connection lives long and one stream comes and goes per
 * call, and a Map whose entries churn gets a new backing table from V8 every
 * few insertions or deletions (a heap profile of 30,000 sequential calls
 * showed 4–5 MB allocated by `Map.prototype.delete` alone). This table
 * allocates only when it grows. Measured, paired rounds at 64 calls in
 * flight: 0.89–1.14× (median 1.07×) the calls/s of the Map on Node 24,
 * 0.88–1.26× (median 1.10×) on Node 20 (bench/findings.md §25).
 */
const MIN_CAPACITY = 16;

export class StreamTable<T> {
  private ids: number[] = new Array<number>(MIN_CAPACITY).fill(0);
  private values_: (T | undefined)[] = new Array<T | undefined>(MIN_CAPACITY).fill(undefined);
  private mask = MIN_CAPACITY - 1;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Slot of `id`, or of the empty slot where it would go. Stream ids are > 0; 0 marks an empty slot. */
  private slot(id: number): number {
    let i = Math.imul(id, 0x9e3779b1) & this.mask;
    while (this.ids[i] !== 0 && this.ids[i] !== id) i = (i + 1) & this.mask;
    return i;
  }

  get(id: number): T | undefined {
    return this.values_[this.slot(id)];
  }

  has(id: number): boolean {
    return id > 0 && this.ids[this.slot(id)] === id;
  }

  set(id: number, value: T): this {
    if (!(id > 0)) throw new RangeError(`stream id ${id} is not positive`);
    let i = this.slot(id);
    if (this.ids[i] === 0) {
      // Kept at most half full, so probes stay short.
      if ((this.count + 1) * 2 > this.ids.length) {
        this.resize(this.ids.length * 2);
        i = this.slot(id);
      }
      this.ids[i] = id;
      this.count++;
    }
    this.values_[i] = value;
    return this;
  }

  delete(id: number): boolean {
    let i = this.slot(id);
    if (this.ids[i] === 0) return false;
    this.count--;
    // Backward shift: move later entries of the same probe run into the gap, so lookups need no tombstones.
    for (let j = (i + 1) & this.mask; this.ids[j] !== 0; j = (j + 1) & this.mask) {
      const home = Math.imul(this.ids[j]!, 0x9e3779b1) & this.mask;
      // Entry j may fill the gap at i unless its home lies cyclically in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        this.ids[i] = this.ids[j]!;
        this.values_[i] = this.values_[j];
        i = j;
      }
    }
    this.ids[i] = 0;
    this.values_[i] = undefined;
    return true;
  }

  /** The values, in no particular order (a copy: safe to change the table while iterating). */
  values(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.ids.length; i++) if (this.ids[i] !== 0) out.push(this.values_[i]!);
    return out;
  }

  clear(): void {
    // The old arrays may be in the old generation: emptied, they keep nothing alive until a full GC finds them.
    this.values_.fill(undefined);
    this.ids = new Array<number>(MIN_CAPACITY).fill(0);
    this.values_ = new Array<T | undefined>(MIN_CAPACITY).fill(undefined);
    this.mask = MIN_CAPACITY - 1;
    this.count = 0;
  }

  private resize(capacity: number): void {
    const ids = this.ids;
    const values = this.values_;
    this.ids = new Array<number>(capacity).fill(0);
    this.values_ = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    for (let k = 0; k < ids.length; k++) {
      if (ids[k] === 0) continue;
      const i = this.slot(ids[k]!);
      this.ids[i] = ids[k]!;
      this.values_[i] = values[k];
    }
    values.fill(undefined); // as in clear()
  }
}
