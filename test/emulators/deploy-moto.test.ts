/**
 * Emulator tier: the CDK app deployed to an emulated AWS account (moto_server) by
 * `npm run deploy:moto`, as a user runs it: it starts moto, bootstraps, deploys
 * `-c packaging=zip` of a stage and prints the outputs; then the deployed stack's resources and
 * outputs, the deployed bundle run with the deployed function's configuration against the
 * deployed streams, bucket and queue, a redrive, `npm run deploy:moto -- --destroy` and the same
 * stage deployed again; and the check that catches moto's deploy that "succeeds" with nothing.
 *
 * moto runs no Lambda, enforces no IAM, and ignores some properties (architecture, stream
 * encryption, alarm actions, topic policies): test/unit/stack.test.ts asserts those in
 * the template.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import type { FailedBatchRecord } from '../../local/event-source-mapping';
import { connectMoto, MOTO_ACCOUNT, MOTO_REGION, type Moto, motoAnswers } from '../../local/moto';
import { awsOnMoto, checkDeployed, describeOnMoto, MOTO_LIMITS, PROJECT_DIR, run } from '../../local/moto-stack';
import { DEMO_MODEL_DIR, DEMO_RUN_ID } from '../../models/demo-model';
import { PYTHON } from '../support/python';
import { waitFor } from '../support/wait-for';

const STAGE = 'e2e';
const STACK = `RideDuration-${STAGE}`;
/** Debian's AWS CLI v2 (package awscli); an aws earlier on PATH may be another. */
const AWS_CLI = process.env.AWS_CLI ?? '/usr/bin/aws';

let moto: Moto;
let work: string;
let clients: AwsClients;
/** The first npm run deploy:moto, which started moto_server and holds it until Ctrl-C. */
let holder: { child: ChildProcess; output: () => string; exited: Promise<number | null> };

/** npm run deploy:moto with these arguments, its stdout and stderr together. */
function deployMoto(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn('node_modules/.bin/tsx', ['local/deploy-moto.ts', ...args], {
    cwd: PROJECT_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, output: () => output, exited };
}

/** A second npm run deploy:moto against the running moto (MOTO_ENDPOINT): it exits when done. */
async function deployMotoAgain(args: string[]): Promise<string> {
  const again = deployMoto(args, { ...process.env, MOTO_ENDPOINT: moto.endpoint });
  const code = await again.exited;
  if (code !== 0) throw new Error(`npm run deploy:moto ${args.join(' ')} exited ${code}:\n${again.output()}`);
  return again.output();
}

/** The outputs as npm run deploy:moto prints them: `  <key>  <value>` lines under "Outputs:". */
function printedOutputs(output: string): Record<string, string> {
  const block = output.slice(output.indexOf('\nOutputs:\n') + '\nOutputs:\n'.length, output.indexOf('\n\nWhat moto does not do'));
  return Object.fromEntries(block.split('\n').map((line) => /^ {2}(\w+) +(.*)$/.exec(line)!.slice(1, 3)));
}

const aws = <T = Record<string, unknown>>(...args: string[]) => awsOnMoto<T>(moto, ...args);

async function describeStack(): Promise<{ status: string; outputs: Record<string, string> }> {
  const { status, outputs } = await describeOnMoto(moto, STACK);
  return { status, outputs: Object.fromEntries(outputs.map((o) => [o.key, o.value])) };
}
const stackResources = async () => (await describeOnMoto(moto, STACK)).resources;

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
  work = mkdtempSync(join(tmpdir(), 'deploy-moto-'));
  // As a user runs it, on a free port rather than moto's 5000: it starts moto_server and deploys.
  holder = deployMoto(['-c', `stage=${STAGE}`, '--moto-port', '0']);
  const output = await waitFor(
    async () => holder.output(),
    (out) => out.includes('until Ctrl-C') || holder.child.exitCode !== null,
    240_000,
  );
  const endpoint = /^started moto_server at (http:\/\/localhost:\d+)$/m.exec(output)?.[1];
  if (endpoint === undefined || holder.child.exitCode !== null) throw new Error(`npm run deploy:moto did not deploy:\n${output}`);
  moto = connectMoto(endpoint);
  clients = createClients({ region: MOTO_REGION, endpoints: { kinesis: moto.endpoint, s3: moto.endpoint, sqs: moto.endpoint } });
}, 300_000);

afterAll(async () => {
  holder?.child.kill();
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

  it("npm run deploy:moto deploys with -c packaging=zip to CREATE_COMPLETE, with the stage's resources, and prints its outputs and what moto does not do", async () => {
    const printed = holder.output();
    expect(printed).toContain(`${STACK} deployed to moto at ${moto.endpoint}: CREATE_COMPLETE, `);
    expect(printed).toContain(`What moto does not do: ${MOTO_LIMITS}`);
    expect(printed).toContain(`Remove it: MOTO_ENDPOINT=${moto.endpoint} npm run deploy:moto -- -c stage=${STAGE} --destroy`);
    const stack = await describeStack();
    expect(stack.status).toBe('CREATE_COMPLETE');
    outputs = stack.outputs;
    expect(printedOutputs(printed)).toEqual(outputs);

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
    // The run's artifacts (model/ and, beside it, reference/profile.json), with --endpoint-url, which Debian's CLI v2.9 needs: it ignores AWS_ENDPOINT_URL.
    expect(outputs.UploadDemoModelCommand).toBe(
      `aws --endpoint-url ${moto.endpoint} s3 cp --recursive models/demo ${outputs.ModelLocation.replace(/model\/$/, '')}`,
    );
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
    // The stack's own upload command, as printed (its path is relative to the project), with Debian's CLI v2.9.
    const [command, ...args] = outputs.UploadDemoModelCommand.split(' ');
    expect(command).toBe('aws');
    await run(AWS_CLI, args, { env: moto.env });
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
      prediction: { ride_duration: model.predict([COURSE_RIDE.ride])[0], ride_id: COURSE_RIDE.ride_id },
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
    await run('bash', ['-euo', 'pipefail', '-c', `aws() { ${AWS_CLI} --endpoint-url ${moto.endpoint} "$@"; }\n${script}`], {
      cwd: work, // where its failed.json goes
      env: moto.env,
    });

    const after = await readShard(clients.kinesis, outputs.InputStreamName);
    const seen = (r: (typeof records)[number]) => ({ key: r.PartitionKey, data: Buffer.from(r.Data!).toString() });
    expect(after.map(seen)).toEqual([...records, ...records].map(seen));
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: outputs.FailedBatchQueueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(Messages).toEqual([]);
  });

  it('is removed by npm run deploy:moto -- --destroy except for the two buckets, and deployed again under the same names', async () => {
    expect(await deployMotoAgain(['-c', `stage=${STAGE}`, '--destroy'])).toContain(`${STACK} destroyed on moto at ${moto.endpoint}.`);
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

    expect(await deployMotoAgain(['-c', `stage=${STAGE}`])).toContain(`${STACK} deployed to moto at ${moto.endpoint}: CREATE_COMPLETE, `);
    const again = await describeStack();
    expect(again.status).toBe('CREATE_COMPLETE');
    for (const key of ['InputStreamName', 'OutputStreamName', 'FunctionName', 'DeadLetterQueueUrl', 'FailedBatchQueueUrl'])
      expect(again.outputs[key], key).toBe(outputs[key]);
    for (const r of await stackResources()) expect(r.ResourceStatus, r.LogicalResourceId).toBe('CREATE_COMPLETE');
    // A bucket of its own again: the one kept from before is not the stack's any more.
    expect(new URL(again.outputs.ModelLocation).host).not.toBe(modelBucket);
    expect(again.outputs.DeadLetterBucketName).not.toBe(outputs.DeadLetterBucketName);
  });

  it('fails a deploy that moto reports CREATE_COMPLETE with none of its resources, as the plain route gives', async () => {
    // The plain route: cdk deploy of the app as it is (the KMS key's tags, a change set), which moto "completes" with nothing.
    const out = join(work, 'bare.out');
    const { stdout, stderr } = await promisify(execFile)(
      'node_modules/.bin/cdk',
      ['deploy', '-o', out, '-c', 'stage=bare', '-c', 'packaging=zip', '--require-approval', 'never', '--no-notices'],
      { env: moto.env, encoding: 'utf8' },
    );
    // The CLI writes its messages to stderr, or to stdout where CI is set (as in a CI run): read both.
    const output = stdout + stderr;
    expect(output).toContain('✅  RideDuration-bare');
    // In moto's environment, the CDK CLI's SDK keeps its notice about Node.js 22 to itself.
    expect(output).not.toContain('NodeVersionSupportWarning');
    expect((await describeOnMoto(moto, 'RideDuration-bare')).status).toBe('CREATE_COMPLETE');
    const { Resources } = JSON.parse(readFileSync(join(out, 'RideDuration-bare.template.json'), 'utf8'));
    const assembly = { dir: out, stackName: 'RideDuration-bare', resources: Resources };
    await expect(checkDeployed(moto, assembly)).rejects.toThrow(
      new RegExp(`^RideDuration-bare is reported CREATE_COMPLETE, but moto made 0 of its ${Object.keys(Resources).length} resources`),
    );
  });

  it('stops moto_server on Ctrl-C of the npm run deploy:moto that started it', async () => {
    holder.child.kill('SIGINT');
    expect(await holder.exited).toBe(0);
    expect(await motoAnswers(moto.endpoint)).toBe(false);
  });
});
