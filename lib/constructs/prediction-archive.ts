import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import {
  AppendDelimiterToRecordProcessor,
  Compression,
  DeliveryStream,
  KinesisStreamSource,
  S3Bucket,
} from 'aws-cdk-lib/aws-kinesisfirehose';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARCHIVE_LAYOUT } from '../../lambda/src/names';
import { defaultArchiveBucketProps } from '../secure-defaults';
import { bucketObjectsWildcardFinding } from './nag-findings';

export interface PredictionArchiveProps {
  /** The predictions stream, read by the delivery stream as a consumer of its own. */
  readonly stream: IStream;
  readonly deliveryStreamName: string;
}

/**
 * Every prediction kept: a Firehose delivery stream reads the output stream and writes its
 * events to a private, encrypted bucket as gzipped JSON lines (one event a line), partitioned
 * by date (`predictions/year=YYYY/month=MM/day=DD/`, UTC), which pandas, Athena or Spark read
 * as they are, for batch monitoring and retraining.
 *
 * @example
 * ```typescript
 * import { PredictionArchive } from './constructs/prediction-archive';
 *
 * const archive = new PredictionArchive(this, 'Archive', { stream: output, deliveryStreamName: 'ride-predictions-archive-stg' });
 * archive.bucket.bucketName; // aws s3 ls s3://<it>/predictions/ --recursive
 * ```
 */
export class PredictionArchive extends Construct {
  readonly bucket: Bucket;
  readonly deliveryStream: DeliveryStream;

  constructor(scope: Construct, id: string, props: PredictionArchiveProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', defaultArchiveBucketProps);
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'Written by one Firehose delivery stream only; CloudTrail data events are the audit trail if one is wanted.',
    });
    this.deliveryStream = new DeliveryStream(this, 'DeliveryStream', {
      deliveryStreamName: props.deliveryStreamName,
      source: new KinesisStreamSource(props.stream),
      destination: new S3Bucket(this.bucket, {
        dataOutputPrefix: ARCHIVE_LAYOUT.prefix,
        errorOutputPrefix: ARCHIVE_LAYOUT.errorPrefix,
        // Kinesis records are written back to back; a newline after each makes JSON lines.
        processors: [new AppendDelimiterToRecordProcessor()],
        compression: Compression.GZIP,
        bufferingInterval: Duration.minutes(5),
        bufferingSize: Size.mebibytes(64),
      }),
    });
    // The destination grants Firehose's role read and write on this bucket, as S3Bucket always does (aws-cdk-lib's grantReadWrite).
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
      Validations.of(this.deliveryStream).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`,
        reason: "aws-cdk-lib's S3 destination grants Firehose's own role read and write on the archive bucket, and on no other resource.",
      });
    }
    Validations.of(this.deliveryStream).acknowledge({
      id: bucketObjectsWildcardFinding(this.bucket, '*'),
      reason: 'Firehose writes objects under keys it names itself (date prefixes, its own object names) in the archive bucket only.',
    });
    // aws-cdk-lib's delivery stream adds a mapping of Firehose's CIDR blocks, read only by destinations in a VPC.
    Validations.of(Stack.of(this)).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason: "aws-cdk-lib's DeliveryStream adds Firehose's CIDR blocks as a mapping; an S3 destination does not read it.",
    });
    Validations.of(this.deliveryStream).acknowledge({
      id: 'AwsSolutions::AwsSolutions-KDF1',
      reason:
        'A delivery stream reading a Kinesis stream cannot have server-side encryption of its own (Firehose offers it for Direct PUT only); the source stream is encrypted with KMS and the bucket with S3-managed keys.',
    });
  }
}
