// A mergeable latency sketch (DDSketch, Masson et al., VLDB 2019) and the per-endpoint counters
// it travels with.
//
// A duration of d ns > 0 falls in bin i = ceil(log_γ d) with γ = (1 + α) / (1 − α); every value
// of bin i lies in (γ^(i−1), γ^i], and the bin answers 2γ^i / (γ + 1), which is within a relative
// error α of each of them. Zero durations have a bin of their own and answer 0. Bins hold counts
// only, so merging two sketches adds counts bin by bin: the result does not depend on the order
// in which minutes (or spans) were merged, and equals the sketch of all the values at once. That
// is what lets a window's statistics be the merge of its minute buckets' sketches, and the
// reference store rebuild the very same sketch from its spans.
//
// Bins are a dense array over the range of indexes seen: durations from 1 ns to 2^63 ns need
// at most ~2,200 bins (9 KB); one endpoint's minute typically spans a few hundred.

/** Relative accuracy of every quantile a sketch answers (stated in the API as `relative_error`). */
export const RELATIVE_ERROR = 0.01;
const GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR);
const INV_LN_GAMMA = 1 / Math.log(GAMMA);
const BIN_VALUE_FACTOR = 2 / (GAMMA + 1);

/** The bin of a positive duration in ns. */
export function binOf(ns: number): number {
  return Math.ceil(Math.log(ns) * INV_LN_GAMMA);
}

/** The value a bin answers, in ns. */
export function binValue(bin: number): number {
  return Math.pow(GAMMA, bin) * BIN_VALUE_FACTOR;
}

export class LatencySketch {
  count = 0;
  zeros = 0;
  /** Bin index of bins[0]. */
  private offset = 0;
  private bins: Uint32Array = EMPTY;

  /** Adds one duration in ns (a non-negative number; integers are exact up to 2^53). */
  add(ns: number): void {
    this.count++;
    if (ns <= 0) {
      this.zeros++;
      return;
    }
    this.addToBin(binOf(ns), 1);
  }

  /** Adds every value of `other` (the sketch of the union). */
  merge(other: LatencySketch): void {
    this.count += other.count;
    this.zeros += other.zeros;
    const from = other.bins;
    let lo = 0;
    let hi = from.length;
    while (lo < hi && from[lo] === 0) lo++;
    while (hi > lo && from[hi - 1] === 0) hi--;
    if (lo === hi) return;
    // Cover the other's used range once, then add counts in one loop: statistics queries merge
    // every endpoint's minute sketches (300k merges for 10k endpoints over 30 minutes), and a
    // bounds check and call per bin was most of their time.
    this.cover(other.offset + lo, other.offset + hi - 1);
    const into = this.bins;
    const shift = other.offset - this.offset;
    for (let k = lo; k < hi; k++) into[k + shift]! += from[k]!;
  }

  /**
   * The q-quantile by nearest rank, in milliseconds: the smallest added value with at least a
   * share q of the values at or below it (rank ceil(q · count), 1-based), within RELATIVE_ERROR
   * of the exact one; 0 when the sketch is empty.
   */
  quantileMs(q: number): number {
    const bin = this.binOfRank(q);
    return bin === undefined ? 0 : binValue(bin) / 1e6;
  }

  /** A value in ms at or below the exact q-quantile: the lower edge of the bin that holds it. */
  quantileLowerBoundMs(q: number): number {
    const bin = this.binOfRank(q);
    return bin === undefined ? 0 : Math.pow(GAMMA, bin - 1) / 1e6;
  }

  /** The bin holding the nearest-rank q-quantile; undefined for an empty sketch or a zero. */
  private binOfRank(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = Math.max(0, Math.ceil(q * this.count) - 1);
    if (rank < this.zeros) return undefined;
    let seen = this.zeros;
    const bins = this.bins;
    for (let k = 0; k < bins.length; k++) {
      seen += bins[k]!;
      if (seen > rank) return this.offset + k;
    }
    return this.offset + bins.length - 1;
  }

  private addToBin(bin: number, n: number): void {
    this.cover(bin, bin);
    this.bins[bin - this.offset]! += n;
  }

  /** Makes bins first..last (first ≤ last) part of the array. */
  private cover(first: number, last: number): void {
    const bins = this.bins;
    if (bins.length === 0) {
      this.offset = first - 8;
      this.bins = new Uint32Array(Math.max(32, last - first + 9));
    } else if (first < this.offset || last >= this.offset + bins.length) {
      // Grow to cover the new bins with slack on the side that grew, so a drifting range
      // reallocates rarely.
      const lo = Math.min(this.offset, first - (first < this.offset ? 16 : 0));
      const hi = Math.max(this.offset + bins.length, last + 1 + (last >= this.offset + bins.length ? 16 : 0));
      const grown = new Uint32Array(hi - lo);
      grown.set(bins, this.offset - lo);
      this.offset = lo;
      this.bins = grown;
    }
  }

  /**
   * The sketch with `zeros` zero durations and these bins, as entries() lists them: how a sketch
   * travels between nodes (src/cluster/peer-wire.ts). Bins outside the range a duration of
   * 1 ns to 2^64 ns can fall in are refused (RangeError), so that a bin index from the wire can
   * never size the array.
   */
  static fromEntries(zeros: number, entries: ReadonlyArray<readonly [number, number]>): LatencySketch {
    const sketch = new LatencySketch();
    sketch.count = zeros;
    sketch.zeros = zeros;
    for (const [bin, n] of entries) {
      if (!Number.isSafeInteger(bin) || bin < 0 || bin > MAX_BIN) throw new RangeError(`sketch bin ${bin} is outside 0..${MAX_BIN}`);
      sketch.addToBin(bin, n);
      sketch.count += n;
    }
    return sketch;
  }

  /** Non-empty bins as [bin index, count], ascending: equal for sketches of the same values. */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let k = 0; k < this.bins.length; k++) if (this.bins[k]! > 0) out.push([this.offset + k, this.bins[k]!]);
    return out;
  }

  /** Bytes held by the bins. */
  bytes(): number {
    return this.bins.byteLength;
  }
}

const EMPTY = new Uint32Array(0);
/** The bin of 2^64 ns, above any int64 duration: the highest bin a sketch can hold. */
export const MAX_BIN = binOf(2 ** 64);

/** Span count, error count, exact maximum and latency sketch of one group of spans. */
export class LatencyStats {
  spans = 0;
  errors = 0;
  /** Longest duration in ns (0 when empty). */
  maxNs = 0;
  readonly sketch = new LatencySketch();

  add(durationNs: number, error: boolean): void {
    this.spans++;
    if (error) this.errors++;
    if (durationNs > this.maxNs) this.maxNs = durationNs;
    this.sketch.add(durationNs);
  }

  merge(other: LatencyStats): void {
    this.spans += other.spans;
    this.errors += other.errors;
    if (other.maxNs > this.maxNs) this.maxNs = other.maxNs;
    this.sketch.merge(other.sketch);
  }
}
