import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import type { StackSettings } from '../stack-settings';

/**
 * Where the served model lives: the team's MLflow artifacts bucket, or a new private bucket
 * (the stack's outputs say how to upload the demo model or an export into it).
 */
export class ModelStore extends Construct {
  readonly bucket: IBucket;
  /** The MLflow layout: {experiment}/{run}/artifacts/model/ */
  readonly prefix: string;

  constructor(scope: Construct, id: string, model: StackSettings['model']) {
    super(scope, id);
    this.prefix = `${model.experimentId}/${model.runId}/artifacts/model/`;
    if (model.bucketName !== undefined) {
      this.bucket = Bucket.fromBucketName(this, 'Bucket', model.bucketName);
      return;
    }
    const bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      // Models are the team's work: kept when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'Holds model artifacts only, read by one function; CloudTrail data events are the audit trail if one is wanted.',
    });
    this.bucket = bucket;
  }

  /** Read access to the served model's prefix, and nothing else in the bucket. */
  grantReadModel(grantee: IGrantable & IConstruct): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(`${this.prefix}*`)] }),
    );
    // cdk-nag names the finding by the resource as it appears in the template.
    const bucketArn = this.bucket.node.defaultChild
      ? `<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>`
      : `arn:<AWS::Partition>:s3:::${this.bucket.bucketName}`;
    Validations.of(grantee).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${bucketArn}/${this.prefix}*]`,
      reason: "Objects under the served model's prefix only: the files of one MLflow model directory.",
    });
    // Listing lets a missing file read as "not found" (with advice) instead of "access denied".
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${this.prefix}*`] } },
      }),
    );
  }
}
