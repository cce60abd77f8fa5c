import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { defaultQueueProps } from '../secure-defaults';

export interface EncryptedQueueProps {
  readonly queueName: string;
  /** What ends in this queue, for the nag acknowledgement that says why it has no queue of its own. */
  readonly holds: string;
  /**
   * What `cdk destroy` does with the queue and the messages in it.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A queue where records end when they cannot be processed, with the secure queue defaults
 * (encrypted, SSL only, kept 14 days: time to inspect and redrive).
 *
 * @example
 * ```typescript
 * import { EncryptedQueue } from './constructs/encrypted-queue';
 *
 * const deadLetters = new EncryptedQueue(this, 'DeadLetters', {
 *   queueName: 'ride-dead-letters-stg',
 *   holds: 'ride records that can never be predicted, each with its reason',
 * }).queue;
 * ```
 */
export class EncryptedQueue extends Construct {
  readonly queue: Queue;

  constructor(scope: Construct, id: string, props: EncryptedQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      ...defaultQueueProps,
      queueName: props.queueName,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: `This queue is itself the last stop: it holds ${props.holds}.`,
    });
  }
}
