/**
 * Drift monitoring by itself: PSI and Jensen-Shannon distance, the profile's bins and schema,
 * and the windows: what they count, when they close, and that a replayed record is counted
 * once.
 */
import { describe, expect, it } from 'vitest';
import { kinesisEvent } from '../../events/kinesis-event';
import {
  buildReferenceProfile,
  categoricalProfile,
  DriftMonitor,
  jensenShannonDistance,
  monitoredFeaturesOf,
  numericBin,
  numericProfile,
  parseProfile,
  psi,
  type ReferenceProfile,
  type WindowReport,
} from '../../lambda/src/monitoring';
import { CategoryBins } from '../../lambda/src/monitoring/bins';
import { predictionEvent } from '../../lambda/src/rides/prediction-event';
import type { Ride } from '../../lambda/src/rides/ride';
import { RECIPES } from '../../lambda/src/rides/schema';
import { seededRandom } from '../../local/kinesis-fault-proxy';

/** Rides of a small city: a few busy zones, distances of a few miles; `shift` doubles distances and moves zones. */
function rides(n: number, seed: number, shift = false): Ride[] {
  const random = seededRandom(seed);
  const zone = () => 1 + Math.floor(random() ** 3 * 40) + (shift ? 100 : 0);
  return Array.from({ length: n }, () => ({
    PULocationID: zone(),
    DOLocationID: zone(),
    trip_distance: (Math.round(-Math.log(1 - random()) * 300) / 100) * (shift ? 2 : 1),
  }));
}
/** A stand-in model: 3 minutes per mile, plus 4. */
const predict = (r: readonly Ride[]) => Float64Array.from(r, (ride) => 4 + 3 * ride.trip_distance);
// The course's model's inputs: the PU_DO pair as a category, the distance as a number.
const features = monitoredFeaturesOf({
  inputs: [
    { name: 'PU_DO', as: 'category' },
    { name: 'trip_distance', as: 'number' },
  ],
});

function profileOf(reference: Ride[]): ReferenceProfile {
  return buildReferenceProfile({
    rides: reference,
    predictions: predict(reference),
    features,
    model: { runId: 'run', file: 'model.pkl', sha256: '0'.repeat(64) },
    data: { source: 'test', format: 'json', rows: reference.length, rejected: 0 },
  });
}
const profile = profileOf(rides(20_000, 1));
const loaded = { profile, where: 'test', sha256: 'f'.repeat(64) };
const settings = { windowRides: 5_000, windowSeconds: 900, minRides: 1_000, thresholds: { psi: 0.2, jensenShannon: 0.1 } };

function monitor(options: { now?: () => number; windowRides?: number } = {}) {
  const reports: WindowReport[] = [];
  const m = new DriftMonitor({
    reference: loaded,
    features,
    settings: { ...settings, windowRides: options.windowRides ?? settings.windowRides },
    now: options.now,
    emit: (r) => void reports.push(r),
  });
  return { m, reports };
}

/** A batch of a shard as process-batch.ts hands it over: every record predicted. */
function batch(batchRides: Ride[], shardId = 'shardId-000000000000', first = 1n) {
  const event = kinesisEvent(
    batchRides.map((ride, i) => ({ ride, ride_id: i })),
    { shardId, firstSequenceNumber: first },
  );
  const durations = predict(batchRides);
  const predicted = event.Records.map((record, i) => ({
    record,
    ride: batchRides[i],
    prediction: predictionEvent(i, durations[i], 'run'),
  }));
  return { records: event.Records, predicted };
}

describe('PSI and Jensen-Shannon distance', () => {
  it('are 0 for identical distributions and grow with the difference', () => {
    expect(psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0);
    expect(psi([0.5, 0.5], [0.9, 0.1])).toBeCloseTo(0.4 * Math.log(1.8) + 0.4 * Math.log(5), 12);
    expect(jensenShannonDistance([0.2, 0.8], [0.2, 0.8])).toBe(0);
    expect(jensenShannonDistance([1, 0], [0, 1])).toBe(1);
    // sqrt(JSD) in bits of P = (1, 0), Q = (0.5, 0.5): M = (0.75, 0.25).
    const jsd = 0.5 * Math.log2(1 / 0.75) + 0.5 * (0.5 * Math.log2(0.5 / 0.75) + 0.5 * Math.log2(0.5 / 0.25));
    expect(jensenShannonDistance([1, 0], [0.5, 0.5])).toBeCloseTo(Math.sqrt(jsd), 12);
    expect(jensenShannonDistance([0.1, 0.9], [0.6, 0.4])).toBeCloseTo(jensenShannonDistance([0.6, 0.4], [0.1, 0.9]), 15);
  });

  it('floors empty bins for PSI, so that a bin the reference never saw counts, finitely', () => {
    expect(Number.isFinite(psi([1, 0], [0.5, 0.5]))).toBe(true);
    expect(psi([1, 0], [0.5, 0.5])).toBeGreaterThan(1);
    expect(() => psi([1], [0.5, 0.5])).toThrow(/different numbers of bins/);
  });
});

describe('the profile', () => {
  it("bins numbers at the reference's deciles, ties merged, each value in one bin", () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    const p = numericProfile('x', values);
    expect(p.edges).toHaveLength(9);
    expect(p.proportions.every((s) => Math.abs(s - 0.1) < 0.002)).toBe(true);
    expect(numericBin(p.edges, -1)).toBe(0);
    expect(numericBin(p.edges, 1e9)).toBe(9);
    expect(numericBin([1, 2, 3], 2)).toBe(2); // an edge belongs to the bin above it
    const tied = numericProfile('y', [...Array(900).fill(1), ...Array.from({ length: 100 }, (_, i) => 2 + i)]);
    expect(tied.edges.length).toBeLessThan(9);
    expect(tied.proportions.reduce((a, b) => a + b)).toBeCloseTo(1, 12);
    expect(tied.percentiles.p50).toBe(1);
  });

  it('bins a number by the count of edges at or below it, scanned or searched', () => {
    const random = seededRandom(11);
    // Up to 16 edges are scanned from the first, more are searched: both count the same.
    for (const length of [0, 1, 2, 9, 16, 17, 40]) {
      const edges = Array.from({ length }, (_, i) => i * 1.5 + (i % 3) / 7);
      for (const x of [...edges, ...edges.map((e) => e - 1e-9), -1, 1e9, Number.NaN, ...Array.from({ length: 50 }, () => random() * 70)]) {
        expect(numericBin(edges, x), `${x} among ${length} edges`).toBe(edges.filter((e) => e <= x).length);
      }
    }
  });

  it('keeps the most frequent categories and counts the rest as other', () => {
    const p = categoricalProfile('c', ['a', 'a', 'a', 'b', 'b', 'c', 'd'], 2);
    expect(p.categories).toEqual(['a', 'b']);
    expect(p.proportions).toEqual([3 / 7, 2 / 7]);
    expect(p.other).toBeCloseTo(2 / 7, 15);
    expect(p.distinct).toBe(4);
  });

  it('reads back what the builder writes, and refuses a document that breaks the schema, naming each problem', () => {
    expect(parseProfile(JSON.parse(JSON.stringify(profile)))).toEqual(profile);
    expect(profile.features.map((f) => [f.name, f.kind])).toEqual([
      ['PU_DO', 'categorical'],
      ['trip_distance', 'numeric'],
    ]);
    expect(() => parseProfile({ ...profile, schema: 'other/1' })).toThrow(/^schema: expected "ride-duration-reference-profile\/1"/);
    const broken = JSON.parse(JSON.stringify(profile)) as ReferenceProfile;
    const distance = broken.features[1] as Extract<ReferenceProfile['features'][number], { kind: 'numeric' }>;
    distance.edges = [3, 2];
    broken.prediction.proportions[0] += 0.5;
    (broken.features[0] as { kind: string }).kind = 'ordinal';
    expect(() => parseProfile(broken)).toThrow(
      /features\[0\]\.kind: expected "numeric" or "categorical", got "ordinal".*features\[1\]\.edges: expected finite numbers in increasing order.*prediction\.proportions: add up to 1\.5/,
    );
  });
});

describe('DriftMonitor', () => {
  it('stays under the thresholds for rides drawn like the reference, and crosses them for shifted rides', () => {
    const { m, reports } = monitor();
    const like = batch(rides(5_000, 2));
    m.observe(like.records, like.predicted, []);
    const shifted = batch(rides(5_000, 3, true));
    m.observe(shifted.records, shifted.predicted, []);
    expect(reports.map((r) => [r.reason, r.rides])).toEqual([
      ['rides', 5_000],
      ['rides', 5_000],
    ]);
    const [same, moved] = reports;
    // Sampling noise alone: 50 categories over 5,000 rides keep a Jensen-Shannon distance of about 0.05.
    for (const drift of [...same.features, same.prediction]) expect(drift.value, drift.name).toBeLessThan(drift.threshold * 0.6);
    for (const drift of [...moved.features, moved.prediction]) {
      expect(drift.exceeded, drift.name).toBe(true);
      expect(drift.value, drift.name).toBeGreaterThan(drift.threshold * 2);
    }
    expect(moved.prediction.mean).toBeGreaterThan(same.prediction.mean * 1.5);
    expect(same.predictionQuantiles).toHaveLength(100);
    expect(same.predictionQuantiles[49]).toBeCloseTo(same.prediction.percentiles.p50, 0);
  });

  it('keeps a window per shard, and closes old windows of every shard, quiet ones too', () => {
    let now = 0;
    const { m, reports } = monitor({ now: () => now });
    const a = batch(rides(1_200, 4), 'shardId-000000000000');
    const b = batch(rides(300, 5), 'shardId-000000000001');
    m.observe(a.records, a.predicted, []);
    m.observe(b.records, b.predicted, []);
    expect(reports).toHaveLength(0);
    now = 900_000;
    m.observe(b.records.slice(0, 1), b.predicted.slice(0, 1), []); // a batch of shard 1 closes shard 0's old window as well
    expect(reports.map((r) => [r.shardId, r.reason, r.rides, r.driftEmitted])).toEqual([
      ['shardId-000000000000', 'time', 1_200, true],
      ['shardId-000000000001', 'time', 300, false], // too few rides for a Drift
    ]);
    m.flush();
    expect(reports.at(-1)).toMatchObject({ shardId: 'shardId-000000000001', reason: 'flushed', rides: 1 });
  });

  it('counts only what Lambda checkpoints: nothing from the lowest batch item failure on', () => {
    const { m } = monitor();
    const { records, predicted } = batch(rides(100, 6));
    // Records 40 and 70 failed: Lambda replays from 40, so only 0..39 count now.
    m.observe(
      records,
      predicted,
      [40, 70].map((i) => ({ itemIdentifier: records[i].kinesis.sequenceNumber })),
    );
    expect(m.counted).toBe(40);
    // The replay from 40 succeeds: 60 more, 100 in all, each once.
    m.observe(records.slice(40), predicted.slice(40), []);
    expect(m.counted).toBe(100);
    // A failure Lambda cannot place in the batch replays all of it: nothing counts.
    m.observe(records, predicted, [{ itemIdentifier: 'not-in-the-batch' }]);
    expect(m.counted).toBe(100);
  });

  it('refuses a profile without a monitored feature', () => {
    const without = { ...profile, features: profile.features.filter((f) => f.name !== 'trip_distance') };
    expect(() => new DriftMonitor({ reference: { ...loaded, profile: without }, features, settings })).toThrow(
      /no profile of trip_distance \(the profile has PU_DO\)/,
    );
  });
});

describe("a category's key", () => {
  it("is equal for two rides exactly when their recipe's texts are, at and beyond the pair key's span", () => {
    // Around the small keys' span (zone ids below 512) and the large ones' (below 16,384), and what is neither.
    const values = [0, 1, 7, 130, 265, 511, 512, 513, 16_383, 16_384, 32_768, -1, -0, 1.5, 1e6];
    const pairs = values.flatMap((a) => values.map((b) => ({ PULocationID: a, DOLocationID: b, trip_distance: 1 })));
    for (const name of ['PU_DO', 'PULocationID', 'DOLocationID'] as const) {
      const recipe = RECIPES[name];
      for (const x of pairs) {
        for (const y of pairs) {
          const [kx, ky] = [recipe.categoryKey?.(x), recipe.categoryKey?.(y)];
          if (kx === undefined || ky === undefined) continue;
          expect(kx === ky, `${name} of ${JSON.stringify([x, y])}`).toBe(recipe.category?.(x) === recipe.category?.(y));
        }
      }
    }
    // Beyond the span, a pair has no key: the text counts it.
    expect(RECIPES.PU_DO.categoryKey?.({ PULocationID: 16_384, DOLocationID: 1, trip_distance: 1 })).toBeUndefined();
    expect(RECIPES.PU_DO.categoryKey?.({ PULocationID: 1.5, DOLocationID: 1, trip_distance: 1 })).toBeUndefined();
  });

  it('finds the bin its text has, the first time and after, in the table of small keys and beyond it', () => {
    const [zone] = monitoredFeaturesOf({ inputs: [{ name: 'PULocationID', as: 'category' }] });
    const ids = [3, 0, 1, 265, 511, 512, 70_000, 262_143, 262_144, 5e6, 2 ** 31, -5, -0, 1.5, 40];
    const profile = categoricalProfile('PULocationID', ['40', '3', '3', '262143', '5000000', '-5', '1.5', '0'], 5);
    const bins = new CategoryBins(zone, profile);
    const textOnly = new CategoryBins({ ...zone, key: undefined }, profile);
    const ride = (id: number): Ride => ({ PULocationID: id, DOLocationID: 1, trip_distance: 1 });
    for (const round of [1, 2]) {
      for (const id of ids) expect(bins.binOf(ride(id)), `${id}, round ${round}`).toBe(textOnly.binOf(ride(id)));
    }
    expect(bins.binOf(ride(3))).toBe(0);
    expect(bins.binOf(ride(70_000))).toBe(bins.size - 1); // other
  });

  it('counts the same windows as the texts do', () => {
    const byText = features.map(({ key: _key, ...feature }) => feature);
    const reports = [features, byText].map((f) => {
      const kept: WindowReport[] = [];
      const m = new DriftMonitor({ reference: loaded, features: f, settings, now: () => 0, emit: (r) => void kept.push(r) });
      for (const seed of [7, 8]) {
        const { records, predicted } = batch(rides(5_000, seed, seed === 8));
        m.observe(records, predicted, []);
      }
      return kept;
    });
    expect(features.find((f) => f.name === 'PU_DO')?.key).toBeDefined();
    expect(reports[0]).toHaveLength(2);
    expect(reports[0]).toEqual(reports[1]);
  });
});

describe('the quantiles of a window', () => {
  it('are those of the sorted values, ties, negatives and all-equal values included', async () => {
    const { quantiles } = await import('../../lambda/src/monitoring/order-statistics');
    const { quantileOfSorted } = await import('../../lambda/src/monitoring/histogram');
    const random = seededRandom(9);
    const qs = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1, ...Array.from({ length: 100 }, (_, i) => (i + 0.5) / 100)];
    const cases = [
      Float64Array.from({ length: 10_000 }, () => (random() - 0.3) * 60),
      Float64Array.from({ length: 5_000 }, () => Math.round(random() * 20) / 4), // many ties
      Float64Array.from({ length: 3_000 }, () => (random() < 0.9 ? 1 : random() * 1e6)), // a long tail
      Float64Array.from({ length: 7 }, (_, i) => i * i),
      new Float64Array(50).fill(-2.5),
    ];
    for (const values of cases) {
      const sorted = values.slice().sort();
      expect(quantiles(values, qs)).toEqual(qs.map((q) => quantileOfSorted(sorted, q)));
      // In any order of the quantiles, of the first values only (a window's array is longer than its rides).
      const first = Math.ceil(values.length / 3);
      const reversed = [...qs].reverse();
      expect(quantiles(values, reversed, first)).toEqual(reversed.map((q) => quantileOfSorted(values.slice(0, first).sort(), q)));
    }
  });

  it("count the values in each of a profile's bins as numericBin bins them one by one", async () => {
    const { orderStatistics } = await import('../../lambda/src/monitoring/order-statistics');
    const { quantileOfSorted } = await import('../../lambda/src/monitoring/histogram');
    const random = seededRandom(10);
    const cases = [
      Float64Array.from({ length: 10_000 }, () => (random() - 0.3) * 60),
      Float64Array.from({ length: 5_000 }, () => Math.round(random() * 20) / 4), // edges fall on tied values
      Float64Array.from({ length: 3_000 }, () => (random() < 0.9 ? 1 : random() * 1e6)),
      new Float64Array(50).fill(-2.5),
      Float64Array.of(7),
      new Float64Array(0),
    ];
    for (const values of cases) {
      const sorted = values.slice().sort();
      const deciles = Array.from({ length: 9 }, (_, i) => (sorted.length === 0 ? i : quantileOfSorted(sorted, (i + 1) / 10)));
      // The profile's own edges, edges on values, between them, outside their range, at its ends, and none.
      const edgeSets = [
        [...new Set(deciles)],
        [-1e9, -2.5, 0, 1, 1 + 1e-12, 5, 5.25, 1e5, 1e9],
        sorted.length === 0 ? [] : [sorted[0], sorted[sorted.length - 1]],
        [],
      ];
      for (const edges of edgeSets) {
        const expected = new Array(edges.length + 1).fill(0);
        for (const x of values) expected[numericBin(edges, x)]++;
        expect(orderStatistics(values, values.length, [0.5], edges).binCounts, `${values.length} values, edges ${edges}`).toEqual(expected);
      }
    }
  });
});
