/**
 * One window of a shard's rides, counted into the reference's bins, and its comparison with
 * the reference when it closes.
 */
import type { Ride } from '../rides/ride';
import type { ReferenceBins } from './bins';
import { jensenShannonDistance, psi } from './distance';
import { shares } from './histogram';
import { orderStatistics } from './order-statistics';
import { PERCENTILES, type Percentiles } from './profile';

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

export class DriftWindow {
  rides = 0;
  /** Each feature's count in each of its bins, in the features' order; and the same arrays as add() walks them. */
  private readonly counts: Float64Array[];
  private readonly numericCounts: Float64Array[];
  private readonly categoryCounts: Float64Array[];
  private predictions: Float64Array;

  constructor(
    private readonly bins: ReferenceBins,
    /** Where the window started, in ms since the epoch. */
    readonly openedAt: number,
    capacity: number,
  ) {
    this.counts = bins.all.map((b) => new Float64Array(b.size));
    this.numericCounts = bins.numeric.map((b) => this.counts[bins.all.indexOf(b)]);
    this.categoryCounts = bins.categorical.map((b) => this.counts[bins.all.indexOf(b)]);
    this.predictions = new Float64Array(Math.min(capacity, 1024));
  }

  add(ride: Ride, prediction: number): void {
    const { numeric, categorical } = this.bins;
    for (let i = 0; i < numeric.length; i++) {
      const bin = numeric[i].binOf(ride);
      if (bin !== undefined) this.numericCounts[i][bin]++;
    }
    for (let i = 0; i < categorical.length; i++) {
      const bin = categorical[i].binOf(ride);
      if (bin !== undefined) this.categoryCounts[i][bin]++;
    }
    if (this.rides === this.predictions.length) {
      const grown = new Float64Array(this.predictions.length * 2);
      grown.set(this.predictions);
      this.predictions = grown;
    }
    this.predictions[this.rides++] = prediction;
  }

  compare(thresholds: Thresholds): WindowComparison {
    const features = this.bins.all.map((counter, i): FeatureDrift => {
      const window = shares(this.counts[i]);
      const { name } = counter.feature;
      const p = counter.profile;
      return p.kind === 'numeric'
        ? drift(name, 'numeric', thresholds, p.proportions, window)
        : drift(name, 'categorical', thresholds, [...p.proportions, p.other], window);
    });
    let sum = 0;
    for (let i = 0; i < this.rides; i++) sum += this.predictions[i];
    const wanted = [...PERCENTILES.map((p) => p / 100), ...Array.from({ length: EMF_VALUES }, (_, i) => (i + 0.5) / EMF_VALUES)];
    // The predictions' bins are counted here, with their quantiles, rather than ride by ride.
    const { quantiles: found, binCounts } = orderStatistics(this.predictions, this.rides, wanted, this.bins.predictionEdges);
    const percentiles = Object.fromEntries(PERCENTILES.map((p, i) => [`p${p}`, found[i]])) as Percentiles;
    const reference = this.bins.profile.prediction;
    return {
      rides: this.rides,
      features,
      prediction: {
        ...drift(reference.name, 'prediction', thresholds, reference.proportions, shares(binCounts)),
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

/** One feature's comparison: PSI for numbers and the predictions, Jensen-Shannon distance for categories, against its threshold. */
function drift(name: string, kind: FeatureDrift['kind'], thresholds: Thresholds, reference: number[], window: number[]): FeatureDrift {
  const statistic: DriftStatistic = kind === 'categorical' ? 'jensen-shannon' : 'psi';
  const value = statistic === 'psi' ? psi(reference, window) : jensenShannonDistance(reference, window);
  const threshold = statistic === 'psi' ? thresholds.psi : thresholds.jensenShannon;
  return { name, kind, statistic, value, threshold, exceeded: value > threshold, window, reference };
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
