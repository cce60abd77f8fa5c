/*
 * Exact quantiles of a window's predictions without sorting them all: the values are counted
 * into fine bins between their min and max, and only the bins that hold a wanted rank are
 * sorted. For 10,000 predictions and the 109 quantiles a window reports, that is three passes
 * over the values (their range, the bins' counts, the wanted bins' values) and a few hundred
 * values sorted: ten times faster than sorting the window, which would cost more than the rest
 * of the monitoring together. The same fine bins count the predictions into the profile's
 * bins, which costs less than binning each prediction as it comes.
 */

const BINS = 4096;

/** What a window's predictions are summed up in. */
export interface OrderStatistics {
  /** The values at the quantiles asked for. */
  quantiles: number[];
  /** How many values are in each bin among the edges: bin b holds those with b edges at or below them, as numericBin bins them. */
  binCounts: number[];
}

/**
 * The values at quantiles `qs` (0 to 1) of the first `length` of `values`, interpolated
 * linearly between order statistics (numpy's default), exactly as sorting them would give;
 * and how many of them are in each bin among `edges` (increasing), exactly as counting each
 * value's numericBin would give.
 *
 * @example
 * ```typescript
 * orderStatistics(Float64Array.of(3, 1, 2, 4), 4, [0, 0.5, 1], [2.5]); // { quantiles: [1, 2.5, 4], binCounts: [2, 2] }
 * ```
 */
export function orderStatistics(values: Float64Array, length: number, qs: readonly number[], edges: ArrayLike<number>): OrderStatistics {
  // (No closures here: a variable one captures is read from the heap at every use, in every loop.)
  const n = length;
  const belowEdges = new Float64Array(edges.length);
  if (n === 0) return { quantiles: new Array<number>(qs.length).fill(Number.NaN), binCounts: binCountsOf(belowEdges, n) };
  const [min, max] = extent(values, n);
  if (min === max) {
    for (let e = 0; e < edges.length; e++) belowEdges[e] = edges[e] > min ? n : 0;
    return { quantiles: new Array<number>(qs.length).fill(min), binCounts: binCountsOf(belowEdges, n) };
  }
  const scale = BINS / (max - min);
  const counts = new Uint32Array(BINS);
  for (let i = 0; i < n; i++) counts[binOf(values[i], min, scale)]++;
  // starts[b]: the rank of the first value of bin b.
  const starts = new Uint32Array(BINS + 1);
  for (let b = 0; b < BINS; b++) starts[b + 1] = starts[b] + counts[b];
  // Each wanted rank (the two around each quantile) and its bin.
  const ranks = new Uint32Array(qs.length * 2);
  for (let k = 0; k < qs.length; k++) {
    const below = Math.floor(qs[k] * (n - 1));
    ranks[2 * k] = below;
    ranks[2 * k + 1] = Math.min(below + 1, n - 1);
  }
  const binsOfRanks = binsOf(ranks, starts);
  // Each edge's bin, where the values' range holds it (-1 elsewhere).
  const binsOfEdges = new Int32Array(edges.length);
  for (let e = 0; e < edges.length; e++) binsOfEdges[e] = edges[e] > min && edges[e] <= max ? binOf(edges[e], min, scale) : -1;
  // The bins holding a wanted rank or an edge, one after another in `held`: offset[bin] is where
  // its values start there (-1 for the bins not wanted), and fill[bin] where its next value goes.
  const offset = new Int32Array(BINS).fill(-1);
  let heldLength = 0;
  for (const bin of [...binsOfRanks, ...binsOfEdges]) {
    if (bin >= 0 && offset[bin] < 0) {
      offset[bin] = heldLength;
      heldLength += counts[bin];
    }
  }
  const held = new Float64Array(heldLength);
  const fill = offset.slice();
  for (let i = 0; i < n; i++) {
    const x = values[i];
    const bin = binOf(x, min, scale);
    if (fill[bin] >= 0) held[fill[bin]++] = x;
  }
  for (let bin = 0; bin < BINS; bin++) if (offset[bin] >= 0) sortRange(held, offset[bin], offset[bin] + counts[bin]);
  const found: number[] = [];
  for (let k = 0; k < qs.length; k++) {
    // The values at the two ranks: each where its bin's values start in held, then its place among them.
    const [j, l] = [2 * k, 2 * k + 1];
    const below = held[offset[binsOfRanks[j]] + ranks[j] - starts[binsOfRanks[j]]];
    const above = held[offset[binsOfRanks[l]] + ranks[l] - starts[binsOfRanks[l]]];
    found.push(below + (above - below) * (qs[k] * (n - 1) - ranks[j]));
  }
  // The values below each edge: those of the bins before its own (a value's bin never decreases
  // as the value grows), then those below it in its own bin.
  for (let e = 0; e < edges.length; e++) {
    const bin = binsOfEdges[e];
    belowEdges[e] = bin >= 0 ? starts[bin] + countBelow(held, offset[bin], offset[bin] + counts[bin], edges[e]) : edges[e] > max ? n : 0;
  }
  return { quantiles: found, binCounts: binCountsOf(belowEdges, n) };
}

/**
 * The values at quantiles `qs` (0 to 1) of the first `length` of `values`: orderStatistics'
 * quantiles.
 *
 * @example
 * ```typescript
 * quantiles(Float64Array.of(3, 1, 2, 4), [0, 0.5, 1]); // [1, 2.5, 4]
 * ```
 */
export const quantiles = (values: Float64Array, qs: readonly number[], length = values.length): number[] =>
  orderStatistics(values, length, qs, []).quantiles;

/** Each bin's count among the edges, from how many of the n values are below each edge. */
function binCountsOf(belowEdges: Float64Array, n: number): number[] {
  return Array.from({ length: belowEdges.length + 1 }, (_, b) =>
    b === belowEdges.length ? n - (belowEdges[b - 1] ?? 0) : belowEdges[b] - (belowEdges[b - 1] ?? 0),
  );
}

/** How many of the sorted values[from, to) are below x. */
function countBelow(values: Float64Array, from: number, to: number, x: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo - from;
}

/** The least and the greatest of the first `length` values. */
function extent(values: Float64Array, length: number): [number, number] {
  let min = values[0];
  let max = values[0];
  for (let i = 1; i < length; i++) {
    const x = values[i];
    // Conditional moves: an if's branches would be mispredicted on shuffled values, and Math.min
    // and Math.max (which order -0 before 0) cost ten times more here.
    // biome-ignore lint/complexity/useMathMinMax: measured slower, see above
    min = x < min ? x : min;
    // biome-ignore lint/complexity/useMathMinMax: measured slower, see above
    max = x > max ? x : max;
  }
  return [min, max];
}

/** A value's bin among BINS from min up: (x - min) * scale is from 0 to BINS, so truncating it floors it. */
function binOf(x: number, min: number, scale: number): number {
  const bin = ((x - min) * scale) | 0;
  return bin < BINS ? bin : BINS - 1;
}

/**
 * The bin of each rank, given where each bin's ranks start: found walking up the bins from the
 * last rank's, as the ranks wanted mostly ascend; by a binary search where one goes back.
 */
function binsOf(ranks: Uint32Array, starts: Uint32Array): Uint32Array {
  const bins = new Uint32Array(ranks.length);
  let bin = 0;
  for (let j = 0; j < ranks.length; j++) {
    const rank = ranks[j];
    if (starts[bin] > rank) bin = lastBinStartingAtOrBefore(starts, rank);
    while (starts[bin + 1] <= rank) bin++;
    bins[j] = bin;
  }
  return bins;
}

/** The last bin whose first rank is at or before `rank`. */
function lastBinStartingAtOrBefore(starts: Uint32Array, rank: number): number {
  let lo = 0;
  let hi = starts.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (starts[mid] <= rank) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A range this short is sorted in place by insertion: a few values, where a typed array's sort costs more to call than to run. */
const INSERTION_SORTED = 32;

/** Sorts values[from, to) in place, ascending. */
function sortRange(values: Float64Array, from: number, to: number): void {
  if (to - from > INSERTION_SORTED) {
    values.subarray(from, to).sort();
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const x = values[i];
    let j = i - 1;
    while (j >= from && values[j] > x) {
      values[j + 1] = values[j];
      j--;
    }
    values[j + 1] = x;
  }
}
