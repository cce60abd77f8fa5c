/** Local S3: putting a model directory where MLflow would, and finding the local stack's S3. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './environment';

/** Uploads every file of a local directory, its subdirectories included, under an S3 prefix, as MLflow logs artifacts. */
export async function uploadDirectory(s3: S3Client, directory: string, bucket: string, prefix: string): Promise<void> {
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) await uploadDirectory(s3, path, bucket, `${prefix}${entry.name}/`);
    else await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${entry.name}`, Body: await readFile(path) }));
  }
}

/**
 * Whether the local S3 (s3rver, with its own credentials) at `endpoint` answers and holds the
 * bucket: so that an s3:// URI of a local stack's bucket is read there, not from AWS.
 */
export async function localS3Holds(endpoint: string, bucket: string): Promise<boolean> {
  const s3 = new S3Client({
    region: LOCAL_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
    maxAttempts: 1,
    requestHandler: { requestTimeout: 2_000, connectionTimeout: 1_000 },
  });
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch {
    return false;
  } finally {
    s3.destroy();
  }
}
