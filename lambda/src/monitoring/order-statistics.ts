/*
 * Exact quantiles of a window's predictions without sorting them all: the values are counted
 * into fine bins between their min and max, and only the bins that hold a wanted rank are
 * sorted. For 10,000 predictions and the 109 quantiles a window reports, that is three passes
 * over the values (their range, the bins' counts, the wanted bins' values) and a few hundred
 * values sorted: ten times faster than sorting the window, which would cost more than the rest
 * of the monitoring together.
 */

const BINS = 4096;

/**
 * The values at quantiles `qs` (0 to 1) of the first `length` of `values`, interpolated
 * linearly between order statistics (numpy's default), exactly as sorting them would give.
 *
 * @example
 * ```typescript
 * quantiles(Float64Array.of(3, 1, 2, 4), [0, 0.5, 1]); // [1, 2.5, 4]
 * ```
 */
export function quantiles(values: Float64Array, qs: readonly number[], length = values.length): number[] {
  // (No closures here: a variable one captures is read from the heap at every use, in every loop.)
  if (length === 0) return new Array<number>(qs.length).fill(Number.NaN);
  const [min, max] = extent(values, length);
  if (min === max) return new Array<number>(qs.length).fill(min);
  const n = length;
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
  // The bins holding a wanted rank, one after another in `held`: offset[bin] is where its values
  // start there (-1 for the bins not wanted), and fill[bin] where its next value goes.
  const offset = new Int32Array(BINS).fill(-1);
  let heldLength = 0;
  for (const bin of binsOfRanks) {
    if (offset[bin] < 0) {
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
  return found;
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
