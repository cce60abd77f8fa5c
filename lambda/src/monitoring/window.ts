/**
 * One window of a shard's rides, counted into the reference's bins, and its comparison with
 * the reference when it closes.
 */
import type { Ride } from '../rides/ride';
import { jensenShannonDistance, psi } from './distance';
import type { MonitoredFeature } from './features';
import { numericBin, percentilesOfSorted, quantileOfSorted, shares } from './histogram';
import { type FeatureProfile, type NumericProfile, type Percentiles, ProfileError, type ReferenceProfile } from './profile';

/** The statistic a feature is compared with: PSI for numbers (and the predictions), Jensen-Shannon distance for categories. */
export type DriftStatistic = 'psi' | 'jensen-shannon';

export interface FeatureDrift {
  name: string;
  kind: 'numeric' | 'categorical' | 'prediction';
  statistic: DriftStatistic;
  value: number;
  threshold: number;
  exceeded: boolean;
  /** The window's share in each of the reference's bins, beside the reference's own. */
  window: number[];
  reference: number[];
}

export interface WindowComparison {
  rides: number;
  features: FeatureDrift[];
  prediction: FeatureDrift & { mean: number; referenceMean: number; percentiles: Percentiles; referencePercentiles: Percentiles };
  /**
   * The window's predictions summed up in at most 100 values, its quantiles at (i + 0.5) / 100:
   * what EMF carries (100 values at most per metric), so that CloudWatch's percentiles of
   * them are the window's.
   */
  predictionQuantiles: number[];
}

/** The most values EMF takes for one metric in one document. */
const EMF_VALUES = 100;

export interface Thresholds {
  psi: number;
  jensenShannon: number;
}

/** A feature's counter: bins for a number, category indices for a category. */
type Counter =
  | { kind: 'numeric'; feature: MonitoredFeature; profile: NumericProfile; edges: Float64Array; counts: Float64Array }
  | { kind: 'categorical'; feature: MonitoredFeature; profile: FeatureProfile; index: Map<string, number>; counts: Float64Array };

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

export class DriftWindow {
  rides = 0;
  private readonly counters: Counter[];
  private readonly predictionEdges: Float64Array;
  private readonly predictionCounts: Float64Array;
  private predictions: Float64Array;

  constructor(
    private readonly profile: ReferenceProfile,
    features: readonly MonitoredFeature[],
    /** Where the window started, in ms since the epoch. */
    readonly openedAt: number,
    capacity: number,
  ) {
    const profiles = profiledFeatures(profile, features);
    this.counters = features.map((feature, i): Counter => {
      const p = profiles[i];
      return p.kind === 'numeric'
        ? { kind: 'numeric', feature, profile: p, edges: Float64Array.from(p.edges), counts: new Float64Array(p.edges.length + 1) }
        : {
            kind: 'categorical',
            feature,
            profile: p,
            index: new Map(p.categories.map((c, j) => [c, j])),
            counts: new Float64Array(p.categories.length + 1),
          };
    });
    this.predictionEdges = Float64Array.from(profile.prediction.edges);
    this.predictionCounts = new Float64Array(profile.prediction.edges.length + 1);
    this.predictions = new Float64Array(Math.min(capacity, 1024));
  }

  add(ride: Ride, prediction: number): void {
    for (const counter of this.counters) {
      const value = counter.feature.value(ride);
      if (counter.kind === 'numeric') counter.counts[numericBin(counter.edges, value as number)]++;
      else counter.counts[counter.index.get(String(value)) ?? counter.counts.length - 1]++;
    }
    this.predictionCounts[numericBin(this.predictionEdges, prediction)]++;
    if (this.rides === this.predictions.length) {
      const grown = new Float64Array(this.predictions.length * 2);
      grown.set(this.predictions);
      this.predictions = grown;
    }
    this.predictions[this.rides++] = prediction;
  }

  compare(thresholds: Thresholds): WindowComparison {
    const features = this.counters.map((counter): FeatureDrift => {
      const window = shares(counter.counts);
      if (counter.kind === 'numeric') {
        const reference = counter.profile.proportions;
        const value = psi(reference, window);
        return {
          name: counter.feature.name,
          kind: 'numeric',
          statistic: 'psi',
          value,
          threshold: thresholds.psi,
          exceeded: value > thresholds.psi,
          window,
          reference,
        };
      }
      const p = counter.profile as Extract<FeatureProfile, { kind: 'categorical' }>;
      const reference = [...p.proportions, p.other];
      const value = jensenShannonDistance(reference, window);
      return {
        name: counter.feature.name,
        kind: 'categorical',
        statistic: 'jensen-shannon',
        value,
        threshold: thresholds.jensenShannon,
        exceeded: value > thresholds.jensenShannon,
        window,
        reference,
      };
    });
    const sorted = this.predictions.slice(0, this.rides).sort();
    let sum = 0;
    for (const x of sorted) sum += x;
    const reference = this.profile.prediction;
    const window = shares(this.predictionCounts);
    const value = psi(reference.proportions, window);
    return {
      rides: this.rides,
      features,
      prediction: {
        name: reference.name,
        kind: 'prediction',
        statistic: 'psi',
        value,
        threshold: thresholds.psi,
        exceeded: value > thresholds.psi,
        window,
        reference: reference.proportions,
        mean: sum / sorted.length,
        referenceMean: reference.mean,
        percentiles: percentilesOfSorted(sorted),
        referencePercentiles: reference.percentiles,
      },
      predictionQuantiles:
        sorted.length <= EMF_VALUES
          ? Array.from(sorted)
          : Array.from({ length: EMF_VALUES }, (_, i) => quantileOfSorted(sorted, (i + 0.5) / EMF_VALUES)),
    };
  }
}
