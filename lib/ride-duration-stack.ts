import { Annotations, CfnOutput, Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { COURSE_RIDE } from '../events/kinesis-event';
import { DEFAULT_SERVICE_NAME, DRIFT_DEFAULTS } from '../lambda/src/names';
import { DEMO_RUN_ID } from '../models/demo-model';
import { DeadLetterData } from './constructs/dead-letter-data';
import { EncryptedQueue } from './constructs/encrypted-queue';
import { addKinesisTrigger } from './constructs/kinesis-trigger';
import { ModelStore } from './constructs/model-store';
import { Operations } from './constructs/operations';
import { PredictionArchive } from './constructs/prediction-archive';
import { PredictionFunction } from './constructs/prediction-function';
import { defaultStreamProps, removalPolicyOf } from './secure-defaults';
import { PRODUCTION_STAGE, type StackSettings } from './stack-settings';
import { stageNames } from './stage-names';

export interface RideDurationStackProps extends StackProps {
  readonly settings: StackSettings;
  /**
   * The AWS endpoint the stack is deployed to when it is not AWS's own (an emulated account);
   * the ready-made commands of the outputs then pass it as `--endpoint-url`, which the AWS CLI
   * v2 before 2.13 needs (it does not read AWS_ENDPOINT_URL).
   */
  readonly endpointUrl?: string;
}

/** The tags every resource of a stage carries (cost allocation, ownership). */
export const STACK_TAGS = { stage: 'stage', service: 'service' } as const;

/**
 * ride_events -> event source mapping -> prediction function -> ride_predictions, with bad
 * records to a dead-letter queue, given-up batches to a failed-batches queue, and alarms.
 *
 * @example
 * ```typescript
 * import { App } from 'aws-cdk-lib';
 * import { RideDurationStack } from './ride-duration-stack';
 * import { readStackSettings } from './stack-settings';
 *
 * const app = new App({ context: { stage: 'stg' } });
 * new RideDurationStack(app, 'RideDuration-stg', { settings: readStackSettings(app.node) });
 * ```
 */
export class RideDurationStack extends Stack {
  constructor(scope: Construct, id: string, props: RideDurationStackProps) {
    const { settings } = props;
    // Production is protected from `cdk destroy` (and the console's delete) until this is turned off.
    super(scope, id, { terminationProtection: settings.stage === PRODUCTION_STAGE, ...props });
    const names = stageNames(settings.stage, { packaging: settings.packaging, startingPosition: settings.eventSource.startingPosition });
    const removalPolicy = removalPolicyOf(settings.removal);
    Tags.of(this).add(STACK_TAGS.stage, settings.stage);
    Tags.of(this).add(STACK_TAGS.service, DEFAULT_SERVICE_NAME);

    const stream = (id: string, streamName: string, capacity: number | 'on-demand') =>
      new Stream(this, id, {
        ...defaultStreamProps,
        streamName,
        retentionPeriod: Duration.hours(settings.streams.retentionHours),
        ...(capacity === 'on-demand' ? { streamMode: StreamMode.ON_DEMAND } : { streamMode: StreamMode.PROVISIONED, shardCount: capacity }),
        removalPolicy,
      });
    const input = stream('RideEvents', names.inputStream, settings.streams.inputCapacity);
    const output = stream('RidePredictions', names.outputStream, settings.streams.outputCapacity);

    const deadLetters = new EncryptedQueue(this, 'DeadLetters', {
      queueName: names.deadLetterQueue,
      holds: 'ride records that can never be predicted, each with its reason',
      removalPolicy,
    }).queue;
    const failedBatches = new EncryptedQueue(this, 'FailedBatches', {
      queueName: names.failedBatchQueue,
      holds: 'the shard and sequence range of batches given up on after retries',
      removalPolicy,
    }).queue;
    const model = new ModelStore(this, 'Model', { model: settings.model });
    const deadLetterData = new DeadLetterData(this, 'DeadLetterData');

    const timeout = Duration.seconds(settings.timeoutSeconds);
    const { function: fn, role } = new PredictionFunction(this, 'Prediction', {
      functionName: names.function,
      logGroupName: names.logGroup,
      environment: {
        ...model.environment,
        PREDICTIONS_STREAM_NAME: output.streamName,
        DEAD_LETTER_QUEUE_URL: deadLetters.queueUrl,
        DEAD_LETTER_BUCKET: deadLetterData.bucket.bucketName,
        POWERTOOLS_SERVICE_NAME: names.service,
        // The function's defaults are the alarms' unless the context changes them.
        ...(settings.drift.psiThreshold !== DRIFT_DEFAULTS.psiThreshold && { DRIFT_PSI_THRESHOLD: String(settings.drift.psiThreshold) }),
        ...(settings.drift.jsThreshold !== DRIFT_DEFAULTS.jsThreshold && { DRIFT_JS_THRESHOLD: String(settings.drift.jsThreshold) }),
        ...(settings.reference !== undefined && {
          REFERENCE_LOCATION: settings.reference === 'none' ? 'none' : `s3://${settings.reference.bucketName}/${settings.reference.key}`,
        }),
      },
      packaging: settings.packaging,
      architecture: settings.architecture,
      memorySize: settings.memorySize,
      timeout,
      reservedConcurrentExecutions: settings.reservedConcurrency,
      logRetention: settings.logRetention,
      logRemovalPolicy: removalPolicy,
      tracing: settings.tracing === 'active' ? Tracing.ACTIVE : Tracing.DISABLED,
    });
    // Exactly the calls the handler makes: PutRecords to the output stream, SendMessageBatch
    // (authorized as sqs:SendMessage) to the dead-letter queue, PutObject of dead letters too
    // large for SQS, and reading the model.
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['kinesis:PutRecords'], resources: [output.streamArn] }));
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [deadLetters.queueArn] }));
    deadLetterData.grantPutLetters(role);
    model.grantReadModel(role);
    if (settings.reference !== undefined && settings.reference !== 'none') {
      // The profile REFERENCE_LOCATION names, and nothing else of its bucket.
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [
            this.formatArn({
              service: 's3',
              region: '',
              account: '',
              resource: settings.reference.bucketName,
              resourceName: settings.reference.key,
            }),
          ],
        }),
      );
    }

    const source = settings.eventSource;
    addKinesisTrigger(fn, {
      stream: input,
      failedBatches,
      batchSize: source.batchSize,
      maxBatchingWindow: Duration.seconds(source.batchingWindowSeconds),
      parallelizationFactor: source.parallelizationFactor,
      startingPosition: source.startingPosition,
      retryAttempts: source.retryAttempts,
      maxRecordAge: Duration.seconds(source.maxRecordAgeSeconds),
    });

    const archive = settings.archive
      ? new PredictionArchive(this, 'Archive', { stream: output, deliveryStreamName: names.archiveDeliveryStream })
      : undefined;

    const { alarms } = settings;
    new Operations(this, 'Operations', {
      names,
      function: fn,
      timeout,
      input,
      output,
      deadLetters,
      failedBatches,
      alarmTopic: alarms.topicArn === undefined ? undefined : Topic.fromTopicArn(this, 'AlarmTopic', alarms.topicArn),
      alarmEmail: alarms.email,
      keyRemovalPolicy: removalPolicy,
      drift: settings.drift,
    });
    if (settings.stage === PRODUCTION_STAGE && alarms.email === undefined && alarms.topicArn === undefined) {
      Annotations.of(this).addWarningV2(
        'ride-duration:alarms-reach-nobody',
        `stage ${PRODUCTION_STAGE} has no alarm subscriber: its alarms go to a topic nobody reads. ` +
          "Deploy with -c alarmEmail=<address> or -c alarmTopicArn=<your team's SNS topic>.",
      );
    }

    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    const aws = props.endpointUrl === undefined ? 'aws' : `aws --endpoint-url ${props.endpointUrl}`;
    out('InputStreamName', input.streamName, 'Put ride events here');
    out('OutputStreamName', output.streamName, 'Prediction events arrive here');
    out('DeadLetterQueueUrl', deadLetters.queueUrl, 'Bad records, each with its reason');
    out(
      'DeadLetterBucketName',
      deadLetterData.bucket.bucketName,
      'Whole records of dead letters too large for SQS (dead-letters/, kept 14 days)',
    );
    out('FailedBatchQueueUrl', failedBatches.queueUrl, 'Batches given up on after retries');
    out('FunctionName', fn.functionName, 'The prediction function');
    if (archive) {
      out('ArchiveBucketName', archive.bucket.bucketName, 'Every prediction, as gzipped JSON lines under predictions/year=/month=/day=/');
      out(
        'ListArchiveCommand',
        `aws s3 ls --recursive s3://${archive.bucket.bucketName}/predictions/`,
        'List the archived predictions (Firehose writes every 5 minutes or 64 MB)',
      );
    }
    out('ModelLocation', model.uri, 'Where the served model is read from');
    // Only a bucket the stack made starts empty; an existing MLflow bucket holds its runs already.
    if (model.createdBucket && model.artifactsRoot !== undefined && settings.model.kind === 'mlflow-run') {
      const runId = settings.model.runId;
      const artifacts = `s3://${model.bucket.bucketName}/${model.artifactsRoot}`;
      if (runId === DEMO_RUN_ID) {
        out(
          'UploadDemoModelCommand',
          `${aws} s3 cp --recursive models/demo ${artifacts}`,
          "Upload the bundled demo model and its reference profile (the run's artifacts: model/ and reference/), which this stage serves",
        );
      } else {
        out(
          'UploadModelCommand',
          // A local MLflow store lays the run out as its artifact store does.
          `${aws} s3 cp --recursive mlruns/${model.artifactsRoot} ${artifacts}`,
          `Upload run ${runId}'s artifacts (its model/, and reference/ when it has a profile) from a local MLflow store (mlruns/), in the MLflow layout`,
        );
      }
    }
    const ride = JSON.stringify(COURSE_RIDE);
    out(
      'PutRecordCommand',
      `${aws} kinesis put-record --stream-name ${input.streamName} --partition-key ${COURSE_RIDE.ride_id} --cli-binary-format raw-in-base64-out --data '${ride}'`,
      'Send the course ride (AWS CLI v2)',
    );
    out(
      'ReadPredictionsCommand',
      `${aws} kinesis get-records --query 'Records[].Data' --output text --shard-iterator $(${aws} kinesis get-shard-iterator --stream-name ${output.streamName} --shard-id shardId-000000000000 --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text) | tr '\\t' '\\n' | while read -r d; do echo "$d" | base64 -d; echo; done`,
      'Print the predictions in the first shard of the output stream',
    );
  }
}
