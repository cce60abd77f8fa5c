import { expect } from 'vitest';

/** The largest difference between two lists of predictions, relative to the larger of 1 and the reference. */
export function worstRelativeDifference(predictions: ArrayLike<number>, reference: readonly number[]): number {
  expect(predictions.length).toBe(reference.length);
  return reference.reduce((max, want, i) => Math.max(max, Math.abs(predictions[i] - want) / Math.max(1, Math.abs(want))), 0);
}
