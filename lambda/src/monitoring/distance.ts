/*
 * How far a window's distribution is from the reference's: the population stability index
 * for binned numbers, the Jensen-Shannon distance for categories. Both take proportions
 * (each array sums to 1) over the same bins.
 */

/**
 * A bin with no ride on one side would make PSI infinite; proportions are floored at this,
 * as PSI is usually computed (a bin with 0.01% of rides counts as having that share).
 */
export const PSI_FLOOR = 1e-4;

/**
 * Population stability index: the sum over bins of (actual - expected) * ln(actual / expected).
 * 0 for identical distributions; by the usual reading, under 0.1 is stable, 0.1 to 0.2 a
 * moderate shift, above 0.2 a significant one.
 *
 * @example
 * ```typescript
 * psi([0.5, 0.5], [0.5, 0.5]); // 0
 * psi([0.5, 0.5], [0.9, 0.1]); // 0.879
 * ```
 */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  checkSameBins(expected, actual);
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], PSI_FLOOR);
    const a = Math.max(actual[i], PSI_FLOOR);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/**
 * Jensen-Shannon distance, base 2: the square root of the Jensen-Shannon divergence, from 0
 * (identical) to 1 (no category in common). Bins empty on both sides do not count.
 *
 * @example
 * ```typescript
 * jensenShannonDistance([1, 0], [0, 1]); // 1
 * jensenShannonDistance([0.5, 0.5], [0.5, 0.5]); // 0
 * ```
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkSameBins(p, q);
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i] + q[i]) / 2;
    if (p[i] > 0) divergence += (p[i] / 2) * Math.log2(p[i] / m);
    if (q[i] > 0) divergence += (q[i] / 2) * Math.log2(q[i] / m);
  }
  // Rounding can leave a tiny negative divergence for identical inputs.
  return Math.sqrt(Math.min(1, Math.max(0, divergence)));
}

function checkSameBins(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`different numbers of bins: ${a.length} and ${b.length}`);
}
