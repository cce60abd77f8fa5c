/**
 * One window of a shard's rides, counted into the reference's bins, and its comparison with
 * the reference when it closes.
 */
import type { Ride } from '../rides/ride';
import { jensenShannonDistance, psi } from './distance';
import type { MonitoredFeature } from './features';
import { numericBin, shares } from './histogram';
import { quantiles } from './order-statistics';
import {
  type CategoricalProfile,
  type FeatureProfile,
  type NumericProfile,
  PERCENTILES,
  type Percentiles,
  ProfileError,
  type ReferenceProfile,
} from './profile';

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
interface NumericCounter {
  feature: MonitoredFeature;
  profile: NumericProfile;
  edges: Float64Array;
  counts: Float64Array;
}
interface CategoricalCounter {
  feature: MonitoredFeature;
  profile: CategoricalProfile;
  index: Map<string, number>;
  counts: Float64Array;
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

export class DriftWindow {
  rides = 0;
  /** Apart, so that each loop of add() sees one shape. */
  private readonly numeric: NumericCounter[] = [];
  private readonly categorical: CategoricalCounter[] = [];
  /** Both, in the features' order, for the comparison. */
  private readonly counters: (NumericCounter | CategoricalCounter)[] = [];
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
    features.forEach((feature, i) => {
      const p = profiles[i];
      if (p.kind === 'numeric') {
        const counter = { feature, profile: p, edges: Float64Array.from(p.edges), counts: new Float64Array(p.edges.length + 1) };
        this.numeric.push(counter);
        this.counters.push(counter);
      } else {
        const index = new Map(p.categories.map((c, j) => [c, j]));
        const counter = { feature, profile: p, index, counts: new Float64Array(p.categories.length + 1) };
        this.categorical.push(counter);
        this.counters.push(counter);
      }
    });
    this.predictionEdges = Float64Array.from(profile.prediction.edges);
    this.predictionCounts = new Float64Array(profile.prediction.edges.length + 1);
    this.predictions = new Float64Array(Math.min(capacity, 1024));
  }

  add(ride: Ride, prediction: number): void {
    for (const counter of this.numeric) {
      const value = counter.feature.value(ride);
      if (value !== undefined) counter.counts[numericBin(counter.edges, value as number)]++;
    }
    for (const counter of this.categorical) {
      const value = counter.feature.value(ride);
      if (value === undefined) continue;
      counter.counts[counter.index.get(typeof value === 'string' ? value : String(value)) ?? counter.counts.length - 1]++;
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
      if (counter.profile.kind === 'numeric') {
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
      const p = counter.profile;
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
    let sum = 0;
    for (let i = 0; i < this.rides; i++) sum += this.predictions[i];
    const wanted = [...PERCENTILES.map((p) => p / 100), ...Array.from({ length: EMF_VALUES }, (_, i) => (i + 0.5) / EMF_VALUES)];
    const found = quantiles(this.predictions, wanted, this.rides);
    const percentiles = Object.fromEntries(PERCENTILES.map((p, i) => [`p${p}`, found[i]])) as Percentiles;
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
        mean: sum / this.rides,
        referenceMean: reference.mean,
        percentiles,
        referencePercentiles: reference.percentiles,
      },
      predictionQuantiles:
        this.rides <= EMF_VALUES
          ? Array.from(this.predictions.slice(0, this.rides)).sort((a, b) => a - b)
          : found.slice(PERCENTILES.length),
    };
  }
}

/** A closed window of one shard, as the monitor reports and emits it. */
export interface WindowReport extends WindowComparison {
  shardId: string;
  /** Why it closed: full, old enough, or the monitor was flushed (a local stack stopping). */
  reason: 'rides' | 'time' | 'flushed';
  openedAt: string;
  closedAt: string;
  /** False when it had fewer than minRides rides: no Drift metric then. */
  driftEmitted: boolean;
}
