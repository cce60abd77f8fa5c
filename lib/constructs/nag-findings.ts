import { Stack } from 'aws-cdk-lib';
import type { CfnBucket, IBucket } from 'aws-cdk-lib/aws-s3';

/**
 * cdk-nag's id for the IAM5 (wildcard) finding on a bucket's objects under `key`, to
 * acknowledge it. cdk-nag names the resource as it appears in the template: a reference to a
 * bucket of this stack, the ARN of an imported one.
 */
export function bucketObjectsWildcardFinding(bucket: IBucket, key: string): string {
  const cfn = bucket.node.defaultChild as CfnBucket | undefined;
  const arn = cfn ? `<${Stack.of(bucket).getLogicalId(cfn)}.Arn>` : `arn:<AWS::Partition>:s3:::${bucket.bucketName}`;
  return `AwsSolutions::AwsSolutions-IAM5[Resource::${arn}/${key}]`;
}
