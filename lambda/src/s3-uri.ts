/*
 * S3 locations as the function, the CDK stack and local/ write them: `s3://<bucket>/<key>`,
 * and S3's rule for a bucket's name. No imports, so that lib/ uses the same rules as the
 * function without loading its code.
 */

/** An object, or a prefix of objects, in a bucket. */
export interface S3Uri {
  bucket: string;
  /** As written after the bucket: an object's key, a prefix, or `''` for the whole bucket. */
  key: string;
}

/**
 * `s3://bucket/key-or-prefix` into its bucket and key, or undefined when it is not one. The
 * key is kept as written (`s3://b//m/` is the key `/m/`); what a reader then refuses of it
 * (the stack: a key IAM cannot grant exactly) is that reader's.
 *
 * @example
 * ```typescript
 * parseS3Uri('s3://team-mlflow/4/models/m-1/artifacts/'); // { bucket: 'team-mlflow', key: '4/models/m-1/artifacts/' }
 * parseS3Uri('s3://team-mlflow'); // { bucket: 'team-mlflow', key: '' }
 * parseS3Uri('/opt/model'); // undefined
 * ```
 */
export function parseS3Uri(uri: string): S3Uri | undefined {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/s.exec(uri);
  return match === null ? undefined : { bucket: match[1], key: match[2] ?? '' };
}

/** S3's rule for a (general purpose) bucket name: 3 to 63 lowercase letters, digits, `.` and `-`, a letter or digit at each end, no `..`. */
export function isBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..');
}
