import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DRIFT_DEFAULTS, DRIFT_DIMENSIONS, METRIC_NAMES, METRICS_NAMESPACE } from '../../lambda/src/names';
import { defaultKeyProps, defaultTopicProps } from '../secure-defaults';
import type { StageNames } from '../stage-names';

export interface OperationsProps {
  /** The alarms', topic's and dashboard's names, and the service name the handler's metrics carry. */
  readonly names: Pick<StageNames, 'alarm' | 'alarmTopic' | 'dashboard' | 'service'>;
  readonly function: IFunction;
  /** The function's timeout: its Duration alarm fires on batches that come close to it. */
  readonly timeout: Duration;
  readonly input: IStream;
  readonly output: IStream;
  readonly deadLetters: IQueue;
  readonly failedBatches: IQueue;
  /**
   * Where the alarms go: an existing topic (its policy must let CloudWatch publish).
   * @default - a new topic, encrypted with a key of its own
   */
  readonly alarmTopic?: ITopic;
  /**
   * An address to subscribe to the new topic.
   * @default - none
   */
  readonly alarmEmail?: string;
  /**
   * What `cdk destroy` does with the new topic's key.
   * @default RemovalPolicy.RETAIN
   */
  readonly keyRemovalPolicy?: RemovalPolicy;
  /**
   * The Drift alarms' thresholds.
   * @default - PSI 0.2, Jensen-Shannon distance 0.1 (DRIFT_DEFAULTS)
   */
  readonly drift?: { psiThreshold: number; jsThreshold: number };
}

const MINUTE = Duration.minutes(1);
/** A drift window closes at most this long after it opened: the Drift alarms look at one such period. */
const DRIFT_PERIOD = Duration.seconds(DRIFT_DEFAULTS.windowSeconds);
/** The Duration alarm's threshold, as a share of the timeout. */
const NEAR_TIMEOUT = 0.8;

/**
 * Alarms on what needs a person, to an SNS topic that CloudWatch may publish to, and a
 * dashboard of the flow.
 *
 * @example
 * ```typescript
 * import { Duration } from 'aws-cdk-lib';
 * import { Operations } from './constructs/operations';
 * import { stageNames } from './stage-names';
 *
 * new Operations(this, 'Operations', {
 *   names: stageNames('stg', { packaging: 'image', startingPosition: 'TRIM_HORIZON' }),
 *   function: fn, timeout: Duration.seconds(60),
 *   input, output, deadLetters, failedBatches,
 *   alarmEmail: 'oncall@example.com',
 * });
 * ```
 */
export class Operations extends Construct {
  readonly topic: ITopic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { names } = props;
    let ownTopic: Topic | undefined;
    if (props.alarmTopic !== undefined) this.topic = props.alarmTopic;
    else this.topic = ownTopic = this.alarmTopic(props);

    const fn = props.function;
    const sum = { statistic: 'Sum', period: MINUTE };
    const alarm = (name: string, metric: IMetric, threshold: number, evaluationPeriods: number, description: string) => {
      const created = new Alarm(this, name, {
        alarmName: names.alarm(name),
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
    const app = (metricName: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: names.service }, ...sum });

    alarm(
      'IteratorAge',
      fn.metric('IteratorAge', { statistic: 'Maximum', period: MINUTE }),
      60_000,
      5,
      'The function is more than a minute behind the input stream for 5 minutes.',
    );
    alarm(
      'Errors',
      fn.metricErrors(sum),
      0,
      3,
      'Invocations fail (start-up or a bug): batches are retried, then sent to the failed-batches queue.',
    );
    alarm('Throttles', fn.metricThrottles(sum), 0, 5, 'The function is throttled: raise reserved concurrency or the account limit.');
    alarm(
      'Duration',
      fn.metricDuration({ statistic: 'Maximum', period: MINUTE }),
      Math.floor(props.timeout.toMilliseconds() * NEAR_TIMEOUT),
      3,
      `Batches take more than ${NEAR_TIMEOUT * 100}% of the function's ${props.timeout.toSeconds()} s timeout for 3 minutes: a slow model load or slow writes; raise timeoutSeconds or memorySize, or lower batchSize.`,
    );
    alarm(
      'Undelivered',
      app(METRIC_NAMES.undelivered),
      0,
      3,
      "Predictions or dead letters could not be written after retries for 3 minutes: Kinesis replays their records; see the function's logs for the error.",
    );
    alarm(
      'DeadLettersLost',
      app(METRIC_NAMES.deadLettersLost),
      0,
      1,
      'SQS refused dead letters even without their data: their records are acknowledged and only the function\'s ERROR log keeps them; look for "dead letter refused by SQS".',
    );
    alarm(
      'TestRunRecords',
      app(METRIC_NAMES.testRunRecords),
      0,
      1,
      'TEST_RUN is on in the deployed function: records are acknowledged and nothing is written. Unset TEST_RUN.',
    );
    alarm(
      'InputReadThrottled',
      props.input.metricReadProvisionedThroughputExceeded(sum),
      0,
      5,
      'Reads of the ride events stream are throttled: too many consumers or too high a parallelizationFactor for its shards.',
    );
    alarm(
      'InputWriteThrottled',
      props.input.metricWriteProvisionedThroughputExceeded(sum),
      0,
      5,
      'Producers are throttled writing ride events: add shards or switch the stream to on-demand.',
    );
    alarm(
      'OutputThrottled',
      props.output.metricPutRecordsThrottledRecords(sum),
      0,
      5,
      'Writes to the predictions stream are throttled: add shards or switch it to on-demand.',
    );
    alarm(
      'DeadLetters',
      props.deadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: MINUTE }),
      0,
      1,
      'Bad ride records arrived: each message says why; fix the producer, then redrive or delete.',
    );
    alarm(
      'FailedBatches',
      props.failedBatches.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: MINUTE }),
      0,
      1,
      'Batches were given up on after retries: each message names the shard and sequence range to replay.',
    );

    const drift = props.drift ?? DRIFT_DEFAULTS;
    const driftOf = (kind: 'numeric' | 'categorical' | 'prediction') =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC_NAMES.drift,
        dimensionsMap: { service: names.service, [DRIFT_DIMENSIONS.kind]: kind },
        statistic: 'Maximum',
        period: DRIFT_PERIOD,
      });
    alarm(
      'FeatureDrift',
      driftOf('numeric'),
      drift.psiThreshold,
      1,
      `A numeric feature of the rides has drifted from the model's reference profile: PSI above ${drift.psiThreshold} in a window; the "drift window closed" log line says which feature and how.`,
    );
    alarm(
      'CategoricalDrift',
      driftOf('categorical'),
      drift.jsThreshold,
      1,
      `A categorical feature of the rides (the zones) has drifted from the model's reference profile: Jensen-Shannon distance above ${drift.jsThreshold} in a window; see the "drift window closed" log line.`,
    );
    alarm(
      'PredictionDrift',
      driftOf('prediction'),
      drift.psiThreshold,
      1,
      `The model's predictions have drifted from those on its training rides: PSI above ${drift.psiThreshold} in a window; time to look at the model (retrain?).`,
    );

    if (ownTopic)
      this.allowAlarmsToPublish(
        ownTopic,
        this.alarms.map((a) => names.alarm(a.node.id)),
      );

    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: names.dashboard });
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Records',
        left: [app(METRIC_NAMES.recordsIn), app(METRIC_NAMES.predictions), app(METRIC_NAMES.rejected), app(METRIC_NAMES.undelivered)],
      }),
      new GraphWidget({ title: 'Iterator age (ms)', left: [fn.metric('IteratorAge', { statistic: 'Maximum', period: MINUTE })] }),
      new GraphWidget({ title: 'Duration (ms)', left: [fn.metricDuration({ statistic: 'p50' }), fn.metricDuration({ statistic: 'p99' })] }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Errors and throttles',
        left: [fn.metricErrors(sum), fn.metricThrottles(sum), props.output.metricPutRecordsThrottledRecords(sum)],
      }),
      new GraphWidget({
        title: 'Input stream throttling',
        left: [props.input.metricReadProvisionedThroughputExceeded(sum), props.input.metricWriteProvisionedThroughputExceeded(sum)],
      }),
      new GraphWidget({ title: 'Delivery retries', left: [app(METRIC_NAMES.deliveryRetries)] }),
      new GraphWidget({
        title: 'Never expected',
        left: [app(METRIC_NAMES.deadLettersLost), app(METRIC_NAMES.testRunRecords)],
      }),
      new GraphWidget({
        title: 'Queues (messages)',
        left: [
          props.deadLetters.metricApproximateNumberOfMessagesVisible(),
          props.failedBatches.metricApproximateNumberOfMessagesVisible(),
        ],
      }),
    );
    const prediction = (statistic: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC_NAMES.prediction,
        dimensionsMap: { service: names.service },
        statistic,
        period: DRIFT_PERIOD,
      });
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Drift by feature (PSI; Jensen-Shannon distance for categories)',
        left: [
          new MathExpression({
            expression: `SEARCH('{${METRICS_NAMESPACE},${DRIFT_DIMENSIONS.feature},service} MetricName="${METRIC_NAMES.drift}" service="${names.service}"', 'Maximum', ${DRIFT_PERIOD.toSeconds()})`,
            label: '',
            period: DRIFT_PERIOD,
          }),
        ],
        leftAnnotations: [
          { value: drift.psiThreshold, label: `PSI alarm (${drift.psiThreshold})` },
          { value: drift.jsThreshold, label: `Jensen-Shannon alarm (${drift.jsThreshold})` },
        ],
      }),
      new GraphWidget({
        title: 'Predictions (minutes): percentiles of the drift windows',
        left: [
          prediction('p10'),
          prediction('p50'),
          prediction('p90'),
          prediction('p99'),
          new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: METRIC_NAMES.predictionMean,
            dimensionsMap: { service: names.service },
            statistic: 'Average',
            period: DRIFT_PERIOD,
          }),
        ],
      }),
      new GraphWidget({ title: 'Rides per drift window', left: [app(METRIC_NAMES.driftWindowRides)] }),
    );
  }

  /** A topic of the stack's own, under a key CloudWatch may use (it cannot use the AWS-managed SNS key). */
  private alarmTopic(props: OperationsProps): Topic {
    const key = new Key(this, 'AlarmTopicKey', {
      ...defaultKeyProps,
      description: `${props.names.alarmTopic}: the alarm topic's key`,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // What publishing to an encrypted topic takes, for this account's alarms only.
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const topic = new Topic(this, 'Alarms', { ...defaultTopicProps, topicName: props.names.alarmTopic, masterKey: key });
    if (props.alarmEmail) topic.addSubscription(new EmailSubscription(props.alarmEmail));
    return topic;
  }

  /**
   * The topic's policy (enforceSSL makes one, which replaces SNS's default) allows nobody to
   * publish: let CloudWatch publish for this stack's alarms, and only those.
   */
  private allowAlarmsToPublish(topic: Topic, alarmNames: string[]): void {
    const stack = Stack.of(this);
    const alarmArns = alarmNames.map((name) =>
      stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    );
    topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': alarmArns } },
      }),
    );
  }
}
