/** The function's SDK clients: one owner of delivery retries, and S3 that follows a bucket to its region. */
import { describe, expect, it } from 'vitest';
import { createClients } from '../../lambda/src/aws-clients';

describe('createClients', () => {
  const clients = createClients({ region: 'eu-west-1', endpoints: {} });

  it('makes one attempt per delivery call: the writers own the retries', async () => {
    expect(await clients.kinesis.config.maxAttempts()).toBe(1);
    expect(await clients.sqs.config.maxAttempts()).toBe(1);
  });

  it("keeps the SDK's retries for S3, and follows a bucket in another region", async () => {
    expect(await clients.s3.config.maxAttempts()).toBeGreaterThan(1);
    expect(clients.s3.config.followRegionRedirects).toBe(true);
  });

  it('leaves the region to the SDK when none is configured', async () => {
    const previous = process.env.AWS_REGION;
    process.env.AWS_REGION = 'ap-southeast-2';
    try {
      const found = createClients({ endpoints: {} });
      expect(await found.kinesis.config.region()).toBe('ap-southeast-2');
      expect(await found.s3.config.region()).toBe('ap-southeast-2');
    } finally {
      process.env.AWS_REGION = previous;
    }
  });
});
