import type { KinesisStreamEvent } from 'aws-lambda';
import { createClients, type AwsClients } from './aws-clients';
import type { Config } from './config';
import { DeadLetterQueue } from './delivery/dead-letter-queue';
import { PredictionWriter } from './delivery/prediction-writer';
import type { RetryClock, RetryPolicy } from './delivery/batch-delivery';
import { describeLocation } from './model/model-source';
import { loadServedModel } from './served-model';
import { processBatch, type BatchResult } from './process-batch';
import { METRIC_NAMES } from './names';
import { logger, metrics, MetricUnit } from './telemetry';

/** What a started service serves, for banners and checks. */
export interface ServedModelInfo {
  /** The model file read: its path or S3 URI. */
  path: string;
  format: 'pickle' | 'json';
  estimator: string;
  /** Every output event's "version". */
  version: string;
}

export interface PredictionService {
  readonly served: ServedModelInfo;
  handle(event: KinesisStreamEvent): Promise<BatchResult>;
}

/** Overrides for tests and local tools; production uses the defaults. */
export interface ServiceOptions {
  clients?: AwsClients;
  retryPolicy?: RetryPolicy;
  clock?: RetryClock;
}

/**
 * What a container does once: make the clients, load the model, wire the sinks.
 * Fails with a ModelLoadError that names the location when the model cannot be served.
 */
export async function startPredictionService(config: Config, options: ServiceOptions = {}): Promise<PredictionService> {
  const clients = options.clients ?? createClients(config);
  const started = performance.now();
  const served = await loadServedModel(config.model, () => clients.s3);
  const { model, mlmodel, version } = served;
  const loadMs = performance.now() - started;
  metrics.addMetric(METRIC_NAMES.modelLoadTime, MetricUnit.Milliseconds, loadMs);
  logger.info('model loaded', {
    location: describeLocation(config.model.location),
    file: served.path,
    format: served.format,
    note: served.note,
    version,
    runId: config.model.runId,
    loadMs: Math.round(loadMs),
    ...model.summary(),
    ...(mlmodel && { mlflowRunId: mlmodel.runId, flavors: mlmodel.flavors, createdAt: mlmodel.createdAt, signature: mlmodel.signatureInputs }),
  });

  const sinks = config.testRun
    ? undefined
    : {
        predictions: new PredictionWriter(clients.kinesis, config.predictionsStreamName, options.retryPolicy, options.clock),
        deadLetters: new DeadLetterQueue(clients.sqs, config.deadLetterQueueUrl!, options.retryPolicy, options.clock),
      };
  return {
    served: { path: served.path, format: served.format, estimator: model.summary().estimator, version },
    async handle(event) {
      const first = event.Records[0];
      const batchKeys = {
        records: event.Records.length,
        eventSourceARN: first?.eventSourceARN,
        firstSequenceNumber: first?.kinesis.sequenceNumber,
      };
      logger.appendKeys(batchKeys);
      try {
        return await processBatch(event, { model, version, sinks });
      } finally {
        metrics.publishStoredMetrics();
        logger.removeKeys(Object.keys(batchKeys));
      }
    },
  };
}
