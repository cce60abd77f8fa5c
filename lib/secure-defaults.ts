/**
 * Secure defaults for the stack's resources, kept apart from the constructs that apply them
 * (as AWS Solutions Constructs keep theirs): a construct spreads these first and adds only
 * what is its own (names, sizes), so a default is changed here once for every resource.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { StreamEncryption, type StreamProps } from 'aws-cdk-lib/aws-kinesis';
import type { KeyProps } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, BucketEncryption, type BucketProps, StorageClass } from 'aws-cdk-lib/aws-s3';
import type { TopicProps } from 'aws-cdk-lib/aws-sns';
import { QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';

/** KMS with the aws/kinesis key: encrypted at rest, and no key grants for producers or consumers. */
export const defaultStreamProps: StreamProps = {
  encryption: StreamEncryption.MANAGED,
};

/** Encrypted, SSL only, and kept for SQS's maximum of 14 days: time to inspect and redrive. */
export const defaultQueueProps: QueueProps = {
  encryption: QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
  retentionPeriod: Duration.days(14),
};

/** Private, encrypted, SSL only, versioned; models are the team's work, so the bucket outlives the stack. */
export const defaultModelBucketProps: BucketProps = {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  encryption: BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  versioned: true,
  removalPolicy: RemovalPolicy.RETAIN,
};

/**
 * Private, encrypted, SSL only; it holds bad input, possibly sensitive, so its objects expire
 * as the dead-letter queue's messages do (14 days), and the bucket outlives the stack: a
 * bucket with objects cannot be deleted by CloudFormation, and it empties itself.
 */
export const defaultDeadLetterBucketProps: BucketProps = {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  encryption: BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  lifecycleRules: [{ expiration: Duration.days(14) }],
  removalPolicy: RemovalPolicy.RETAIN,
};

/**
 * Private, encrypted, SSL only; it holds every prediction, the team's record for monitoring
 * and retraining, so it is kept after `cdk destroy` (a bucket with objects cannot be deleted
 * by CloudFormation anyway). Objects move to Infrequent Access after 30 days.
 */
export const defaultArchiveBucketProps: BucketProps = {
  blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
  encryption: BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  lifecycleRules: [{ transitions: [{ storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) }] }],
  removalPolicy: RemovalPolicy.RETAIN,
};

/** SSL only; the key is the stack's own (CloudWatch cannot publish under the AWS-managed SNS key). */
export const defaultTopicProps: TopicProps = {
  enforceSSL: true,
};

/** A customer-managed key, rotated yearly; on destroy it waits the shortest window KMS allows. */
export const defaultKeyProps: KeyProps = {
  enableKeyRotation: true,
  pendingWindow: Duration.days(7),
};

/**
 * What `cdk destroy` does with a resource that holds data (streams, queues, logs, a key), as
 * the removalPolicy context says: `destroy` removes it, so that the stage can be deployed again
 * under the same names (every stage's default but prod's); `retain` keeps it.
 */
export function removalPolicyOf(removal: 'destroy' | 'retain'): RemovalPolicy {
  return removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}
