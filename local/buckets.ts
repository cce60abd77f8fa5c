/** Local S3: putting a model directory where MLflow would. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Uploads every file of a local model directory under an S3 prefix, as MLflow would. */
export async function uploadDirectory(s3: S3Client, directory: string, bucket: string, prefix: string): Promise<void> {
  for (const name of await readdir(directory)) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${name}`, Body: await readFile(join(directory, name)) }));
  }
}
