import { Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { DEAD_LETTER_PREFIX } from '../../lambda/src/names';
import { defaultDeadLetterBucketProps } from '../secure-defaults';
import { bucketObjectsWildcardFinding } from './nag-findings';

/**
 * Where a dead letter too large for an SQS message keeps its whole record (the SQS
 * extended-client pattern): the message carries a pointer to `s3://<bucket>/dead-letters/...`.
 * The bucket has the secure dead-letter defaults: private, encrypted, objects kept 14 days,
 * the bucket kept after `cdk destroy`.
 *
 * @example
 * ```typescript
 * import { DeadLetterData } from './constructs/dead-letter-data';
 *
 * const data = new DeadLetterData(this, 'DeadLetterData');
 * data.grantPutLetters(role); // and DEAD_LETTER_BUCKET: data.bucket.bucketName for the function
 * ```
 */
export class DeadLetterData extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', defaultDeadLetterBucketProps);
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        'Holds the records of dead letters too large for SQS, written by one function, expiring in 14 days; CloudTrail data events are the audit trail if one is wanted.',
    });
  }

  /** Writing dead letters under their prefix, and nothing else. */
  grantPutLetters(grantee: IGrantable & IConstruct): void {
    const key = `${DEAD_LETTER_PREFIX}*`;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(key)] }),
    );
    Validations.of(grantee).acknowledge({
      id: bucketObjectsWildcardFinding(this.bucket, key),
      reason: 'One object per dead letter, named by its stream, shard and sequence number, under the dead-letters/ prefix only.',
    });
  }
}
