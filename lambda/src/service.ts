import type { KinesisStreamEvent } from 'aws-lambda';
import { createClients, type AwsClients } from './aws-clients';
import type { Config } from './config';
import { DeadLetterQueue } from './delivery/dead-letter-queue';
import { PredictionWriter } from './delivery/prediction-writer';
import type { RetryClock, RetryPolicy } from './delivery/batch-delivery';
import { describeLocation, loadModel, loadModelInfo, ModelLoadError } from './model/load-model';
import { signatureMismatch } from './model/mlmodel';
import { FEATURE_NAMES } from './rides/features';
import { processBatch, type BatchResult } from './process-batch';
import { METRIC_NAMES } from './names';
import { logger, metrics, MetricUnit } from './telemetry';

export interface PredictionService {
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
  const location = config.model.location;
  const [model, mlflow] = await Promise.all([loadModel(location, () => clients.s3), loadModelInfo(location, () => clients.s3)]);
  const mismatch = mlflow?.signatureInputs && signatureMismatch(mlflow.signatureInputs, FEATURE_NAMES);
  if (mismatch) throw new ModelLoadError(`cannot serve the model from ${describeLocation(location)}: ${mismatch}`);
  const loadMs = performance.now() - started;
  metrics.addMetric(METRIC_NAMES.modelLoadTime, MetricUnit.Milliseconds, loadMs);
  logger.info('model loaded', {
    location: describeLocation(location),
    version: config.model.version,
    loadMs: Math.round(loadMs),
    ...model.summary(),
    ...(mlflow && { mlflowRunId: mlflow.runId, flavors: mlflow.flavors, createdAt: mlflow.createdAt, signature: mlflow.signatureInputs }),
  });

  const sinks = config.testRun
    ? undefined
    : {
        predictions: new PredictionWriter(clients.kinesis, config.predictionsStreamName, options.retryPolicy, options.clock),
        deadLetters: new DeadLetterQueue(clients.sqs, config.deadLetterQueueUrl!, options.retryPolicy, options.clock),
      };
  return {
    async handle(event) {
      const first = event.Records[0];
      const batchKeys = {
        records: event.Records.length,
        eventSourceARN: first?.eventSourceARN,
        firstSequenceNumber: first?.kinesis.sequenceNumber,
      };
      logger.appendKeys(batchKeys);
      try {
        return await processBatch(event, { model, version: config.model.version, sinks });
      } finally {
        metrics.publishStoredMetrics();
        logger.removeKeys(Object.keys(batchKeys));
      }
    },
  };
}
