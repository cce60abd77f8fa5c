/**
 * What a closed window says: EMF metrics (`Drift` per feature and for the predictions,
 * `PredictionMean`, the predictions' quantiles as `Prediction` values, `DriftWindowRides`)
 * and one `drift window closed` log line with the whole comparison.
 */
import { DRIFT_DIMENSIONS, METRIC_NAMES } from '../names';
import { logger, MetricUnit, windowMetrics as metrics } from '../telemetry';
import type { WindowReport } from './window';

/** Publishes one document and clears it for the next (with POWERTOOLS_METRICS_DISABLED nothing is stored, and publishing would only warn of that). */
function publish(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  else {
    metrics.clearDimensions();
    metrics.clearMetadata();
  }
}

/** Emits a window's metrics and its log line; `Drift` only when the window had enough rides to say something. */
export function emitWindow(report: WindowReport, referenceSha256: string): void {
  if (report.driftEmitted) {
    for (const drift of [...report.features, report.prediction]) {
      metrics.addDimension(DRIFT_DIMENSIONS.feature, drift.name);
      metrics.addDimensions({ [DRIFT_DIMENSIONS.kind]: drift.kind });
      metrics.addMetadata('shardId', report.shardId);
      metrics.addMetadata('statistic', drift.statistic);
      metrics.addMetric(METRIC_NAMES.drift, MetricUnit.NoUnit, drift.value);
      publish();
    }
  }
  metrics.addMetadata('shardId', report.shardId);
  metrics.addMetric(METRIC_NAMES.driftWindowRides, MetricUnit.Count, report.rides);
  metrics.addMetric(METRIC_NAMES.predictionMean, MetricUnit.NoUnit, report.prediction.mean);
  for (const value of report.predictionQuantiles) metrics.addMetric(METRIC_NAMES.prediction, MetricUnit.NoUnit, value);
  publish();

  const { predictionQuantiles: _values, ...comparison } = report;
  const exceeded = [...report.features, report.prediction].filter((d) => d.exceeded).map((d) => d.name);
  const line = { ...comparison, reference: referenceSha256, exceeded };
  if (report.driftEmitted && exceeded.length > 0) logger.warn('drift window closed', line);
  else logger.info('drift window closed', line);
}
