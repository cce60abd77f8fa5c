import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface EncryptedQueueProps {
  queueName: string;
  /** What ends in this queue, for the nag suppression that says why it has no queue of its own. */
  holds: string;
}

/**
 * A queue where records end when they cannot be processed: encrypted, SSL only, and kept
 * for SQS's maximum of 14 days so that there is time to inspect and redrive them.
 */
export class EncryptedQueue extends Construct {
  readonly queue: Queue;

  constructor(scope: Construct, id: string, props: EncryptedQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      queueName: props.queueName,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.queue).acknowledge({ id: 'AwsSolutions::AwsSolutions-SQS3', reason: `This queue is itself the last stop: it holds ${props.holds}.` });
  }
}
