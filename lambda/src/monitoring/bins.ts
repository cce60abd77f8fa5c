/**
 * Where each ride's values fall among the reference's bins, decided once at start for every
 * window to come: the monitored features matched with their profiles, each number's edges, and
 * each category's index (by its key where the feature has one).
 */
import type { Ride } from '../rides/ride';
import type { MonitoredFeature } from './features';
import { numericBin } from './histogram';
import { type CategoricalProfile, type FeatureProfile, type NumericProfile, ProfileError, type ReferenceProfile } from './profile';

/** Category keys below this are remembered in a table (a PU_DO of two zones below 512 is one); the others in a Map. */
const TABLE_KEYS = 1 << 18;
/** The most category keys remembered in the Map, per feature: every pair of the 265 NYC zones (70,225) fits. */
const MAX_REMEMBERED_KEYS = 100_000;

/** A number's bin: how many of the profile's edges are at or below it. */
export class NumericBins {
  readonly edges: Float64Array;
  /** The bins: one more than the edges. */
  readonly size: number;

  constructor(
    readonly feature: MonitoredFeature,
    readonly profile: NumericProfile,
  ) {
    this.edges = Float64Array.from(profile.edges);
    this.size = this.edges.length + 1;
  }

  /** The ride's bin; undefined when it has no value (an optional field not sent). */
  binOf(ride: Ride): number | undefined {
    const value = this.feature.value(ride) as number | undefined;
    return value === undefined ? undefined : numericBin(this.edges, value);
  }
}

/**
 * A category's bin: its index among the profile's top categories, or the last ("other"). Found
 * by the ride's text the first time its key is seen, by the key (a number) after that: in a
 * table for small keys, as a Map lookup would cost more than the rest of a ride's counting.
 */
export class CategoryBins {
  /** The bins: one per top category, then "other". */
  readonly size: number;
  private readonly byText: Map<string, number>;
  /** Each small key's bin + 1 (0: not seen yet), grown to the largest key seen. */
  private table = new Int32Array(0);
  private readonly byKey = new Map<number, number>();

  constructor(
    readonly feature: MonitoredFeature,
    readonly profile: CategoricalProfile,
  ) {
    this.byText = new Map(profile.categories.map((c, i) => [c, i]));
    this.size = profile.categories.length + 1;
  }

  /** The ride's bin; undefined when it has no value (an optional field not sent). */
  binOf(ride: Ride): number | undefined {
    const key = this.feature.key?.(ride);
    if (key !== undefined) {
      const known = key < this.table.length && (key | 0) === key && key >= 0 ? this.table[key] - 1 : this.byKey.get(key);
      if (known !== undefined && known >= 0) return known;
    }
    const value = this.feature.value(ride);
    if (value === undefined) return undefined;
    const bin = this.byText.get(typeof value === 'string' ? value : String(value)) ?? this.size - 1;
    if (key !== undefined) this.remember(key, bin);
    return bin;
  }

  private remember(key: number, bin: number): void {
    if ((key | 0) === key && key >= 0 && key < TABLE_KEYS) {
      if (key >= this.table.length) {
        let length = Math.max(1, this.table.length);
        while (length <= key) length *= 2;
        const grown = new Int32Array(length);
        grown.set(this.table);
        this.table = grown;
      }
      this.table[key] = bin + 1;
    } else if (this.byKey.size < MAX_REMEMBERED_KEYS) this.byKey.set(key, bin);
  }
}

/** Matches the monitored features with the profile's; throws with what is missing or of another kind. */
export function profiledFeatures(profile: ReferenceProfile, features: readonly MonitoredFeature[]): FeatureProfile[] {
  const byName = new Map(profile.features.map((f) => [f.name, f]));
  const problems: string[] = [];
  const matched: FeatureProfile[] = [];
  for (const feature of features) {
    const found = byName.get(feature.name);
    if (found === undefined) problems.push(`no profile of ${feature.name}`);
    else if (found.kind !== feature.kind) problems.push(`${feature.name} is ${feature.kind} in the model, ${found.kind} in the profile`);
    else matched.push(found);
  }
  if (problems.length > 0) {
    throw new ProfileError(`${problems.join('; ')} (the profile has ${profile.features.map((f) => f.name).join(', ')})`);
  }
  return matched;
}

/**
 * The bins of a profile for the served model's features.
 *
 * @example
 * ```typescript
 * const bins = new ReferenceBins(profile, monitoredFeaturesOf(model)); // throws a ProfileError if the profile lacks one
 * bins.numeric[0].binOf(ride); // the ride's bin among the first numeric feature's edges
 * ```
 */
export class ReferenceBins {
  /** Apart, so that each loop of a window's add() sees one shape. */
  readonly numeric: NumericBins[] = [];
  readonly categorical: CategoryBins[] = [];
  /** Both, in the features' order, for the comparison. */
  readonly all: (NumericBins | CategoryBins)[] = [];
  readonly predictionEdges: Float64Array;

  constructor(
    readonly profile: ReferenceProfile,
    features: readonly MonitoredFeature[],
  ) {
    const profiles = profiledFeatures(profile, features);
    features.forEach((feature, i) => {
      const p = profiles[i];
      if (p.kind === 'numeric') this.all.push(this.numeric[this.numeric.push(new NumericBins(feature, p)) - 1]);
      else this.all.push(this.categorical[this.categorical.push(new CategoryBins(feature, p)) - 1]);
    });
    this.predictionEdges = Float64Array.from(profile.prediction.edges);
  }
}
