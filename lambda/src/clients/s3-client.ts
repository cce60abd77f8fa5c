import { S3Client } from '@aws-sdk/client-s3';
import type { ClientSettings } from './settings';

/**
 * The S3 client that reads the model at start, and puts whole the odd dead letter SQS cannot
 * take (delivery/dead-letter-offload.ts). It keeps the SDK's own retries: a cold start should
 * survive a transient error.
 */
export function createS3Client({ region, endpoints }: ClientSettings): S3Client {
  return new S3Client({
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
  });
}
