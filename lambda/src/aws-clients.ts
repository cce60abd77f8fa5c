import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Endpoints } from './config';

export interface AwsClients {
  kinesis: KinesisClient;
  s3: S3Client;
  sqs: SQSClient;
}

export interface ClientSettings {
  /** Unset: the SDK finds the region (AWS_REGION, the profile, instance metadata). */
  region?: string;
  endpoints: Endpoints;
}

/**
 * The SDK clients, made once per container; *_ENDPOINT_URL points them at local emulators.
 *
 * The delivery clients (Kinesis, SQS) make one attempt per call: the writers own the retries
 * (delivery/batch-delivery.ts), with a deadline and a metric, and the SDK's own retries would
 * stack under theirs unseen. S3 keeps the SDK's retries: it reads the model at start, and
 * puts the odd oversize dead letter.
 */
export function createClients({ region, endpoints }: ClientSettings): AwsClients {
  return {
    // The Kinesis client speaks HTTP/2 by default, which local emulators (kinesalite) do not.
    kinesis: new KinesisClient({
      region,
      maxAttempts: 1,
      ...(endpoints.kinesis && { endpoint: endpoints.kinesis, requestHandler: new NodeHttpHandler() }),
    }),
    s3: new S3Client({
      region,
      // A model bucket in another region than the function's is followed, not refused.
      followRegionRedirects: true,
      // Local S3 servers (s3rver) need path-style URLs and no checksums they do not know.
      ...(endpoints.s3 && {
        endpoint: endpoints.s3,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    }),
    sqs: new SQSClient({ region, maxAttempts: 1, ...(endpoints.sqs && { endpoint: endpoints.sqs }) }),
  };
}
