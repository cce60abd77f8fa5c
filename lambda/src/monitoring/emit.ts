/**
 * What a closed window says: EMF metrics (`Drift` per feature and for the predictions,
 * `PredictionMean`, the predictions' quantiles as `Prediction` values, `DriftWindowRides`)
 * and one `drift window closed` log line with the whole comparison.
 */
import { DRIFT_DIMENSIONS, METRIC_NAMES } from '../names';
import { logger, MetricUnit, newMetrics } from '../telemetry';
import type { WindowReport } from './window';

/** With POWERTOOLS_METRICS_DISABLED nothing is stored, and publishing would only warn of that. */
const publish = (metrics: ReturnType<typeof newMetrics>) => metrics.hasStoredMetrics() && metrics.publishStoredMetrics();

/** Emits a window's metrics and its log line; `Drift` only when the window had enough rides to say something. */
export function emitWindow(report: WindowReport, referenceSha256: string): void {
  if (report.driftEmitted) {
    for (const drift of [...report.features, report.prediction]) {
      const metrics = newMetrics();
      metrics.addDimension(DRIFT_DIMENSIONS.feature, drift.name);
      metrics.addDimensions({ [DRIFT_DIMENSIONS.kind]: drift.kind });
      metrics.addMetadata('shardId', report.shardId);
      metrics.addMetadata('statistic', drift.statistic);
      metrics.addMetric(METRIC_NAMES.drift, MetricUnit.NoUnit, drift.value);
      publish(metrics);
    }
  }
  const summary = newMetrics();
  summary.addMetadata('shardId', report.shardId);
  summary.addMetric(METRIC_NAMES.driftWindowRides, MetricUnit.Count, report.rides);
  summary.addMetric(METRIC_NAMES.predictionMean, MetricUnit.NoUnit, report.prediction.mean);
  for (const value of report.predictionQuantiles) summary.addMetric(METRIC_NAMES.prediction, MetricUnit.NoUnit, value);
  publish(summary);

  const { predictionQuantiles: _values, ...comparison } = report;
  const exceeded = [...report.features, report.prediction].filter((d) => d.exceeded).map((d) => d.name);
  const line = { ...comparison, reference: referenceSha256, exceeded };
  if (report.driftEmitted && exceeded.length > 0) logger.warn('drift window closed', line);
  else logger.info('drift window closed', line);
}
