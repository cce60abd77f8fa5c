/**
 * Emulator tier: the CDK app deployed to an emulated AWS account (moto_server). `cdk bootstrap`,
 * `cdk deploy -c packaging=zip` of a stage, the deployed stack's resources and outputs, the
 * deployed bundle run with the deployed function's configuration against the deployed streams,
 * bucket and queue, then `cdk destroy` and the same stage deployed again.
 *
 * moto runs no Lambda, enforces no IAM, and ignores some properties (architecture, stream
 * encryption, alarm actions, topic policies): test/emulators/stack.test.ts asserts those in
 * the template.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COURSE_RIDE, lambdaKinesisRecord } from '../../events/kinesis-event';
import { type AwsClients, createClients } from '../../lambda/src/aws-clients';
import { loadModelAt } from '../../lambda/src/model/load-model';
import { METRIC_NAMES, METRICS_NAMESPACE } from '../../lambda/src/names';
import { prepareFeatures } from '../../lambda/src/rides/features';
import type { FailedBatchRecord } from '../../local/event-source-mapping';
import { DEMO_MODEL_DIR, DEMO_RUN_ID } from '../../models/demo-model';
import { MOTO_ACCOUNT, MOTO_REGION, type Moto, startMoto } from '../support/moto';
import { PYTHON } from '../support/python';

const STAGE = 'e2e';
const STACK = `RideDuration-${STAGE}`;
const CDK = resolve('node_modules/.bin/cdk');
/** Debian's AWS CLI v2 (package awscli); an aws earlier on PATH may be another. */
const AWS_CLI = process.env.AWS_CLI ?? '/usr/bin/aws';

const exec = promisify(execFile);

let moto: Moto;
let work: string;
let assembly: string;
let clients: AwsClients;

/** Runs a command; on failure, throws with everything it printed. */
async function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await exec(command, args, { cwd: options.cwd ?? work, env: options.env ?? moto.env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${e.stderr ?? ''}\n${e.stdout ?? ''}\n${e.message}`);
  }
}

/** The AWS CLI against moto (Debian's v2 predates AWS_ENDPOINT_URL), its JSON answer parsed. */
async function aws<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const stdout = await run(AWS_CLI, ['--endpoint-url', moto.endpoint, '--output', 'json', ...args]);
  return (stdout.trim() === '' ? {} : JSON.parse(stdout)) as T;
}

const cdk = (...args: string[]) => run(CDK, [...args, '--no-notices']);
const deploy = () => cdk('deploy', '--app', assembly, '--require-approval', 'never', '--method=direct', STACK);

interface StackDescription {
  StackStatus: string;
  Outputs: { OutputKey: string; OutputValue: string }[];
  EnableTerminationProtection?: boolean;
}
async function describeStack(): Promise<{ status: string; outputs: Record<string, string> }> {
  const { Stacks } = await aws<{ Stacks: StackDescription[] }>('cloudformation', 'describe-stacks', '--stack-name', STACK);
  return { status: Stacks[0].StackStatus, outputs: Object.fromEntries(Stacks[0].Outputs.map((o) => [o.OutputKey, o.OutputValue])) };
}
async function stackResources(): Promise<
  { LogicalResourceId: string; ResourceType: string; PhysicalResourceId: string; ResourceStatus: string }[]
> {
  const { StackResourceSummaries } = await aws<{ StackResourceSummaries: never[] }>(
    'cloudformation',
    'list-stack-resources',
    '--stack-name',
    STACK,
  );
  return StackResourceSummaries;
}

/**
 * moto 5.2 cannot tag a KMS key from CloudFormation (its tagger expects TagKey where the
 * template has Key, and the stack create dies half-way), so the deployed copy of the template
 * goes without those tags; test/emulators/stack.test.ts asserts them.
 */
function dropKmsKeyTags(assemblyDir: string): void {
  const file = join(assemblyDir, `${STACK}.template.json`);
  const template = JSON.parse(readFileSync(file, 'utf8'));
  for (const resource of Object.values(template.Resources) as { Type: string; Properties: { Tags?: unknown } }[]) {
    if (resource.Type === 'AWS::KMS::Key') delete resource.Properties.Tags;
  }
  writeFileSync(file, JSON.stringify(template));
}

async function readShard(kinesis: KinesisClient, streamName: string) {
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const records = [];
  for (const { ShardId } of Shards ?? []) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
    records.push(...(Records ?? []).map((r) => ({ ...r, ShardId: ShardId! })));
  }
  return records;
}

beforeAll(async () => {
  moto = await startMoto();
  work = mkdtempSync(join(tmpdir(), 'deploy-moto-'));
  assembly = join(work, 'cdk.out');
  clients = createClients({ region: MOTO_REGION, endpoints: { kinesis: moto.endpoint, s3: moto.endpoint, sqs: moto.endpoint } });
  // One synth (in the project, where cdk.json is); bootstrap, deploy and destroy use its cloud assembly.
  await run(CDK, ['synth', '-q', '--no-notices', '-o', assembly, '-c', `stage=${STAGE}`, '-c', 'packaging=zip', STACK], {
    cwd: process.cwd(),
  });
  dropKmsKeyTags(assembly);
}, 180_000);

afterAll(async () => {
  await moto?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

// Each step runs the CDK CLI or the AWS CLI a few times: seconds here, longer on a loaded machine.
describe(`the app deployed to moto_server as stage ${STAGE}`, { timeout: 300_000 }, () => {
  let outputs: Record<string, string>;
  let modelBucket: string;
  let alarmKeyId: string;
  /** The good and the bad ride, as read back from the input stream. */
  let records: Awaited<ReturnType<typeof readShard>>;
  let streamArn: string;

  it("bootstraps, deploys with -c packaging=zip to CREATE_COMPLETE, with the stage's resources and outputs", async () => {
    await cdk('bootstrap', `aws://${MOTO_ACCOUNT}/${MOTO_REGION}`);
    await deploy();
    const stack = await describeStack();
    expect(stack.status).toBe('CREATE_COMPLETE');
    outputs = stack.outputs;

    const queueUrl = (name: string) => expect.stringMatching(new RegExp(`/${MOTO_ACCOUNT}/${name}$`));
    expect(outputs).toMatchObject({
      InputStreamName: `ride_events-${STAGE}`,
      OutputStreamName: `ride_predictions-${STAGE}`,
      FunctionName: `ride-duration-prediction-${STAGE}-zip`,
      DeadLetterQueueUrl: queueUrl(`ride-dead-letters-${STAGE}`),
      FailedBatchQueueUrl: queueUrl(`ride-failed-batches-${STAGE}`),
      ModelLocation: expect.stringMatching(
        new RegExp(`^s3://rideduration-${STAGE}-modelbucket[a-z0-9-]+/1/${DEMO_RUN_ID}/artifacts/model/$`),
      ),
    });
    modelBucket = new URL(outputs.ModelLocation).host;
    // The run's artifacts: model/ and, beside it, reference/profile.json.
    expect(outputs.UploadDemoModelCommand).toBe(`aws s3 cp --recursive models/demo ${outputs.ModelLocation.replace(/model\/$/, '')}`);
    expect(outputs.PutRecordCommand).toContain(`--stream-name ride_events-${STAGE} --partition-key 256`);
    expect(outputs.ReadPredictionsCommand).toContain(`--stream-name ride_predictions-${STAGE}`);

    // moto models these types; it records alarms and resource policies without making them.
    const resources = (await stackResources()).filter((r) => r.ResourceType !== '');
    for (const r of resources) expect(r.ResourceStatus, r.LogicalResourceId).toBe('CREATE_COMPLETE');
    const physical = (type: string) =>
      resources
        .filter((r) => r.ResourceType === type)
        .map((r) => r.PhysicalResourceId)
        .sort();
    expect(physical('AWS::Kinesis::Stream')).toEqual([`ride_events-${STAGE}`, `ride_predictions-${STAGE}`]);
    expect(physical('AWS::SQS::Queue')).toEqual([outputs.DeadLetterQueueUrl, outputs.FailedBatchQueueUrl]);
    expect(physical('AWS::Lambda::Function')).toEqual([outputs.FunctionName]);
    expect(physical('AWS::Logs::LogGroup')).toEqual([`/aws/lambda/ride-duration-prediction-${STAGE}`]);
    expect(physical('AWS::S3::Bucket')).toEqual([modelBucket, outputs.DeadLetterBucketName].sort());
    expect(physical('AWS::SNS::Topic')).toEqual([`arn:aws:sns:${MOTO_REGION}:${MOTO_ACCOUNT}:ride-duration-alarms-${STAGE}`]);
    expect(physical('AWS::CloudWatch::Dashboard')).toEqual([`ride-duration-${STAGE}`]);
    expect(physical('AWS::Lambda::EventSourceMapping')).toHaveLength(1);
    expect(physical('AWS::IAM::Role')).toHaveLength(1);
    [alarmKeyId] = physical('AWS::KMS::Key');
    expect(alarmKeyId).toBeDefined();

    // What the services say was made.
    const fn = await aws<{ PackageType: string; Runtime: string; Handler: string; Environment: { Variables: Record<string, string> } }>(
      'lambda',
      'get-function-configuration',
      '--function-name',
      outputs.FunctionName,
    );
    expect(fn).toMatchObject({ PackageType: 'Zip', Runtime: 'nodejs22.x', Handler: 'index.handler' });
    expect(fn.Environment.Variables).toEqual({
      MODEL_BUCKET: modelBucket,
      MLFLOW_EXPERIMENT_ID: '1',
      RUN_ID: DEMO_RUN_ID,
      PREDICTIONS_STREAM_NAME: outputs.OutputStreamName,
      DEAD_LETTER_QUEUE_URL: outputs.DeadLetterQueueUrl,
      DEAD_LETTER_BUCKET: outputs.DeadLetterBucketName,
      POWERTOOLS_SERVICE_NAME: `ride-duration-prediction-${STAGE}`,
      NODE_OPTIONS: '--enable-source-maps',
    });
    const {
      EventSourceMappings: [mapping],
    } = await aws<{ EventSourceMappings: Record<string, unknown>[] }>(
      'lambda',
      'list-event-source-mappings',
      '--function-name',
      outputs.FunctionName,
    );
    expect(mapping).toMatchObject({
      EventSourceArn: `arn:aws:kinesis:${MOTO_REGION}:${MOTO_ACCOUNT}:stream/ride_events-${STAGE}`,
      FunctionArn: expect.stringMatching(new RegExp(`:function:${outputs.FunctionName}$`)),
      BatchSize: 500,
      StartingPosition: 'TRIM_HORIZON',
    });
  });

  it('serves the uploaded demo model: the deployed bundle, with the deployed configuration, predicts a good ride onto the output stream and dead-letters a bad one', async () => {
    // The stack's own upload command, as printed (its path is relative to the project).
    const [command, ...args] = outputs.UploadDemoModelCommand.split(' ');
    expect(command).toBe('aws');
    await run(AWS_CLI, ['--endpoint-url', moto.endpoint, ...args], { cwd: process.cwd() });
    const prefix = new URL(outputs.ModelLocation).pathname.slice(1);
    const { Contents } = await clients.s3.send(new ListObjectsV2Command({ Bucket: modelBucket, Prefix: prefix }));
    expect((Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort()).toEqual(readdirSync(DEMO_MODEL_DIR).sort());
    const reference = prefix.replace(/model\/$/, 'reference/profile.json');
    expect((await clients.s3.send(new ListObjectsV2Command({ Bucket: modelBucket, Prefix: reference }))).KeyCount).toBe(1);

    // The function's code, as deployed: the zip CloudFormation gave Lambda, from the asset bucket.
    const { TemplateBody: deployed } = await aws<{
      TemplateBody: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    }>('cloudformation', 'get-template', '--stack-name', STACK);
    const [fnResource] = Object.values(deployed.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const code = fnResource.Properties.Code as { S3Bucket: string | { 'Fn::Sub': string }; S3Key: string };
    const assetBucket =
      typeof code.S3Bucket === 'string'
        ? code.S3Bucket
        : // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub variables, as the template has them.
          code.S3Bucket['Fn::Sub'].replace('${AWS::AccountId}', MOTO_ACCOUNT).replace('${AWS::Region}', MOTO_REGION);
    const zip = await clients.s3.send(new GetObjectCommand({ Bucket: assetBucket, Key: code.S3Key }));
    const codeDir = join(work, 'function');
    writeFileSync(join(work, 'function.zip'), await zip.Body!.transformToByteArray());
    await run(PYTHON, ['-m', 'zipfile', '-e', join(work, 'function.zip'), codeDir]);
    expect(readdirSync(codeDir)).toContain('index.mjs');

    // A good ride and a bad one on the input stream, read back as Lambda's mapping delivers them.
    const bad = { ride: { PULocationID: 130, DOLocationID: 205, trip_distance: 'far' }, ride_id: 257 };
    for (const ride of [COURSE_RIDE, bad]) {
      await clients.kinesis.send(
        new PutRecordCommand({
          StreamName: outputs.InputStreamName,
          PartitionKey: String(ride.ride_id),
          Data: Buffer.from(JSON.stringify(ride)),
        }),
      );
    }
    streamArn = `arn:aws:kinesis:${MOTO_REGION}:${MOTO_ACCOUNT}:stream/${outputs.InputStreamName}`;
    records = await readShard(clients.kinesis, outputs.InputStreamName);
    expect(records).toHaveLength(2);
    const event = {
      Records: records.map((r) =>
        lambdaKinesisRecord({
          data: Buffer.from(r.Data!).toString('base64'),
          partitionKey: r.PartitionKey!,
          sequenceNumber: r.SequenceNumber!,
          approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!.getTime() / 1000,
          shardId: r.ShardId,
          streamArn,
        }),
      ),
    };
    writeFileSync(join(work, 'event.json'), JSON.stringify(event));

    // The bundle under the deployed configuration, as Lambda would run it, its endpoints moto's.
    const { Environment } = await aws<{ Environment: { Variables: Record<string, string> } }>(
      'lambda',
      'get-function-configuration',
      '--function-name',
      outputs.FunctionName,
    );
    const inherited = Object.fromEntries(Object.entries(moto.env).filter(([name]) => !name.startsWith('POWERTOOLS_')));
    const script = `
      import { readFileSync } from 'node:fs';
      const { handler } = await import(${JSON.stringify(join(codeDir, 'index.mjs'))});
      const event = JSON.parse(readFileSync(${JSON.stringify(join(work, 'event.json'))}, 'utf8'));
      const context = { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST', memoryLimitInMB: '512',
        invokedFunctionArn: 'arn:aws:lambda:${MOTO_REGION}:${MOTO_ACCOUNT}:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME, awsRequestId: 'deploy-test' };
      console.log('RESULT ' + JSON.stringify(await handler(event, context)));`;
    const stdout = await run('node', ['--input-type=module', '-e', script], {
      cwd: codeDir,
      env: {
        ...inherited,
        ...Environment.Variables,
        AWS_LAMBDA_FUNCTION_NAME: outputs.FunctionName,
        KINESIS_ENDPOINT_URL: moto.endpoint,
        S3_ENDPOINT_URL: moto.endpoint,
        SQS_ENDPOINT_URL: moto.endpoint,
        // A drift window of one ride, so that this one good ride closes one: the uploaded profile is read and compared with.
        DRIFT_WINDOW_RIDES: '1',
        DRIFT_MIN_RIDES: '1',
      },
    });
    const lines = stdout.split('\n');
    const result = JSON.parse(lines.find((l) => l.startsWith('RESULT '))!.slice('RESULT '.length));

    // The good ride: its prediction, from the uploaded model, on the output stream.
    const model = (await loadModelAt({ kind: 'local', path: DEMO_MODEL_DIR })).model;
    const expected = {
      model: 'ride_duration_prediction_model',
      version: DEMO_RUN_ID,
      prediction: { ride_duration: model.predict([prepareFeatures(COURSE_RIDE.ride)])[0], ride_id: COURSE_RIDE.ride_id },
    };
    expect(result).toEqual({ predictions: [expected], batchItemFailures: [] });
    const written = await readShard(clients.kinesis, outputs.OutputStreamName);
    expect(written.map((r) => ({ key: r.PartitionKey, event: JSON.parse(Buffer.from(r.Data!).toString()) }))).toEqual([
      { key: '256', event: expected },
    ]);

    // The bad ride: a dead letter with its reason and its raw data.
    const { Messages } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: outputs.DeadLetterQueueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(Messages).toHaveLength(1);
    const badRecord = records.find((r) => r.PartitionKey === '257')!;
    expect(JSON.parse(Messages![0].Body!)).toMatchObject({
      reason: expect.stringContaining('ride.trip_distance'),
      shardId: badRecord.ShardId,
      sequenceNumber: badRecord.SequenceNumber,
      eventSourceARN: streamArn,
      partitionKey: '257',
      data: Buffer.from(JSON.stringify(bad)).toString('base64'),
    });

    // Its metrics (EMF on stdout) carry every name the deployed alarms and dashboard chart, under their service.
    const emitted = lines.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
    const emittedNames = new Set(
      emitted.flatMap((m) => m._aws.CloudWatchMetrics.flatMap((d: { Metrics: { Name: string }[] }) => d.Metrics.map((x) => x.Name))),
    );
    const body = JSON.stringify(deployed);
    const charted = [...body.matchAll(new RegExp(`\\\\"${METRICS_NAMESPACE}\\\\",\\\\"(\\w+)\\\\"`, 'g'))].map((m) => m[1]);
    const alarmed = Object.values(deployed.Resources)
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.Namespace === METRICS_NAMESPACE)
      .map((r) => r.Properties.MetricName as string);
    expect(charted.length).toBeGreaterThan(0);
    expect(alarmed.length).toBeGreaterThan(0);
    // Two are never emitted by a healthy run: dead letters SQS refused even reduced, and TEST_RUN records.
    const neverInThisRun: string[] = [METRIC_NAMES.deadLettersLost, METRIC_NAMES.testRunRecords];
    for (const name of [...charted, ...alarmed]) {
      expect(Object.values(METRIC_NAMES), name).toContain(name);
      if (!neverInThisRun.includes(name)) expect([...emittedNames], name).toContain(name);
    }
    for (const m of emitted) expect(m.service).toBe(Environment.Variables.POWERTOOLS_SERVICE_NAME);
    // Drift, by feature, against the profile uploaded beside the model.
    expect(emitted.filter((m) => m.Drift !== undefined).map((m) => m.Feature)).toEqual(['PU_DO', 'trip_distance', 'prediction']);
  });

  it("redrives a failed batch as the README says: the batch's records back on the input stream, the message deleted", async () => {
    // Lambda's on-failure record for a batch of both rides, as the mapping would send it (moto runs no mapping).
    const [first, last] = records;
    const failed: FailedBatchRecord = {
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 11 },
      responseContext: { functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId: first.ShardId,
        startSequenceNumber: first.SequenceNumber!,
        endSequenceNumber: last.SequenceNumber!,
        approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp!.toISOString(),
        approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp!.toISOString(),
        batchSize: records.length,
        streamArn,
      },
    };
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: outputs.FailedBatchQueueUrl, MessageBody: JSON.stringify(failed) }));

    // The README's commands, for this stage, with the AWS CLI pointed at moto.
    const readme = readFileSync('README.md', 'utf8');
    const redrive = /\n(STREAM=ride_events-stg QUEUE=<FailedBatchQueueUrl>\n[\s\S]*?\naws sqs delete-message [^\n]*)\n/.exec(readme)?.[1];
    expect(redrive).toBeDefined();
    const script = redrive!
      .replace('ride_events-stg', outputs.InputStreamName)
      .replace('<FailedBatchQueueUrl>', outputs.FailedBatchQueueUrl);
    await run('bash', ['-euo', 'pipefail', '-c', `aws() { ${AWS_CLI} --endpoint-url ${moto.endpoint} "$@"; }\n${script}`]);

    const after = await readShard(clients.kinesis, outputs.InputStreamName);
    const seen = (r: (typeof records)[number]) => ({ key: r.PartitionKey, data: Buffer.from(r.Data!).toString() });
    expect(after.map(seen)).toEqual([...records, ...records].map(seen));
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: outputs.FailedBatchQueueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(Messages).toEqual([]);
  });

  it('is removed by cdk destroy except for the two buckets, and deploys again under the same names', async () => {
    await cdk('destroy', '--app', assembly, '--force', STACK);
    await expect(describeStack()).rejects.toThrow(/does not exist/);

    const { StreamNames } = await aws<{ StreamNames: string[] }>('kinesis', 'list-streams');
    expect(StreamNames.filter((n) => n.endsWith(`-${STAGE}`))).toEqual([]);
    const { QueueUrls = [] } = await aws<{ QueueUrls?: string[] }>('sqs', 'list-queues');
    expect(QueueUrls.filter((u) => u.endsWith(`-${STAGE}`))).toEqual([]);
    // (moto itself makes /aws/lambda/<function> when it tries to invoke the function for a put record.)
    const logGroup = `/aws/lambda/ride-duration-prediction-${STAGE}`;
    const { logGroups } = await aws<{ logGroups: { logGroupName: string }[] }>(
      'logs',
      'describe-log-groups',
      '--log-group-name-prefix',
      logGroup,
    );
    expect(logGroups.map((g) => g.logGroupName)).not.toContain(logGroup);
    const { Functions } = await aws<{ Functions: { FunctionName: string }[] }>('lambda', 'list-functions');
    expect(Functions.filter((f) => f.FunctionName.includes(STAGE))).toEqual([]);
    // AWS schedules the key's deletion (7 days); moto deletes it at once.
    const keyState = await aws<{ KeyMetadata: { KeyState: string } }>('kms', 'describe-key', '--key-id', alarmKeyId).then(
      ({ KeyMetadata }) => KeyMetadata.KeyState,
      (error: Error) => (/NotFoundException/.test(error.message) ? 'deleted' : Promise.reject(error)),
    );
    expect(['PendingDeletion', 'deleted']).toContain(keyState);
    // The model bucket stays, with the model and its reference profile in it.
    const { Contents } = await clients.s3.send(new ListObjectsV2Command({ Bucket: modelBucket }));
    expect(Contents?.length).toBe(readdirSync(DEMO_MODEL_DIR).length + 1);
    // So does the dead-letter data bucket: it may hold letters at destroy, which expire in 14 days.
    await expect(clients.s3.send(new ListObjectsV2Command({ Bucket: outputs.DeadLetterBucketName }))).resolves.toBeDefined();

    await deploy();
    const again = await describeStack();
    expect(again.status).toBe('CREATE_COMPLETE');
    for (const key of ['InputStreamName', 'OutputStreamName', 'FunctionName', 'DeadLetterQueueUrl', 'FailedBatchQueueUrl'])
      expect(again.outputs[key], key).toBe(outputs[key]);
    for (const r of await stackResources()) expect(r.ResourceStatus, r.LogicalResourceId).toBe('CREATE_COMPLETE');
    // A bucket of its own again: the one kept from before is not the stack's any more.
    expect(new URL(again.outputs.ModelLocation).host).not.toBe(modelBucket);
    expect(again.outputs.DeadLetterBucketName).not.toBe(outputs.DeadLetterBucketName);
  });
});
