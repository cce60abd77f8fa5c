import type { S3Client } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import type { AwsClients } from './aws-clients';
import { createS3Client } from './clients/s3-client';
import type { Config } from './config';
import { type RetryClock, type RetryPolicy, realClock } from './delivery/batch-delivery';
import { DEFAULT_TIMEOUT_MS, Deadline } from './delivery/deadline';
import type { Sinks } from './delivery/sinks';
import { describeLocation } from './model/model-source';
import { type BatchObserver, type DriftMonitor, loadReference, startDriftMonitor } from './monitoring';
import { METRIC_NAMES } from './names';
import { type BatchResult, processBatch } from './process-batch';
import { checkKinesisEvent } from './rides/kinesis-event';
import { RideValidator } from './rides/validate-ride';
import { loadServedModel, type ServedModel } from './served-model';
import { logger, MetricUnit, metrics } from './telemetry';

export interface PredictionService {
  /** The model it serves, as loaded and checked; `version` is every output event's. */
  readonly served: ServedModel & { readonly version: string };
  /** The drift monitor, when the model has a reference profile: its closed windows, for local tools. */
  readonly drift?: DriftMonitor;
  /**
   * Processes one batch. The context's remaining time is the deadline of delivery retries;
   * without one (local tools), a 60 s function timeout is assumed from the call.
   */
  handle(event: KinesisStreamEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<BatchResult>;
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
 *
 * @example
 * ```typescript
 * import { parseConfig, startPredictionService } from '../lambda/src';
 *
 * // Once per process, as the Lambda entry point does at cold start:
 * const service = await startPredictionService(parseConfig(process.env));
 * console.log(service.served.file.uri, service.served.version);
 *
 * // Then for each Kinesis batch:
 * const { predictions, batchItemFailures } = await service.handle(event, context);
 * ```
 */
export async function startPredictionService(config: Config, options: ServiceOptions = {}): Promise<PredictionService> {
  warnIfTestRunIsDeployed(config);
  const s3 = options.clients?.s3 ?? createS3Client(config);
  const started = performance.now();
  // The delivery SDKs load while S3 answers: a cold start waits for the model, not for them too.
  const [served, sinks, reference] = await Promise.all([
    loadServedModel(config.model, () => s3),
    config.testRun ? undefined : makeSinks(config, s3, options),
    loadReference(config.reference, () => s3),
  ]);
  const { model, mlmodel, version } = served;
  const loadMs = performance.now() - started;
  metrics.addMetric(METRIC_NAMES.modelLoadTime, MetricUnit.Milliseconds, loadMs);
  logger.info('model loaded', {
    location: describeLocation(config.model.location),
    file: served.file.uri,
    format: served.format,
    note: served.note,
    // Which file gave which part, and the features the model reads (decided from its own columns).
    parts: served.parts.map((part) => part.description),
    features: model.inputs.map(({ name, as }) => `${name} (${as})`),
    ...(model.notes.length > 0 && { notes: model.notes }),
    version,
    runId: config.model.runId,
    loadMs: Math.round(loadMs),
    ...model.summary(),
    ...(mlmodel && {
      mlflowRunId: mlmodel.runId,
      flavors: mlmodel.flavors,
      createdAt: mlmodel.createdAt,
      signature: mlmodel.signatureInputs,
    }),
  });

  // MODEL_LOCATION with RUN_ID as the label the user chose: allowed, but a label that is not the model's own run is said once.
  if (config.model.runId !== undefined && mlmodel?.runId !== undefined && mlmodel.runId !== config.model.runId) {
    logger.warn(
      `the predictions carry RUN_ID ${config.model.runId} as their version, but the MLmodel at ${served.location} is run ${mlmodel.runId}'s`,
    );
  }
  const drift = startDriftMonitor(reference, { model, mlflowRunId: mlmodel?.runId }, config.drift);
  const validator = new RideValidator(config.rideLimits);
  const clock = options.clock ?? realClock;
  return {
    served,
    drift,
    async handle(event, context) {
      checkKinesisEvent(event);
      const first = event.Records[0];
      const batchKeys = {
        records: event.Records.length,
        eventSourceARN: first?.eventSourceARN,
        firstSequenceNumber: first?.kinesis.sequenceNumber,
      };
      logger.appendKeys(batchKeys);
      try {
        const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : DEFAULT_TIMEOUT_MS;
        const deadline = Deadline.fromRemainingTime(remaining, clock.now());
        return await processBatch(event, { model, version, validator, sinks, drift: drift && inTime(drift, context) }, deadline);
      } finally {
        metrics.publishStoredMetrics();
        logger.removeKeys(Object.keys(batchKeys));
      }
    },
  };
}

/**
 * The monitor, observing only while the invocation is within its timeout: one that outlasted
 * it has failed for Lambda, which replays its batch (locally its work goes on; on Lambda it is
 * stopped), so what it did is not counted.
 */
function inTime(monitor: DriftMonitor, context?: Pick<Context, 'getRemainingTimeInMillis'>): BatchObserver {
  if (typeof context?.getRemainingTimeInMillis !== 'function') return monitor;
  return { observe: (...batch) => void (context.getRemainingTimeInMillis() > 0 && monitor.observe(...batch)) };
}

async function makeSinks(config: Config & { testRun: false }, s3: S3Client, options: ServiceOptions): Promise<Sinks> {
  const { createSinks } = await import('./delivery/create-sinks');
  return createSinks(config, { clients: options.clients, s3, policy: options.retryPolicy, clock: options.clock });
}

/**
 * A test run writes nothing and acknowledges every record: right for `npm run invoke`, a
 * silent loss in a deployed function. There it is said at start, at ERROR, and every batch
 * counts its records in the TestRunRecords metric (for an alarm).
 */
function warnIfTestRunIsDeployed(config: Config): void {
  if (config.testRun && config.functionName !== undefined) {
    logger.error(
      `TEST_RUN is on in the deployed function ${config.functionName}: no prediction and no dead letter is written, ` +
        'and every record is acknowledged. Unset TEST_RUN unless this is a deliberate dry run.',
    );
  }
}
