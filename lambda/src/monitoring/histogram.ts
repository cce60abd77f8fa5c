/*
 * The bins a profile and a window share: a number's bin is how many edges are at or below
 * it; a category's is its index among the profile's top categories, or the last ("other").
 * The profile is built with the very functions that bin the stream, so both sides agree.
 */
import { type CategoricalProfile, type NumericProfile, PERCENTILES, type Percentiles } from './profile';

/**
 * Edge lists up to this long are scanned from the start: for a profile's 9 edges (10 bins) a
 * scan costs a third of a binary search, whose branches a processor cannot predict.
 */
const SCANNED_EDGES = 16;

/** The number of edges at or below x: its bin among edges.length + 1 (edges increasing). */
export function numericBin(edges: ArrayLike<number>, x: number): number {
  if (edges.length <= SCANNED_EDGES) {
    let bin = 0;
    while (bin < edges.length && edges[bin] <= x) bin++;
    return bin;
  }
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The value at quantile q (0 to 1) of sorted values, interpolated linearly (numpy's default). */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const at = q * (sorted.length - 1);
  const below = Math.floor(at);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
}

export function percentilesOfSorted(sorted: ArrayLike<number>): Percentiles {
  return Object.fromEntries(PERCENTILES.map((p) => [`p${p}`, quantileOfSorted(sorted, p / 100)])) as Percentiles;
}

/** Counts as shares of their total (all zeros for no count). */
export function shares(counts: ArrayLike<number>): number[] {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  return Array.from(counts, (c) => (total === 0 ? 0 : c / total));
}

/**
 * The profile of numbers: edges at the reference's quantiles i/bins (ties merged, so a
 * feature with few distinct values gets fewer bins), and the share of the values in each.
 *
 * @example
 * ```typescript
 * const profile = numericProfile('trip_distance', distances, 10);
 * profile.edges.length; // 9 (or fewer with ties)
 * ```
 */
export function numericProfile(name: string, values: ArrayLike<number>, bins = 10): NumericProfile {
  if (values.length === 0) throw new RangeError(`${name}: no values to profile`);
  const sorted = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const edge = quantileOfSorted(sorted, i / bins);
    // An edge at the minimum would leave the first bin empty.
    if (edge > sorted[0] && edge !== edges[edges.length - 1]) edges.push(edge);
  }
  const counts = new Float64Array(edges.length + 1);
  let sum = 0;
  for (const x of sorted) {
    counts[numericBin(edges, x)]++;
    sum += x;
  }
  return {
    name,
    kind: 'numeric',
    edges,
    proportions: shares(counts),
    count: sorted.length,
    mean: sum / sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    percentiles: percentilesOfSorted(sorted),
  };
}

/**
 * The profile of categories: the `top` most frequent (ties by value, for a stable file) and
 * the share of every other one together.
 */
export function categoricalProfile(name: string, values: Iterable<string>, top = 50): CategoricalProfile {
  const counts = new Map<string, number>();
  let count = 0;
  for (const v of values) {
    counts.set(v, (counts.get(v) ?? 0) + 1);
    count++;
  }
  if (count === 0) throw new RangeError(`${name}: no values to profile`);
  const kept = [...counts].sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0)).slice(0, top);
  const keptCount = kept.reduce((sum, [, n]) => sum + n, 0);
  return {
    name,
    kind: 'categorical',
    categories: kept.map(([v]) => v),
    proportions: kept.map(([, n]) => n / count),
    other: (count - keptCount) / count,
    count,
    distinct: counts.size,
  };
}
