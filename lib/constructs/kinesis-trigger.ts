import { Duration, Names } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { type EventSourceMapping, type Function as LambdaFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DEFAULTS, type StartingPosition as StartingPositionName } from '../stack-settings';

/** What Lambda's poller calls on the stream for a standard (not enhanced fan-out) consumer. */
const READ_ACTIONS = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
];

export interface KinesisTriggerProps {
  readonly stream: IStream;
  /** Where the shard and sequence range of a batch given up on goes (Lambda's on-failure destination). */
  readonly failedBatches: IQueue;
  /** @default 500 */
  readonly batchSize?: number;
  /** @default Duration.seconds(1) */
  readonly maxBatchingWindow?: Duration;
  /** @default 1 */
  readonly parallelizationFactor?: number;
  /** Applies when the mapping is created. @default 'TRIM_HORIZON' */
  readonly startingPosition?: StartingPositionName;
  /** @default 10 */
  readonly retryAttempts?: number;
  /** @default Duration.hours(6) */
  readonly maxRecordAge?: Duration;
}

/**
 * The event source mapping from a Kinesis stream to the function, as the handler's contract
 * needs it: batch item failures reported, a failing batch bisected, retries and record age
 * bounded, then the batch's range sent to a queue and the shard moving on. The function's role
 * may read the stream and send to that queue, and nothing more.
 *
 * @example
 * ```typescript
 * import { addKinesisTrigger } from './constructs/kinesis-trigger';
 *
 * addKinesisTrigger(fn, { stream: input, failedBatches, startingPosition: 'LATEST' });
 * ```
 */
export function addKinesisTrigger(fn: LambdaFunction, props: KinesisTriggerProps): EventSourceMapping {
  const { role } = fn;
  if (role === undefined) throw new Error(`${fn.node.path} has no role to grant the stream's reads to`);
  role.addToPrincipalPolicy(new PolicyStatement({ actions: READ_ACTIONS, resources: [props.stream.streamArn] }));
  // Lambda sends the record of a batch given up on with the function's role: SendMessage only.
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.failedBatches.queueArn] }));

  // Under the function, with the id KinesisEventSource gave it: a stage deployed before keeps
  // its mapping (and its place in the stream). A mapping under a new logical id would be
  // created before the old one is deleted, and Lambda allows one per stream and function.
  const mapping = fn.addEventSourceMapping(`KinesisEventSource:${Names.nodeUniqueId(props.stream.node)}`, {
    eventSourceArn: props.stream.streamArn,
    batchSize: props.batchSize ?? DEFAULTS.batchSize,
    maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(DEFAULTS.batchingWindowSeconds),
    parallelizationFactor: props.parallelizationFactor ?? DEFAULTS.parallelizationFactor,
    startingPosition: StartingPosition[props.startingPosition ?? DEFAULTS.startingPosition],
    reportBatchItemFailures: true,
    bisectBatchOnError: true,
    retryAttempts: props.retryAttempts ?? DEFAULTS.retryAttempts,
    maxRecordAge: props.maxRecordAge ?? Duration.seconds(DEFAULTS.maxRecordAgeSeconds),
    onFailure: { bind: () => ({ destination: props.failedBatches.queueArn }) },
  });
  // Lambda checks the role's read access when it creates the mapping.
  mapping.node.addDependency(role);
  return mapping;
}
