import type { S3Client } from '@aws-sdk/client-s3';
import { createDeliveryClients, type DeliveryClients } from './clients/delivery-clients';
import { createS3Client } from './clients/s3-client';
import type { ClientSettings } from './clients/settings';

export type { ClientSettings } from './clients/settings';

export interface AwsClients extends DeliveryClients {
  s3: S3Client;
}

/**
 * All three SDK clients at once, for local tools and tests; *_ENDPOINT_URL points them at
 * local emulators. The function itself makes the S3 client first and the delivery clients
 * while the model loads (service.ts), so that a cold start does not wait for their SDKs.
 */
export function createClients(settings: ClientSettings): AwsClients {
  return { s3: createS3Client(settings), ...createDeliveryClients(settings) };
}
