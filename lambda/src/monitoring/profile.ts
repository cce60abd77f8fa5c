/**
 * The reference profile: what the training rides and the model's predictions on them looked
 * like, as the stream's windows are compared with it. A small JSON document (schema in
 * docs/monitoring.md), made by `npm run profile` where the model is trained, read by the
 * function at start. Numbers are binned at fixed edges (deciles of the reference);
 * categories are the most frequent values plus "other".
 */
import { RideDurationError } from '../errors';

/** The `schema` field of every profile this runtime reads. */
export const PROFILE_SCHEMA = 'ride-duration-reference-profile/1';

/** The percentiles a numeric profile records (and a closed window reports). */
export const PERCENTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99] as const;
export type Percentiles = Record<`p${(typeof PERCENTILES)[number]}`, number>;

/**
 * A numeric distribution: bin i holds the values with exactly i edges at or below them, so
 * `edges.length + 1` bins, the first open below and the last open above.
 */
export interface NumericProfile {
  name: string;
  kind: 'numeric';
  edges: number[];
  /** The share of the reference in each bin; sums to 1. */
  proportions: number[];
  count: number;
  mean: number;
  min: number;
  max: number;
  percentiles: Percentiles;
}

/** A categorical distribution: the most frequent values and the share of all the others. */
export interface CategoricalProfile {
  name: string;
  kind: 'categorical';
  categories: string[];
  /** The share of each category; with `other`, sums to 1. */
  proportions: number[];
  other: number;
  count: number;
  /** Distinct values in the reference (the categories kept are the most frequent of them). */
  distinct: number;
}

export type FeatureProfile = NumericProfile | CategoricalProfile;

export interface ReferenceProfile {
  schema: typeof PROFILE_SCHEMA;
  createdAt: string;
  /** The model whose predictions are profiled. */
  model: { runId?: string; file: string; sha256: string };
  /** The rides profiled: where they came from, how many rows, and how many of them were rides the function accepts. */
  data: { source: string; format: string; rows: number; rides: number; rejected: number };
  features: FeatureProfile[];
  prediction: NumericProfile;
}

/** A profile that cannot be used; the message says where and what. */
export class ProfileError extends RideDurationError {
  override name = 'ProfileError';
}

/** Shares must add up to 1 within this. */
const SUM_TOLERANCE = 1e-6;

const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isShare = (x: unknown): x is number => isFiniteNumber(x) && x >= 0 && x <= 1 + SUM_TOLERANCE;

/**
 * Checks a parsed JSON document against the schema; every problem is named with its path.
 *
 * @example
 * ```typescript
 * const profile = parseProfile(JSON.parse(readFileSync('reference/profile.json', 'utf8')));
 * profile.features.map((f) => f.name); // ['PU_DO', 'trip_distance']
 * ```
 */
export function parseProfile(json: unknown): ReferenceProfile {
  const problems: string[] = [];
  const doc = json as Partial<ReferenceProfile> | null;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ProfileError('not a JSON object');
  if (doc.schema !== PROFILE_SCHEMA) {
    throw new ProfileError(`schema: expected ${JSON.stringify(PROFILE_SCHEMA)}, got ${JSON.stringify(doc.schema)}`);
  }
  if (typeof doc.model?.file !== 'string' || typeof doc.model?.sha256 !== 'string') problems.push('model: needs file and sha256');
  if (doc.model?.runId !== undefined && typeof doc.model.runId !== 'string') problems.push('model.runId: not a string');
  if (!Array.isArray(doc.features) || doc.features.length === 0) problems.push('features: expected a non-empty array');
  const names = new Set<string>();
  for (const [i, feature] of (Array.isArray(doc.features) ? doc.features : []).entries()) {
    checkFeature(feature, `features[${i}]`, problems);
    if (names.has(feature?.name)) problems.push(`features[${i}].name: ${JSON.stringify(feature.name)} twice`);
    names.add(feature?.name);
  }
  checkFeature(doc.prediction, 'prediction', problems);
  if (doc.prediction && doc.prediction.kind !== 'numeric') problems.push('prediction.kind: must be numeric');
  if (problems.length > 0) throw new ProfileError(problems.join('; '));
  return doc as ReferenceProfile;
}

function checkFeature(feature: FeatureProfile | undefined, at: string, problems: string[]): void {
  if (typeof feature !== 'object' || feature === null) {
    problems.push(`${at}: expected an object`);
    return;
  }
  if (typeof feature.name !== 'string' || feature.name === '') problems.push(`${at}.name: expected a non-empty string`);
  if (!Number.isSafeInteger(feature.count) || feature.count <= 0) problems.push(`${at}.count: expected a positive integer`);
  const shares = Array.isArray(feature.proportions) && feature.proportions.every(isShare) ? feature.proportions : undefined;
  if (shares === undefined) problems.push(`${at}.proportions: expected an array of shares from 0 to 1`);
  if (feature.kind === 'numeric') {
    const { edges } = feature;
    if (!Array.isArray(edges) || !edges.every(isFiniteNumber) || edges.some((e, i) => i > 0 && e <= edges[i - 1])) {
      problems.push(`${at}.edges: expected finite numbers in increasing order`);
    } else if (shares && shares.length !== edges.length + 1) {
      problems.push(`${at}.proportions: ${shares.length} bins for ${edges.length} edges (expected ${edges.length + 1})`);
    }
    for (const key of ['mean', 'min', 'max'] as const) if (!isFiniteNumber(feature[key])) problems.push(`${at}.${key}: expected a number`);
    for (const p of PERCENTILES) {
      if (!isFiniteNumber(feature.percentiles?.[`p${p}`])) problems.push(`${at}.percentiles.p${p}: expected a number`);
    }
    if (shares) checkSum(shares, 0, at, problems);
  } else if (feature.kind === 'categorical') {
    const { categories } = feature;
    if (!Array.isArray(categories) || !categories.every((c) => typeof c === 'string') || new Set(categories).size !== categories.length) {
      problems.push(`${at}.categories: expected distinct strings`);
    } else if (shares && shares.length !== categories.length) {
      problems.push(`${at}.proportions: ${shares.length} shares for ${categories.length} categories`);
    }
    if (!isShare(feature.other)) problems.push(`${at}.other: expected a share from 0 to 1`);
    else if (shares) checkSum(shares, feature.other, at, problems);
  } else {
    problems.push(`${at}.kind: expected "numeric" or "categorical", got ${JSON.stringify((feature as { kind?: unknown }).kind)}`);
  }
}

function checkSum(shares: number[], other: number, at: string, problems: string[]): void {
  const sum = shares.reduce((a, b) => a + b, other);
  if (Math.abs(sum - 1) > SUM_TOLERANCE) problems.push(`${at}.proportions: add up to ${sum}, not 1`);
}
