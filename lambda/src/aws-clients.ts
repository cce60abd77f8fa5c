import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Config } from './config';

export interface AwsClients {
  kinesis: KinesisClient;
  s3: S3Client;
  sqs: SQSClient;
}

/** The SDK clients, made once per container; *_ENDPOINT_URL points them at local emulators. */
export function createClients({ region, endpoints }: Pick<Config, 'region' | 'endpoints'>): AwsClients {
  return {
    // The Kinesis client speaks HTTP/2 by default, which local emulators (kinesalite) do not.
    kinesis: new KinesisClient({
      region,
      ...(endpoints.kinesis && { endpoint: endpoints.kinesis, requestHandler: new NodeHttpHandler() }),
    }),
    // Local S3 servers (s3rver) need path-style URLs and no checksums they do not know.
    s3: new S3Client({
      region,
      ...(endpoints.s3 && {
        endpoint: endpoints.s3,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    }),
    sqs: new SQSClient({ region, ...(endpoints.sqs && { endpoint: endpoints.sqs }) }),
  };
}
