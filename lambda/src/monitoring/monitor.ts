/**
 * Drift in the stream: each shard's rides (and their predictions) counted in windows of
 * this container, closed at a number of rides or an age, and compared with the reference
 * profile. Only what Lambda checkpoints is counted, once the batch's outcome is known: a
 * record that will be replayed (at or after the batch's lowest item failure, or in an
 * invocation that fails) is counted when it finally succeeds, never twice. A window lives in
 * the container's memory: a new container starts a new one (docs/monitoring.md says why).
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { shardIdOf } from '../delivery/dead-letter';
import type { PredictionEvent } from '../rides/prediction-event';
import type { Ride } from '../rides/ride';
import { ReferenceBins } from './bins';
import { emitWindow } from './emit';
import type { MonitoredFeature } from './features';
import type { ReferenceProfile } from './profile';
import { DriftWindow, type Thresholds, type WindowReport } from './window';

export type { WindowReport } from './window';

export interface DriftSettings {
  windowRides: number;
  windowSeconds: number;
  minRides: number;
  thresholds: Thresholds;
}

/** A reference profile as loaded: the profile, where it was read and its bytes' sha256. */
export interface LoadedReference {
  profile: ReferenceProfile;
  where: string;
  sha256: string;
}

/** A predicted record of a batch, as process-batch.ts has it. */
export interface ObservedRecord {
  record: KinesisStreamRecord;
  ride: Ride;
  prediction: PredictionEvent;
}

/** What process-batch.ts calls once a batch's outcome is known. */
export interface BatchObserver {
  observe(
    records: readonly KinesisStreamRecord[],
    predicted: readonly ObservedRecord[],
    failures: readonly { itemIdentifier: string }[],
  ): void;
}

export interface DriftMonitorOptions {
  reference: LoadedReference;
  features: readonly MonitoredFeature[];
  settings: DriftSettings;
  /** The clock of the windows' age (ms since the epoch). */
  now?: () => number;
  /** Where a closed window goes; emitWindow (EMF and the log) unless replaced. */
  emit?: (report: WindowReport, referenceSha256: string) => void;
}

/** The reports kept in memory for local tools (the drill's summary); the logs keep them all. */
const KEPT_REPORTS = 1_000;

/**
 * @example
 * ```typescript
 * const monitor = new DriftMonitor({ reference, features: monitoredFeaturesOf(model), settings: config.drift });
 * monitor.observe(event.Records, predicted, batchItemFailures); // after each batch
 * monitor.closed; // the windows closed so far, with their comparison
 * ```
 */
export class DriftMonitor implements BatchObserver {
  /** The last windows closed, oldest first. */
  readonly closed: WindowReport[] = [];
  /** Rides counted so far, in closed and open windows. */
  counted = 0;
  private readonly windows = new Map<string, DriftWindow>();
  private readonly bins: ReferenceBins;
  private readonly now: () => number;
  private readonly emit: NonNullable<DriftMonitorOptions['emit']>;

  constructor(private readonly options: DriftMonitorOptions) {
    this.now = options.now ?? Date.now;
    this.emit = options.emit ?? emitWindow;
    this.bins = new ReferenceBins(options.reference.profile, options.features); // refuses a profile without the features, at start
  }

  observe(
    records: readonly KinesisStreamRecord[],
    predicted: readonly ObservedRecord[],
    failures: readonly { itemIdentifier: string }[],
  ): void {
    this.closeOld();
    if (records.length === 0) return;
    // Lambda resumes from the lowest failure (the first in input order): from there on, everything is replayed.
    const replayedFrom =
      failures.length === 0 ? undefined : records.findIndex((r) => r.kinesis.sequenceNumber === failures[0].itemIdentifier);
    const replayed = replayedFrom === undefined ? undefined : new Set(replayedFrom < 0 ? records : records.slice(replayedFrom));
    const shardId = shardIdOf(records[0]);
    let window = this.windowOf(shardId);
    for (const { record, ride, prediction } of predicted) {
      if (replayed?.has(record)) continue;
      window.add(ride, prediction.prediction.ride_duration);
      this.counted++;
      if (window.rides >= this.options.settings.windowRides) {
        this.close(shardId, window, 'rides');
        window = this.windowOf(shardId);
      }
    }
  }

  /** The shard's open window, or a new one. */
  private windowOf(shardId: string): DriftWindow {
    let window = this.windows.get(shardId);
    if (window === undefined) {
      window = new DriftWindow(this.bins, this.now(), this.options.settings.windowRides);
      this.windows.set(shardId, window);
    }
    return window;
  }

  /** Closes every open window (a local stack stopping; a Lambda container has no such moment). */
  flush(): void {
    for (const [shardId, window] of this.windows) this.close(shardId, window, 'flushed');
  }

  /** Closes the windows that are old enough, of every shard: a shard that went quiet (or ended in a reshard) gets its window closed too. */
  private closeOld(): void {
    const oldest = this.now() - this.options.settings.windowSeconds * 1000;
    for (const [shardId, window] of this.windows) if (window.openedAt <= oldest) this.close(shardId, window, 'time');
  }

  private close(shardId: string, window: DriftWindow, reason: WindowReport['reason']): void {
    this.windows.delete(shardId);
    const { settings, reference } = this.options;
    const report: WindowReport = {
      shardId,
      reason,
      openedAt: new Date(window.openedAt).toISOString(),
      closedAt: new Date(this.now()).toISOString(),
      driftEmitted: window.rides >= settings.minRides,
      ...window.compare(settings.thresholds),
    };
    this.closed.push(report);
    if (this.closed.length > KEPT_REPORTS) this.closed.shift();
    this.emit(report, reference.sha256);
  }
}
