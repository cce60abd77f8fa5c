import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, type IMetric, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Stream } from 'aws-cdk-lib/aws-kinesis';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_NAMES, METRICS_NAMESPACE } from '../../lambda/src/names';

export interface OperationsProps {
  stage: string;
  function: IFunction;
  input: Stream;
  output: Stream;
  deadLetters: Queue;
  failedBatches: Queue;
  serviceName: string;
  alarmEmail?: string;
}

const MINUTE = Duration.minutes(1);

/** Alarms on what needs a person (to an SNS topic), and a dashboard of the flow. */
export class Operations extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    // CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key: it needs its own.
    const key = new Key(this, 'AlarmTopicKey', { description: `ride-duration ${props.stage} alarm topic`, enableKeyRotation: true });
    key.grantEncryptDecrypt(new ServicePrincipal('cloudwatch.amazonaws.com'));
    this.topic = new Topic(this, 'Alarms', { topicName: `ride-duration-alarms-${props.stage}`, masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const fn = props.function;
    const sum = { statistic: 'Sum', period: MINUTE };
    const alarm = (name: string, metric: IMetric, threshold: number, evaluationPeriods: number, description: string) => {
      const created = new Alarm(this, name, {
        alarmName: `ride-duration-${props.stage}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      this.alarms.push(created);
    };
    alarm('IteratorAge', fn.metric('IteratorAge', { statistic: 'Maximum', period: MINUTE }), 60_000, 5,
      'The function is more than a minute behind the input stream for 5 minutes.');
    alarm('Errors', fn.metricErrors(sum), 0, 3, 'Invocations fail (start-up or a bug): batches are retried, then sent to the failed-batches queue.');
    alarm('Throttles', fn.metricThrottles(sum), 0, 5, 'The function is throttled: raise reserved concurrency or the account limit.');
    alarm('OutputThrottled', props.output.metricPutRecordsThrottledRecords(sum), 0, 5,
      'Writes to the predictions stream are throttled: add shards or switch it to on-demand.');
    alarm('DeadLetters', props.deadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: MINUTE }), 0, 1,
      'Bad ride records arrived: each message says why; fix the producer, then redrive or delete.');
    alarm('FailedBatches', props.failedBatches.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: MINUTE }), 0, 1,
      'Batches were given up on after retries: each message names the shard and sequence range to replay.');

    const app = (metricName: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: props.serviceName }, ...sum });
    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `ride-duration-${props.stage}` });
    dashboard.addWidgets(
      new GraphWidget({ title: 'Records', left: [app(METRIC_NAMES.recordsIn), app(METRIC_NAMES.predictions), app(METRIC_NAMES.rejected), app(METRIC_NAMES.undelivered)] }),
      new GraphWidget({ title: 'Iterator age (ms)', left: [fn.metric('IteratorAge', { statistic: 'Maximum', period: MINUTE })] }),
      new GraphWidget({ title: 'Duration (ms)', left: [fn.metricDuration({ statistic: 'p50' }), fn.metricDuration({ statistic: 'p99' })] }),
    );
    dashboard.addWidgets(
      new GraphWidget({ title: 'Errors and throttles', left: [fn.metricErrors(sum), fn.metricThrottles(sum), props.output.metricPutRecordsThrottledRecords(sum)] }),
      new GraphWidget({ title: 'Delivery retries', left: [app(METRIC_NAMES.deliveryRetries)] }),
      new GraphWidget({
        title: 'Queues (messages)',
        left: [props.deadLetters.metricApproximateNumberOfMessagesVisible(), props.failedBatches.metricApproximateNumberOfMessagesVisible()],
      }),
    );
  }
}
