import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { DEFAULT_SERVICE_NAME, RESOURCE_NAMES } from '../lambda/src/names';
import { DEMO_RUN_ID } from '../models/demo-model';
import { COURSE_RIDE } from '../events/kinesis-event';
import { EncryptedQueue } from './constructs/encrypted-queue';
import { ModelStore } from './constructs/model-store';
import { Operations } from './constructs/operations';
import { PredictionFunction } from './constructs/prediction-function';
import type { StackSettings } from './stack-settings';

export interface RideDurationStackProps extends StackProps {
  settings: StackSettings;
}

/** The names a stage's resources get, so that stages deploy side by side. */
export function resourceNames(stage: string) {
  const staged = (name: string) => `${name}-${stage}`;
  return {
    inputStream: staged(RESOURCE_NAMES.inputStream),
    outputStream: staged(RESOURCE_NAMES.outputStream),
    function: staged(RESOURCE_NAMES.function),
    deadLetterQueue: staged(RESOURCE_NAMES.deadLetterQueue),
    failedBatchQueue: staged(RESOURCE_NAMES.failedBatchQueue),
    /** Powertools' service name: the metrics' dimension and the logs' "service". */
    service: staged(DEFAULT_SERVICE_NAME),
  };
}

/**
 * ride_events -> event source mapping -> prediction function -> ride_predictions,
 * with bad records to a dead-letter queue and given-up batches to a failed-batches queue.
 */
export class RideDurationStack extends Stack {
  constructor(scope: Construct, id: string, props: RideDurationStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const names = resourceNames(settings.stage);

    const stream = (id: string, streamName: string, capacity: number | 'on-demand') =>
      new Stream(this, id, {
        streamName,
        // KMS with the aws/kinesis key: encrypted at rest, and no key grants for producers or consumers.
        encryption: StreamEncryption.MANAGED,
        retentionPeriod: Duration.hours(settings.streams.retentionHours),
        ...(capacity === 'on-demand' ? { streamMode: StreamMode.ON_DEMAND } : { streamMode: StreamMode.PROVISIONED, shardCount: capacity }),
      });
    const input = stream('RideEvents', names.inputStream, settings.streams.inputCapacity);
    const output = stream('RidePredictions', names.outputStream, settings.streams.outputCapacity);

    const deadLetters = new EncryptedQueue(this, 'DeadLetters', {
      queueName: names.deadLetterQueue,
      holds: 'ride records that can never be predicted, each with its reason',
    }).queue;
    const failedBatches = new EncryptedQueue(this, 'FailedBatches', {
      queueName: names.failedBatchQueue,
      holds: 'the shard and sequence range of batches given up on after retries',
    }).queue;
    const model = new ModelStore(this, 'Model', settings.model);

    const { function: fn, role } = new PredictionFunction(this, 'Prediction', {
      settings,
      functionName: names.function,
      environment: {
        RUN_ID: settings.model.runId,
        MODEL_BUCKET: model.bucket.bucketName,
        MLFLOW_EXPERIMENT_ID: settings.model.experimentId,
        PREDICTIONS_STREAM_NAME: output.streamName,
        DEAD_LETTER_QUEUE_URL: deadLetters.queueUrl,
        POWERTOOLS_SERVICE_NAME: names.service,
      },
    });
    model.grantReadModel(role);
    output.grantWrite(role);
    deadLetters.grantSendMessages(role);

    const source = settings.eventSource;
    fn.addEventSource(
      new KinesisEventSource(input, {
        batchSize: source.batchSize,
        maxBatchingWindow: Duration.seconds(source.batchingWindowSeconds),
        parallelizationFactor: source.parallelizationFactor,
        startingPosition: StartingPosition[source.startingPosition],
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: source.retryAttempts,
        maxRecordAge: Duration.seconds(source.maxRecordAgeSeconds),
        onFailure: new SqsDlq(failedBatches),
      }),
    );

    new Operations(this, 'Operations', {
      stage: settings.stage,
      function: fn,
      input,
      output,
      deadLetters,
      failedBatches,
      serviceName: names.service,
      alarmEmail: settings.alarmEmail,
    });

    const ride = JSON.stringify(COURSE_RIDE);
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out('InputStreamName', input.streamName, 'Put ride events here');
    out('OutputStreamName', output.streamName, 'Prediction events arrive here');
    out('DeadLetterQueueUrl', deadLetters.queueUrl, 'Bad records, each with its reason');
    out('FailedBatchQueueUrl', failedBatches.queueUrl, 'Batches given up on after retries');
    out('FunctionName', fn.functionName, 'The prediction function');
    out('ModelLocation', `s3://${model.bucket.bucketName}/${model.prefix}`, 'Where the served model is read from');
    out('UploadDemoModelCommand', `aws s3 cp --recursive models/demo s3://${model.bucket.bucketName}/${settings.model.experimentId}/${DEMO_RUN_ID}/artifacts/model/`,
      'Upload the bundled demo model (served when runId is not set)');
    out('PutRecordCommand',
      `aws kinesis put-record --stream-name ${input.streamName} --partition-key ${COURSE_RIDE.ride_id} --cli-binary-format raw-in-base64-out --data '${ride}'`,
      'Send the course ride (AWS CLI v2)');
    out('ReadPredictionsCommand',
      `aws kinesis get-records --query 'Records[].Data' --output text --shard-iterator $(aws kinesis get-shard-iterator --stream-name ${output.streamName} --shard-id shardId-000000000000 --shard-iterator-type TRIM_HORIZON --query ShardIterator --output text) | tr '\\t' '\\n' | while read -r d; do echo "$d" | base64 -d; echo; done`,
      'Print the predictions in the first shard of the output stream');
  }
}
