import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ClientSettings } from './settings';

export interface DeliveryClients {
  kinesis: KinesisClient;
  sqs: SQSClient;
}

/**
 * The clients that deliver predictions and dead letters. They make one attempt per call:
 * the writers own the retries (delivery/batch-delivery.ts), with a deadline and a metric, and
 * the SDK's own retries would stack under theirs unseen.
 */
export function createDeliveryClients({ region, endpoints }: ClientSettings): DeliveryClients {
  return {
    // The Kinesis client speaks HTTP/2 by default, which local emulators (kinesalite) do not.
    kinesis: new KinesisClient({
      region,
      maxAttempts: 1,
      ...(endpoints.kinesis && { endpoint: endpoints.kinesis, requestHandler: new NodeHttpHandler() }),
    }),
    sqs: new SQSClient({ region, maxAttempts: 1, ...(endpoints.sqs && { endpoint: endpoints.sqs }) }),
  };
}
