/**
 * The batch's two sinks, wired: the prediction writer (Kinesis) and the dead-letter queue
 * (SQS, with S3 for letters too large for it). The service imports this module on its own,
 * while the model loads: it is where the Kinesis and SQS SDKs come in.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { createDeliveryClients, type DeliveryClients } from '../clients/delivery-clients';
import type { ClientSettings } from '../clients/settings';
import type { RetryClock, RetryPolicy } from './batch-delivery';
import { DeadLetterOffload } from './dead-letter-offload';
import { DeadLetterQueue } from './dead-letter-queue';
import { PredictionWriter } from './prediction-writer';
import type { Sinks } from './sinks';

export interface SinkSettings extends ClientSettings {
  predictionsStreamName: string;
  deadLetterQueueUrl: string;
  deadLetterBucket?: string;
}

export interface SinkOptions {
  /** Made from the settings when absent. */
  clients?: DeliveryClients;
  /** For dead letters too large for SQS, with a DEAD_LETTER_BUCKET. */
  s3: S3Client;
  policy?: RetryPolicy;
  clock?: RetryClock;
}

export function createSinks(settings: SinkSettings, { clients = createDeliveryClients(settings), s3, policy, clock }: SinkOptions): Sinks {
  const bucket = settings.deadLetterBucket;
  return {
    predictions: new PredictionWriter({ kinesis: clients.kinesis, streamName: settings.predictionsStreamName, policy, clock }),
    deadLetters: new DeadLetterQueue({
      sqs: clients.sqs,
      queueUrl: settings.deadLetterQueueUrl,
      offload: bucket === undefined ? undefined : new DeadLetterOffload({ s3, bucket, clock }),
      policy,
      clock,
    }),
  };
}
