import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { parseConfig } from './config';
import type { BatchResult } from './process-batch';
import { type PredictionService, startPredictionService } from './service';
import { logger, metrics } from './telemetry';

/** The container's one piece of state: the started service (its clients and model). */
let service: Promise<PredictionService> | undefined;

function startOnce(): Promise<PredictionService> {
  service ??= (async () => startPredictionService(parseConfig(process.env)))().catch((error: unknown) => {
    // Forget the failure so the next invocation tries again (a transient S3 error, say).
    service = undefined;
    logger.error('cannot start', error as Error);
    throw error;
  });
  return service;
}

/**
 * The Lambda entry point for the Kinesis event source mapping: loads the configuration and
 * the model once per container, then predicts each batch. The context's remaining time
 * bounds the delivery retries.
 *
 * @example
 * ```typescript
 * import { handler } from '../lambda/src';
 *
 * // lambda/Dockerfile: CMD ["index.handler"]; locally: npm run invoke -- events/ride.json
 * const result = await handler(kinesisEvent, context);
 * // { predictions: [...], batchItemFailures: [{ itemIdentifier: '<sequence number>' }] }
 * ```
 */
export async function handler(event: KinesisStreamEvent, context: Context): Promise<BatchResult> {
  logger.addContext(context);
  metrics.captureColdStartMetric();
  return (await startOnce()).handle(event, context);
}
