/**
 * The CDK app synthesized in-process (no Docker, no AWS account), checked resource by resource;
 * test/emulators/cdk-cli.test.ts runs the CDK CLI on it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { bundleHandler } from '../../lambda/build';
import { parseConfig } from '../../lambda/src/config';
import { DEAD_LETTER_PREFIX, METRIC_NAMES, METRICS_NAMESPACE } from '../../lambda/src/names';
import { addRideDurationStack } from '../../lib/app';
import { SettingsError } from '../../lib/stack-settings';
import { DEFAULT_EVENT_SOURCE } from '../../local/event-source-mapping';
import { DEMO_RUN_ID } from '../../models/demo-model';
import { CREATE_ONLY, replacementCollisions } from '../support/replacements';

// Environment-agnostic stacks, whatever account and region this shell has.
delete process.env.CDK_DEFAULT_ACCOUNT;
delete process.env.CDK_DEFAULT_REGION;

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Every template synthesized in this file, for the checks that hold for all of them. */
const synthesized: { context: object; template: Template }[] = [];

type Context = Record<string, string | number>;

/**
 * An app in a directory of its own (removed after the file), its function's code not bundled,
 * as `cdk ls` leaves it: only the tests of that code below bundle it.
 */
function newApp(context: Context = {}, { bundling = false } = {}): App {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-'));
  outdirs.push(outdir);
  return new App({
    context: bundling ? context : { 'aws:cdk:bundling-stacks': [], ...context },
    outdir,
    // aws-cdk-lib's own CloudFormation validation, which only warns, would take most of this
    // file's time; npx cdk synth runs it, and test/emulators/cdk-cli.test.ts sees it find nothing.
    builtinCloudFormationValidation: false,
  });
}

function synth(context: Context = {}, options: { bundling?: boolean } = {}) {
  const app = newApp(context, options);
  const stack = addRideDurationStack(app);
  // Synthesizing the app runs the cdk-nag plugin; a finding not acknowledged throws here.
  app.synth();
  const template = Template.fromStack(stack);
  synthesized.push({ context, template });
  return { app, stack, template };
}

type TemplateJson = Parameters<typeof replacementCollisions>[0];
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
};
function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
}
const actionsOf = (s: Statement) => [s.Action].flat();
/** What every bucket of the stack has: no public access, encrypted at rest. */
const PRIVATE_ENCRYPTED_BUCKET = {
  PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
  BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
};

/** Every action the stack's policies grant that belongs to a service, such as 'kms:'. */
const actionsOfService = (template: Template, prefix: string) =>
  statements(template)
    .flatMap(actionsOf)
    .filter((a) => a.startsWith(prefix));
const byAction = (template: Template, action: string) => statements(template).filter((s) => actionsOf(s).includes(action));
const resources = (s: Statement) => [s.Resource].flat();
const functionEnv = (template: Template) =>
  Object.values(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;
const properties = (template: Template, type: string) => Object.values(template.findResources(type)).map((r) => r.Properties);

describe('default stack (dev stage, container image, new model bucket)', () => {
  const { template, stack } = synth();

  it('is named for its stage', () => {
    expect(stack.stackName).toBe('RideDuration-dev');
  });

  it('has input and output streams, KMS-encrypted, one shard, 24 h retention', () => {
    for (const name of ['ride_events-dev', 'ride_predictions-dev']) {
      template.hasResourceProperties('AWS::Kinesis::Stream', {
        Name: name,
        ShardCount: 1,
        RetentionPeriodHours: 24,
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
        StreamModeDetails: { StreamMode: 'PROVISIONED' },
      });
    }
  });

  it('runs the handler as an arm64 container image configured as docs/design.md says', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ride-duration-prediction-dev',
      PackageType: 'Image',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 60,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^PredictionLogs') } },
      Environment: {
        Variables: {
          RUN_ID: DEMO_RUN_ID,
          MODEL_BUCKET: { Ref: Match.stringLikeRegexp('^ModelBucket') },
          MLFLOW_EXPERIMENT_ID: '1',
          PREDICTIONS_STREAM_NAME: { Ref: Match.stringLikeRegexp('^RidePredictions') },
          DEAD_LETTER_QUEUE_URL: { Ref: Match.stringLikeRegexp('^DeadLetters') },
          POWERTOOLS_SERVICE_NAME: 'ride-duration-prediction-dev',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/lambda/ride-duration-prediction-dev',
      RetentionInDays: 30,
    });
  });

  it('leaves X-Ray tracing off', () => {
    expect(properties(template, 'AWS::Lambda::Function')[0].TracingConfig).toBeUndefined();
    expect(actionsOfService(template, 'xray:')).toEqual([]);
  });

  it('maps the input stream with batch item failures, bisection, bounded retries and an on-failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RideEvents'), 'Arn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('^PredictionFunction') },
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 1,
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 21600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FailedBatches'), 'Arn'] } } },
    });
  });

  it('deploys the mapping and the timeout that the local event source mapping behaves as (npm run local)', () => {
    const local = DEFAULT_EVENT_SOURCE;
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: local.batchSize,
      MaximumBatchingWindowInSeconds: local.batchingWindowMs / 1000,
      StartingPosition: local.startingPosition,
      BisectBatchOnFunctionError: local.bisectOnError,
      MaximumRetryAttempts: local.retryAttempts,
      MaximumRecordAgeInSeconds: local.maxRecordAgeSeconds,
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: local.functionTimeoutMs / 1000 });
  });

  it('keeps dead letters and failed batches 14 days in encrypted, SSL-only queues', () => {
    for (const name of ['ride-dead-letters-dev', 'ride-failed-batches-dev']) {
      template.hasResourceProperties('AWS::SQS::Queue', { QueueName: name, SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    }
    const sslOnly = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter((p) =>
      JSON.stringify(p).includes('"aws:SecureTransport":"false"'),
    );
    expect(sslOnly).toHaveLength(2);
  });

  it('makes a private, encrypted, SSL-only model bucket that outlives the stack', () => {
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        ...PRIVATE_ENCRYPTED_BUCKET,
      },
    });
    expect(JSON.stringify(template.findResources('AWS::S3::BucketPolicy'))).toContain('"aws:SecureTransport":"false"');
  });

  it('removes everything but the two buckets on destroy, so that the stage can be deployed again', () => {
    for (const type of ['AWS::Kinesis::Stream', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup', 'AWS::KMS::Key']) {
      const policies = Object.values(template.findResources(type)).map((r) => [r.DeletionPolicy, r.UpdateReplacePolicy]);
      expect(policies.length, type).toBeGreaterThan(0);
      for (const policy of policies) expect(policy, type).toEqual(['Delete', 'Delete']);
    }
    template.hasResourceProperties('AWS::KMS::Key', { PendingWindowInDays: 7 });
    const retained = Object.entries(template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>)
      .filter(([, r]) => r.DeletionPolicy === 'Retain')
      .map(([, r]) => r.Type);
    // The model bucket (models are the team's work) and the dead-letter data bucket (not empty
    // at destroy; its objects expire in 14 days). Neither is named, so a redeploy does not collide.
    expect(retained).toEqual(['AWS::S3::Bucket', 'AWS::S3::Bucket']);
    expect(stack.terminationProtection).toBe(false);
  });

  it('tags every resource that takes tags with its stage and service', () => {
    const tagged = Object.values(template.toJSON().Resources as Record<string, { Type: string; Properties?: { Tags?: unknown } }>).filter(
      (r) => r.Properties?.Tags !== undefined,
    );
    expect(tagged.map((r) => r.Type)).toEqual(
      expect.arrayContaining([
        'AWS::Kinesis::Stream',
        'AWS::SQS::Queue',
        'AWS::S3::Bucket',
        'AWS::IAM::Role',
        'AWS::Lambda::Function',
        'AWS::KMS::Key',
        'AWS::SNS::Topic',
        'AWS::Logs::LogGroup',
      ]),
    );
    for (const resource of tagged) {
      expect(resource.Properties!.Tags, resource.Type).toEqual(
        expect.arrayContaining([
          { Key: 'stage', Value: 'dev' },
          { Key: 'service', Value: 'ride-duration-prediction' },
        ]),
      );
    }
  });

  it('grants no wildcard action and no resource "*"', () => {
    for (const statement of statements(template)) {
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    }
  });

  it("grants the function exactly the calls it makes: model reads, PutRecords, SendMessage, the mapping's reads, its logs", () => {
    const granted = statements(template).flatMap((s) => actionsOf(s).flatMap((a) => resources(s).map((r) => `${a} ${JSON.stringify(r)}`)));
    const ref = (prefix: string) => `{"Fn::GetAtt":["${prefix}`;
    const expected: [string, string][] = [
      ['logs:CreateLogStream', ref('PredictionLogs')],
      ['logs:PutLogEvents', ref('PredictionLogs')],
      ['s3:GetObject', '{"Fn::Join":["",[{"Fn::GetAtt":["ModelBucket'], // the run's artifacts: its model, a vectorizer beside it, its profile
      ['s3:ListBucket', ref('ModelBucket')],
      ['kinesis:PutRecords', ref('RidePredictions')],
      ['sqs:SendMessage', ref('DeadLetters')], // the handler's dead letters (SendMessageBatch)
      ['s3:PutObject', '{"Fn::Join":["",[{"Fn::GetAtt":["DeadLetterData'], // dead letters too large for SQS
      ['sqs:SendMessage', ref('FailedBatches')], // the mapping's on-failure destination
      ...['DescribeStream', 'DescribeStreamSummary', 'GetRecords', 'GetShardIterator', 'ListShards'].map((a): [string, string] => [
        `kinesis:${a}`,
        ref('RideEvents'),
      ]),
    ];
    expect(granted).toHaveLength(expected.length);
    for (const [action, resource] of expected)
      expect(
        granted.filter((g) => g.startsWith(`${action} ${resource}`)),
        action,
      ).toHaveLength(expected.filter(([a, r]) => a === action && r === resource).length);
    const actions = granted.map((g) => g.split(' ')[0]);
    for (const unused of [
      'kinesis:ListStreams',
      'kinesis:SubscribeToShard',
      'kinesis:DescribeStreamConsumer',
      'kinesis:PutRecord',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
    ]) {
      expect(actions).not.toContain(unused);
    }
    // One run's artifacts and nothing else of the bucket.
    const runArtifacts = `1/${DEMO_RUN_ID}/artifacts/`;
    expect(byAction(template, 's3:GetObject')[0].Resource).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^ModelBucket/), 'Arn'] }, `/${runArtifacts}*`]],
    });
    expect(byAction(template, 's3:ListBucket')[0].Condition).toEqual({ StringLike: { 's3:prefix': [`${runArtifacts}*`] } });
    expect(byAction(template, 's3:PutObject')[0].Resource).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^DeadLetterData/), 'Arn'] }, `/${DEAD_LETTER_PREFIX}*`]],
    });
  });

  it('keeps dead letters too large for SQS in a private bucket of their own, for 14 days', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 14, Status: 'Enabled' }] },
      ...PRIVATE_ENCRYPTED_BUCKET,
    });
    expect(functionEnv(template).DEAD_LETTER_BUCKET).toEqual({ Ref: expect.stringMatching(/^DeadLetterDataBucket/) });
  });

  const alarms = properties(template, 'AWS::CloudWatch::Alarm');
  const alarm = (name: string) => alarms.find((a) => a.AlarmName === `ride-duration-dev-${name}`);

  it("alarms on the function, both streams, the handler's undelivered records and both queues, to an encrypted topic", () => {
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual(
      [
        'DeadLetters',
        'DeadLettersLost',
        'Duration',
        'Errors',
        'FailedBatches',
        'InputReadThrottled',
        'InputWriteThrottled',
        'IteratorAge',
        'OutputThrottled',
        'TestRunRecords',
        'Throttles',
        'Undelivered',
        'FeatureDrift',
        'CategoricalDrift',
        'PredictionDrift',
      ]
        .sort()
        .map((n) => `ride-duration-dev-${n}`),
    );
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^OperationsAlarms/) }]);
    expect(alarm('IteratorAge')).toMatchObject({ MetricName: 'IteratorAge', Statistic: 'Maximum', Threshold: 60000 });
    expect(alarm('OutputThrottled')).toMatchObject({ Namespace: 'AWS/Kinesis', MetricName: 'PutRecords.ThrottledRecords' });
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'ride-duration-alarms-dev', KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('alarms on input-stream throttling, a duration near the timeout, and undelivered records', () => {
    const inputStream = { Name: 'StreamName', Value: { Ref: expect.stringMatching(/^RideEvents/) } };
    expect(alarm('InputReadThrottled')).toMatchObject({
      Namespace: 'AWS/Kinesis',
      MetricName: 'ReadProvisionedThroughputExceeded',
      Statistic: 'Sum',
      Threshold: 0,
      Dimensions: [inputStream],
    });
    expect(alarm('InputWriteThrottled')).toMatchObject({
      Namespace: 'AWS/Kinesis',
      MetricName: 'WriteProvisionedThroughputExceeded',
      Statistic: 'Sum',
      Threshold: 0,
      Dimensions: [inputStream],
    });
    // 80% of the 60 s timeout.
    expect(alarm('Duration')).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Duration', Statistic: 'Maximum', Threshold: 48_000 });
    expect(alarm('Undelivered')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC_NAMES.undelivered,
      Statistic: 'Sum',
      Threshold: 0,
      Dimensions: [{ Name: 'service', Value: 'ride-duration-prediction-dev' }],
    });
  });

  it("lets CloudWatch publish to the alarm topic for this stack's alarms only, and only over SSL", () => {
    const policies = properties(template, 'AWS::SNS::TopicPolicy');
    expect(policies).toHaveLength(1);
    const [deny, allow, ...rest] = policies[0].PolicyDocument.Statement as Statement[];
    expect(rest).toEqual([]);
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(allow).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: expect.stringMatching(/^OperationsAlarms/) },
    });
    expect(allow.Condition!.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    const sourceArns = (allow.Condition!.ArnLike['aws:SourceArn'] as { 'Fn::Join': [string, unknown[]] }[]).map((arn) =>
      JSON.stringify(arn),
    );
    expect(sourceArns).toEqual(
      alarms.map((a) =>
        JSON.stringify({
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':cloudwatch:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              `:alarm:${a.AlarmName}`,
            ],
          ],
        }),
      ),
    );
  });

  it('lets CloudWatch use the topic key for what publishing needs, for this account only', () => {
    const [key] = properties(template, 'AWS::KMS::Key');
    const forCloudWatch = (key.KeyPolicy.Statement as Statement[]).filter((s) => JSON.stringify(s.Principal).includes('cloudwatch'));
    expect(forCloudWatch).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    expect(key.EnableKeyRotation).toBe(true);
  });

  it("charts and alarms on the handler's metrics only under the names it emits", () => {
    const body = JSON.stringify(properties(template, 'AWS::CloudWatch::Dashboard')[0].DashboardBody);
    // A metric in the dashboard's JSON reads ["RideDurationPrediction","<name>","service",...].
    const charted = [...body.matchAll(new RegExp(`\\[\\\\"${METRICS_NAMESPACE}\\\\",\\\\"(\\w+)\\\\"`, 'g'))].map((m) => m[1]);
    const alarmed = alarms.filter((a) => a.Namespace === METRICS_NAMESPACE).map((a) => a.MetricName);
    expect(charted.length).toBeGreaterThan(0);
    expect(alarmed.sort()).toEqual(
      [METRIC_NAMES.deadLettersLost, METRIC_NAMES.testRunRecords, METRIC_NAMES.undelivered, ...Array(3).fill(METRIC_NAMES.drift)].sort(),
    );
    const emitted: string[] = Object.values(METRIC_NAMES);
    for (const name of [...charted, ...alarmed]) expect(emitted).toContain(name);
  });

  it('outputs the names and copy-paste commands for the next steps', () => {
    const outputs = template.toJSON().Outputs;
    for (const name of [
      'InputStreamName',
      'OutputStreamName',
      'DeadLetterQueueUrl',
      'FailedBatchQueueUrl',
      'FunctionName',
      'ModelLocation',
    ])
      expect(outputs[name]).toBeDefined();
    const command = JSON.stringify(outputs.PutRecordCommand.Value);
    expect(command).toContain('aws kinesis put-record --stream-name ');
    expect(command).toContain('--cli-binary-format raw-in-base64-out --data');
    expect(command).toContain('\\"ride_id\\":256');
    expect(JSON.stringify(outputs.ReadPredictionsCommand.Value)).toContain('aws kinesis get-shard-iterator --stream-name ');
    expect(JSON.stringify(outputs.UploadDemoModelCommand.Value)).toMatch(
      new RegExp(
        `^\\{"Fn::Join":\\["",\\["aws s3 cp --recursive models/demo s3://",\\{"Ref":"ModelBucket\\w+"\\},"/1/${DEMO_RUN_ID}/artifacts/"\\]\\]\\}$`,
      ),
    );
    expect(outputs.UploadModelCommand).toBeUndefined();
  });
});

describe('the ready-made commands of the outputs', () => {
  it('pass --endpoint-url when the app is deployed to another endpoint (AWS_ENDPOINT_URL), as the AWS CLI v2.9 ignores that variable', () => {
    const commands = (template: Template) => {
      const outputs = template.toJSON().Outputs;
      return ['UploadDemoModelCommand', 'PutRecordCommand', 'ReadPredictionsCommand'].map((key) => JSON.stringify(outputs[key].Value));
    };
    const plain = commands(synth().template);
    for (const command of plain) expect(command).not.toContain('--endpoint-url');
    process.env.AWS_ENDPOINT_URL = 'http://localhost:5000';
    try {
      const [upload, put, read] = commands(synth().template);
      expect(upload).toContain('"aws --endpoint-url http://localhost:5000 s3 cp --recursive models/demo s3://"');
      expect(put).toContain('"aws --endpoint-url http://localhost:5000 kinesis put-record --stream-name "');
      // Both calls of the pipeline: get-shard-iterator inside get-records.
      expect(read.match(/aws --endpoint-url http:\/\/localhost:5000 kinesis /g)).toHaveLength(2);
    } finally {
      delete process.env.AWS_ENDPOINT_URL;
    }
  });
});

describe('context keys', () => {
  it('warns at synth of a key that is not a setting, naming the closest one, and of nothing else', () => {
    const { stack } = synth({ memorysize: 1024, stage: 'dev' });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('is not a setting of this app'));
    expect(warnings.map((w) => w.entry.data)).toEqual([
      'context memorysize is not a setting of this app and is ignored: did you mean memorySize? [ack: ride-duration:unknown-context-key]',
    ]);
  });
});

describe('drift monitoring and the archive', () => {
  it('alarms on Drift by kind, each at its threshold (context keys, PSI 0.2 and Jensen-Shannon 0.1 by default)', () => {
    const driftAlarms = (template: Template) =>
      Object.fromEntries(
        properties(template, 'AWS::CloudWatch::Alarm')
          .filter((a) => a.MetricName === METRIC_NAMES.drift)
          .map((a) => [
            (a.Dimensions as { Name: string; Value: string }[]).find((d) => d.Name === 'Kind')!.Value,
            { threshold: a.Threshold, period: a.Period, statistic: a.Statistic, name: a.AlarmName },
          ]),
      );
    const { template } = synth();
    expect(driftAlarms(template)).toEqual({
      numeric: { threshold: 0.2, period: 900, statistic: 'Maximum', name: 'ride-duration-dev-FeatureDrift' },
      categorical: { threshold: 0.1, period: 900, statistic: 'Maximum', name: 'ride-duration-dev-CategoricalDrift' },
      prediction: { threshold: 0.2, period: 900, statistic: 'Maximum', name: 'ride-duration-dev-PredictionDrift' },
    });
    // The function's defaults are the same: no variable set.
    expect(functionEnv(template).DRIFT_PSI_THRESHOLD).toBeUndefined();
    const tuned = synth({ driftPsiThreshold: '0.25', driftJsThreshold: '0.15' }).template;
    expect(driftAlarms(tuned)).toMatchObject({
      numeric: { threshold: 0.25 },
      categorical: { threshold: 0.15 },
      prediction: { threshold: 0.25 },
    });
    expect(functionEnv(tuned)).toMatchObject({ DRIFT_PSI_THRESHOLD: '0.25', DRIFT_JS_THRESHOLD: '0.15' });
    expect(() => synth({ driftJsThreshold: '2' })).toThrow(/context driftJsThreshold: expected a number above 0 and at most 1, got "2"/);
  });

  it('reads a reference profile elsewhere (referenceLocation), granted that one object, or turns drift off', () => {
    const { template } = synth({
      modelLocation: 's3://team-mlflow/4/models/m-0a1b2c/artifacts/',
      referenceLocation: 's3://team-refs/ride/profile.json',
    });
    expect(functionEnv(template).REFERENCE_LOCATION).toBe('s3://team-refs/ride/profile.json');
    expect(byAction(template, 's3:GetObject').flatMap(resources)).toContainEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::team-refs/ride/profile.json']],
    });
    expect(functionEnv(synth({ referenceLocation: 'none' }).template).REFERENCE_LOCATION).toBe('none');
    expect(() => synth({ referenceLocation: 's3://team-refs/ride/' })).toThrow(
      /context referenceLocation: expected s3:\/\/<bucket>\/<key of a profile> or none/,
    );
  });

  it('charts drift by feature and the percentiles of the predictions', () => {
    const body = JSON.stringify(properties(synth().template, 'AWS::CloudWatch::Dashboard')[0].DashboardBody);
    expect(body).toMatch(
      /SEARCH\('\{RideDurationPrediction,Feature,service\} MetricName=\\+"Drift\\+" service=\\+"ride-duration-prediction-dev\\+"', 'Maximum', 900\)/,
    );
    for (const p of ['p10', 'p50', 'p90', 'p99']) expect(body).toContain(`\\"stat\\":\\"${p}\\"`);
    expect(body).toContain(`\\"${METRIC_NAMES.predictionMean}\\"`);
  });

  it('archives every prediction only when asked, and by default for prod: Firehose from the output stream to a private bucket, JSON lines by date', () => {
    synth().template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
    for (const context of [{ archive: 'true' }, { stage: 'prod', alarmEmail: 'oncall@example.com' }] as Record<string, string>[]) {
      const { template } = synth(context);
      const stage = context.stage ?? 'dev';
      template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        DeliveryStreamName: `ride-predictions-archive-${stage}`,
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: { KinesisStreamARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RidePredictions'), 'Arn'] } },
        ExtendedS3DestinationConfiguration: Match.objectLike({
          BucketARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ArchiveBucket'), 'Arn'] },
          Prefix: 'predictions/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
          ErrorOutputPrefix: Match.stringLikeRegexp('^errors/!\\{firehose:error-output-type\\}/'),
          CompressionFormat: 'GZIP',
          ProcessingConfiguration: { Enabled: true, Processors: [Match.objectLike({ Type: 'AppendDelimiterToRecord' })] },
        }),
      });
      template.hasResourceProperties('AWS::S3::Bucket', {
        ...PRIVATE_ENCRYPTED_BUCKET,
        LifecycleConfiguration: { Rules: [Match.objectLike({ Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }] })] },
      });
      expect(template.toJSON().Outputs.ListArchiveCommand).toBeDefined();
    }
    expect(
      synth({ stage: 'prod', archive: 'false', alarmEmail: 'oncall@example.com' }).template.toJSON().Outputs.ArchiveBucketName,
    ).toBeUndefined();
  });
});

describe('configured from context', () => {
  it("serves a run from an existing MLflow bucket, reading only that run's model, with no upload command", () => {
    const { template } = synth({ modelBucket: 'team-mlflow', runId: 'abc123', experimentId: '4' });
    template.resourceCountIs('AWS::S3::Bucket', 1); // the dead-letter data bucket only
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { RUN_ID: 'abc123', MODEL_BUCKET: 'team-mlflow', MLFLOW_EXPERIMENT_ID: '4' } },
    });
    expect(functionEnv(template).MODEL_LOCATION).toBeUndefined();
    const read = byAction(template, 's3:GetObject')[0];
    expect(read.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::team-mlflow/4/abc123/artifacts/*']] });
    const outputs = template.toJSON().Outputs;
    expect(Object.keys(outputs).filter((k) => k.startsWith('Upload'))).toEqual([]);
    expect(outputs.ModelLocation.Value).toBe('s3://team-mlflow/4/abc123/artifacts/model/');
    expect(actionsOfService(template, 'kms:')).toEqual([]);
  });

  it("serves a model logged at another artifact path (the course's models_mlflow), granted the run's artifacts", () => {
    const { template } = synth({ modelBucket: 'team-mlflow', runId: 'abc123', modelArtifactPath: 'models_mlflow' });
    expect(functionEnv(template)).toMatchObject({ RUN_ID: 'abc123', MODEL_ARTIFACT_PATH: 'models_mlflow' });
    expect(template.toJSON().Outputs.ModelLocation.Value).toBe('s3://team-mlflow/1/abc123/artifacts/models_mlflow/');
    expect(byAction(template, 's3:GetObject')[0].Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::team-mlflow/1/abc123/artifacts/*']],
    });
    expect(functionEnv(synth({ modelBucket: 'team-mlflow', runId: 'abc123' }).template).MODEL_ARTIFACT_PATH).toBeUndefined();
    for (const bad of ['../other-run', 'a//b', '.']) {
      expect(() => synth({ modelBucket: 'team-mlflow', runId: 'abc123', modelArtifactPath: bad })).toThrow(/context modelArtifactPath/);
    }
    expect(() => synth({ modelLocation: 's3://team-mlflow/x/', modelArtifactPath: 'model' })).toThrow(
      /context modelArtifactPath: not with modelLocation/,
    );
  });

  it("with a new bucket and another run, says how to upload that run's model, never the demo's", () => {
    const { template } = synth({ runId: 'f00dcafe' });
    const outputs = template.toJSON().Outputs;
    expect(outputs.UploadDemoModelCommand).toBeUndefined();
    expect(JSON.stringify(outputs.UploadModelCommand.Value)).toMatch(
      /^\{"Fn::Join":\["",\["aws s3 cp --recursive mlruns\/1\/f00dcafe\/artifacts\/ s3:\/\/",\{"Ref":"ModelBucket\w+"\},"\/1\/f00dcafe\/artifacts\/"\]\]\}$/,
    );
    expect(JSON.stringify(template.toJSON())).not.toContain(DEMO_RUN_ID);
  });

  it("grants kms:Decrypt on the MLflow bucket's key only, through S3 only", () => {
    const keyArn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const { template } = synth({ modelBucket: 'team-mlflow', runId: 'abc123', modelBucketKeyArn: keyArn });
    const kms = statements(template).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
    expect(kms).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: keyArn,
        Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
      },
    ]);
  });

  describe('modelLocation', () => {
    it('serves a prefix (MLflow 3 layout) through MODEL_LOCATION, reading only under it, with runId optional', () => {
      const location = 's3://team-mlflow/4/models/m-0a1b2c/artifacts/';
      const { template } = synth({ modelLocation: location });
      template.resourceCountIs('AWS::S3::Bucket', 1); // the dead-letter data bucket only
      const env = functionEnv(template);
      expect(env.MODEL_LOCATION).toBe(location);
      for (const unset of ['RUN_ID', 'MODEL_BUCKET', 'MLFLOW_EXPERIMENT_ID']) expect(env[unset], unset).toBeUndefined();
      expect(byAction(template, 's3:GetObject').flatMap(resources)).toEqual([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::team-mlflow/4/models/m-0a1b2c/artifacts/*']] },
      ]);
      const list = byAction(template, 's3:ListBucket');
      expect(list.map((s) => s.Condition)).toEqual([{ StringLike: { 's3:prefix': ['4/models/m-0a1b2c/artifacts/*'] } }]);
      expect(list.flatMap(resources)).toEqual([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::team-mlflow']] }]);
      const outputs = template.toJSON().Outputs;
      expect(outputs.ModelLocation.Value).toBe(location);
      expect(Object.keys(outputs).filter((k) => k.startsWith('Upload'))).toEqual([]);
    });

    it('serves a single model file, or a directory of that name, and nothing beside them', () => {
      const { template } = synth({ modelLocation: 's3://team-mlflow/web/lin_reg.pkl', runId: 'label-1' });
      expect(functionEnv(template)).toMatchObject({ MODEL_LOCATION: 's3://team-mlflow/web/lin_reg.pkl', RUN_ID: 'label-1' });
      const arn = (key: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::team-mlflow/${key}`]] });
      expect(byAction(template, 's3:GetObject').flatMap(resources)).toEqual([arn('web/lin_reg.pkl'), arn('web/lin_reg.pkl/*')]);
      expect(byAction(template, 's3:ListBucket')[0].Condition).toEqual({
        StringLike: { 's3:prefix': ['web/lin_reg.pkl', 'web/lin_reg.pkl/*'] },
      });
    });

    it.each([
      ['s3://team-mlflow/models/*', 'context modelLocation: "s3://team-mlflow/models/*": each part of the path'],
      ['s3://team-mlflow/models/m-?/', 'got "m-?"'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, which would widen the grant.
      ['s3://team-mlflow/${aws:username}/model.pkl', 'each part of the path'],
      ['s3://team-mlflow/a/../b/', 'got ".."'],
      ['s3://team-mlflow/a//b/', 'got ""'],
      ['s3://team-mlflow/a b/', 'got "a b"'],
      ['/opt/model', 'expected s3://<bucket>/<prefix>/ or s3://<bucket>/<key of a model file>'],
      ['s3://', 'expected s3://<bucket>/<prefix>/'],
      ['s3://Team_MLflow/model/', '"Team_MLflow" is not an S3 bucket name'],
    ])('refuses modelLocation %s, which would widen the grant or cannot be read', (modelLocation, message) => {
      expect(() => addRideDurationStack(newApp({ modelLocation }))).toThrow(message);
    });
  });

  it.each<[Context, string, string]>([
    [{ modelBucket: 'team-mlflow', runId: 'abc123', experimentId: '4' }, 'team-mlflow', '4/abc123/artifacts/model/'],
    [
      { modelBucket: 'team-mlflow', runId: 'abc123', modelArtifactPath: 'models_mlflow' },
      'team-mlflow',
      '1/abc123/artifacts/models_mlflow/',
    ],
    [{ modelLocation: 's3://team-mlflow/4/models/m-0a1b2c/artifacts/' }, 'team-mlflow', '4/models/m-0a1b2c/artifacts/'],
    [{ modelLocation: 's3://team-mlflow/web/lin_reg.pkl', runId: 'label-1' }, 'team-mlflow', 'web/lin_reg.pkl'],
    [{ modelLocation: 's3://team-mlflow' }, 'team-mlflow', ''],
  ])('configures the function to read %o where the stack grants it (one rule for the location on both sides)', (context, bucket, path) => {
    const { template } = synth(context);
    // The model's variables as the stack sets them (the others are references to its resources).
    const model = Object.entries(functionEnv(template)).filter(([name]) =>
      ['RUN_ID', 'MODEL_BUCKET', 'MLFLOW_EXPERIMENT_ID', 'MODEL_ARTIFACT_PATH', 'MODEL_LOCATION'].includes(name),
    );
    const config = parseConfig({ ...Object.fromEntries(model), TEST_RUN: 'true' });
    expect(config.model.location).toEqual({ kind: 's3', bucket, path });
    // The keys granted in that bucket: the model's own, or a prefix (`*`) that holds it.
    const granted = byAction(template, 's3:GetObject')
      .flatMap(resources)
      .map((r) => JSON.stringify(r).match(new RegExp(`:s3:::${bucket}/([^"]*)"`))?.[1])
      .filter((key) => key !== undefined);
    const holds = (key: string) => key === path || (key.endsWith('*') && path.startsWith(key.slice(0, -1)));
    expect(granted.some(holds), granted.join(' ')).toBe(true);
  });

  it('deploys stages side by side under their own names', () => {
    const stg = synth({ stage: 'stg' });
    const prod = synth({ stage: 'prod', alarmEmail: 'oncall@example.com' });
    expect([stg.stack.stackName, prod.stack.stackName]).toEqual(['RideDuration-stg', 'RideDuration-prod']);
    prod.template.hasResourceProperties('AWS::Kinesis::Stream', { Name: 'ride_events-prod' });
    stg.template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'ride-duration-prediction-stg' });
    stg.template.hasResourceProperties('AWS::Lambda::Function', { Tags: Match.arrayWith([{ Key: 'stage', Value: 'stg' }]) });
  });

  describe('the prod stage', () => {
    const { stack, template } = synth({ stage: 'prod' });

    it('keeps its streams, queues, logs and keys on destroy, and is protected from it', () => {
      expect(stack.terminationProtection).toBe(true);
      for (const type of ['AWS::Kinesis::Stream', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup', 'AWS::KMS::Key', 'AWS::S3::Bucket']) {
        for (const resource of Object.values(template.findResources(type))) expect(resource.DeletionPolicy, type).toBe('Retain');
      }
    });

    it('warns at synth when its alarms reach nobody, and not when they reach someone', () => {
      const warnings = (s: typeof stack) => Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('no alarm subscriber'));
      expect(warnings(stack)).toHaveLength(1);
      expect(warnings(stack)[0].entry.data).toContain('-c alarmEmail=');
      expect(warnings(synth({ stage: 'prod', alarmEmail: 'oncall@example.com' }).stack)).toHaveLength(0);
      expect(warnings(synth({ stage: 'prod', alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:oncall' }).stack)).toHaveLength(0);
      expect(warnings(synth({ stage: 'stg' }).stack)).toHaveLength(0);
    });

    it('can be made to remove its data on destroy, explicitly', () => {
      const { template: destroyable } = synth({ stage: 'prod', alarmEmail: 'oncall@example.com', removalPolicy: 'destroy' });
      for (const resource of Object.values(destroyable.findResources('AWS::Kinesis::Stream')))
        expect(resource.DeletionPolicy).toBe('Delete');
    });
  });

  it('packages as a zip on x86_64 from the same bundle', () => {
    const { template } = synth({ packaging: 'zip', architecture: 'x86_64' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Architectures: ['x86_64'],
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
    });
  });

  it('switches packaging on a deployed stage: a new function beside the old, the mapping and its log group kept', () => {
    const image = synth({ stage: 'stg' }).template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    const zip = synth({ stage: 'stg', packaging: 'zip' }).template.toJSON().Resources as typeof image;
    const of = (resources: typeof image, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
    const [[imageId, imageFn]] = of(image, 'AWS::Lambda::Function');
    const [[zipId, zipFn]] = of(zip, 'AWS::Lambda::Function');
    expect([imageFn.Properties.PackageType, zipFn.Properties.PackageType]).toEqual(['Image', undefined]);
    // The same logical id under another name: CloudFormation creates the new function, then deletes the old.
    expect(zipId).toBe(imageId);
    expect([imageFn.Properties.FunctionName, zipFn.Properties.FunctionName]).toEqual([
      'ride-duration-prediction-stg',
      'ride-duration-prediction-stg-zip',
    ]);
    // The mapping is updated in place to the new function (FunctionName is not create-only): it keeps its position.
    const [[imageMapping, a]] = of(image, 'AWS::Lambda::EventSourceMapping');
    const [[zipMapping, b]] = of(zip, 'AWS::Lambda::EventSourceMapping');
    expect(zipMapping).toBe(imageMapping);
    expect(b.Properties.StartingPosition).toBe(a.Properties.StartingPosition);
    expect(of(zip, 'AWS::Logs::LogGroup').map(([, r]) => r.Properties.LogGroupName)).toEqual(['/aws/lambda/ride-duration-prediction-stg']);
  });

  /** The default stg stage as deployed, which the changes below are deployed over: synthesized once. */
  let deployed: TemplateJson | undefined;
  const deployedStage = (): TemplateJson => {
    deployed ??= synth({ stage: 'stg' }).template.toJSON() as TemplateJson;
    return structuredClone(deployed);
  };

  it.each<Context>([
    { packaging: 'zip' },
    { startingPosition: 'LATEST' },
    { packaging: 'zip', startingPosition: 'LATEST' },
    { architecture: 'x86_64', memorySize: 256, timeoutSeconds: 120, reservedConcurrency: 3, tracing: 'active' },
    { inputCapacity: 'on-demand', outputCapacity: 3, retentionHours: 48, logRetentionDays: 90 },
    { batchSize: 100, batchingWindowSeconds: 0, parallelizationFactor: 2, retryAttempts: 3, maxRecordAgeSeconds: 3600 },
    { alarmEmail: 'oncall@example.com' },
    { alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:oncall' },
    { modelBucket: 'team-mlflow', runId: 'abc123' },
    { modelLocation: 's3://team-mlflow/4/models/m-0a1b2c/artifacts/' },
    { runId: 'f00dcafe', experimentId: '7' },
    { removalPolicy: 'retain' },
  ])('deploys %o over a deployed default stage without replacing a named resource under its own name', (context) => {
    const before = deployedStage();
    const after = synth({ stage: 'stg', ...context }).template.toJSON() as TemplateJson;
    expect(replacementCollisions(before, after)).toEqual([]);
    expect(replacementCollisions(after, before)).toEqual([]);
  });

  it('catches a replacement that would collide (the check above can fail)', () => {
    const before = deployedStage();
    const after = structuredClone(before);
    const [fn] = Object.values(after.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    fn.Properties!.PackageType = 'Zip'; // a packaging switch under the same name
    const [mapping] = Object.values(after.Resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    mapping.Properties!.StartingPosition = 'LATEST'; // a new mapping beside the old, on the same function
    expect(replacementCollisions(before, after)).toEqual([
      expect.stringContaining('AWS::Lambda::Function ride-duration-prediction-stg: PackageType changes'),
      expect.stringContaining('AWS::Lambda::EventSourceMapping: StartingPosition changes'),
    ]);
    expect(Object.keys(CREATE_ONLY)).toContain('AWS::Lambda::Function');
  });

  it('sizes streams, the function and the event source mapping', () => {
    const { template } = synth({
      inputCapacity: 'on-demand',
      outputCapacity: 4,
      retentionHours: 48,
      memorySize: 1024,
      timeoutSeconds: 30,
      reservedConcurrency: 5,
      logRetentionDays: 90,
      batchSize: 100,
      batchingWindowSeconds: 0,
      parallelizationFactor: 2,
      startingPosition: 'LATEST',
      retryAttempts: 3,
      maxRecordAgeSeconds: 3600,
    });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'ride_events-dev',
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 48,
    });
    template.hasResourceProperties('AWS::Kinesis::Stream', { Name: 'ride_predictions-dev', ShardCount: 4 });
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024, Timeout: 30, ReservedConcurrentExecutions: 5 });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      ParallelizationFactor: 2,
      StartingPosition: 'LATEST',
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'ride-duration-dev-Duration', Threshold: 24_000 });
  });

  it('keeps V8 young generation small for a function of 256 MB or less', () => {
    synth({ memorySize: 128 }).template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 128,
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=2' } },
    });
  });

  it('turns on X-Ray active tracing when asked', () => {
    const { template } = synth({ tracing: 'active' });
    template.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    expect(byAction(template, 'xray:PutTraceSegments')).toHaveLength(1);
  });

  it('subscribes an email to the alarms when one is given', () => {
    synth({ alarmEmail: 'oncall@example.com' }).template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('sends the alarms to an existing topic, and makes no topic or key of its own', () => {
    const topicArn = 'arn:aws:sns:us-east-1:111122223333:oncall';
    const { template } = synth({ alarmTopicArn: topicArn });
    for (const type of ['AWS::SNS::Topic', 'AWS::SNS::TopicPolicy', 'AWS::KMS::Key', 'AWS::SNS::Subscription'])
      template.resourceCountIs(type, 0);
    const alarms = properties(template, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(15);
    for (const a of alarms) expect(a.AlarmActions).toEqual([topicArn]);
  });

  it('refuses an alarm topic in another region than the one the stack deploys to', () => {
    const region = process.env.CDK_DEFAULT_REGION;
    process.env.CDK_DEFAULT_REGION = 'eu-west-1';
    try {
      const context = { alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:oncall' };
      expect(() => addRideDurationStack(newApp(context))).toThrow(
        'context alarmTopicArn: the topic is in us-east-1, the stack deploys to eu-west-1',
      );
      expect(() => addRideDurationStack(newApp({ alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:oncall' }))).not.toThrow();
    } finally {
      if (region === undefined) delete process.env.CDK_DEFAULT_REGION;
      else process.env.CDK_DEFAULT_REGION = region;
    }
  });

  it.each([
    [{ modelBucket: 'team-mlflow' }, 'context runId: required with modelBucket'],
    [{ modelLocation: 's3://team-mlflow/m/', modelBucket: 'team-mlflow' }, 'context modelBucket: not with modelLocation'],
    [{ modelLocation: 's3://team-mlflow/m/', experimentId: '3' }, 'context experimentId: not with modelLocation'],
    [
      { modelBucketKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
      'context modelBucketKeyArn: only with modelBucket or modelLocation',
    ],
    [
      { modelBucket: 'b-1', runId: 'r', modelBucketKeyArn: 'arn:aws:kms:us-east-1:111122223333:alias/mlflow' },
      'context modelBucketKeyArn: expected a KMS key ARN',
    ],
    [{ modelBucket: 'b-1', runId: 'r', modelBucketKeyArn: '*' }, 'context modelBucketKeyArn: expected a KMS key ARN'],
    [{ alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:oncall.fifo' }, 'context alarmTopicArn: expected a standard SNS topic ARN'],
    [{ alarmTopicArn: 'oncall' }, 'context alarmTopicArn: expected a standard SNS topic ARN'],
    [
      { alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:oncall', alarmEmail: 'a@example.com' },
      'context alarmEmail: not with alarmTopicArn',
    ],
    [{ tracing: 'on' }, 'context tracing: expected one of off, active, got "on"'],
    [{ removalPolicy: 'snapshot' }, 'context removalPolicy: expected one of destroy, retain'],
    [{ packaging: 'wheel' }, 'context packaging: expected one of image, zip, got "wheel"'],
    [{ architecture: 'arm' }, 'context architecture: expected one of arm64, x86_64'],
    [{ batchSize: 0 }, 'context batchSize: expected an integer from 1 to 10000, got "0"'],
    [{ inputCapacity: 'lots' }, 'context inputCapacity: expected an integer from 1 to 500, got "lots"'],
    [{ logRetentionDays: 10 }, 'context logRetentionDays: 10 is not a CloudWatch Logs retention'],
    [{ stage: 'Prod!' }, 'context stage:'],
    [{ runId: '../other' }, 'context runId:'],
    [{ maxRecordAgeSeconds: 172800 }, "context maxRecordAgeSeconds: longer than the streams' retention"],
    [{ modelBucket: 'Team_MLflow', runId: 'r' }, 'context modelBucket: "Team_MLflow" is not an S3 bucket name'],
    [{ modelBucket: 'team..mlflow', runId: 'r' }, 'context modelBucket: "team..mlflow" is not an S3 bucket name'],
  ])('refuses %o, naming the context key', (context, message) => {
    expect(() => addRideDurationStack(newApp(context))).toThrow(SettingsError);
    expect(() => addRideDurationStack(newApp(context))).toThrow(message);
  });
});

describe('cdk-nag (AWS Solutions)', () => {
  it.each<Record<string, string>>([
    {},
    { packaging: 'zip', tracing: 'active' },
    {
      modelBucket: 'team-mlflow',
      runId: 'r1',
      modelBucketKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    },
    { modelLocation: 's3://team-mlflow/web/model.pkl', stage: 'prod', alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:oncall' },
    { archive: 'true', driftPsiThreshold: '0.3' },
  ])('passes for %o, every acknowledgement with a reason', (context) => {
    const { app } = synth(context);
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) expect(reason.length, id).toBeGreaterThan(20);
  });

  it('fails synth on a finding nobody acknowledged', () => {
    const app = newApp();
    const stack = addRideDurationStack(app);
    // An unacknowledged wildcard grant, as a careless change would add.
    const role = stack.node.findAll().find((c): c is Role => c instanceof Role)!;
    role.addToPolicy(new PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
    expect(() => app.synth()).toThrow(/The IAM entity contains wildcard permissions/);
  });
});

describe("the function's code", () => {
  type AssetsManifest = {
    files: Record<string, { source: { path: string; packaging: string } }>;
    dockerImages: Record<string, { source: { directory: string } }>;
  };
  const assetsOf = (app: App, stack: { artifactId: string }): AssetsManifest =>
    JSON.parse(readFileSync(join(app.outdir, `${stack.artifactId}.assets.json`), 'utf8'));
  const filesIn = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort();
  /** What the CDK says as it bundles an asset, on stderr (kept out of the test's output). */
  const bundlingSaid = <T>(run: () => T): { result: T; said: string[] } => {
    const said: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      said.push(String(chunk));
      return true;
    });
    try {
      return { result: run(), said: said.filter((line) => line.startsWith('Bundling asset')) };
    } finally {
      write.mockRestore();
    }
  };

  it('is the handler bundle of npm run build, made in this process when the asset is staged, in the zip and the image alike', () => {
    const expected = mkdtempSync(join(tmpdir(), 'bundle-'));
    outdirs.push(expected);
    bundleHandler(expected);
    const sameAs = (dir: string, file: string) => readFileSync(join(dir, file)).equals(readFileSync(join(expected, file)));
    // Where local bundling declined, the CDK would run Docker: there is none to run.
    process.env.CDK_DOCKER = '/nonexistent/docker';
    try {
      const { result: zip, said } = bundlingSaid(() => synth({ packaging: 'zip' }, { bundling: true }));
      expect(said).toEqual(['Bundling asset RideDuration-dev/Prediction/Function/Code/Stage...\n']);
      const [zipAsset] = Object.entries(assetsOf(zip.app, zip.stack).files).filter(([, a]) => a.source.packaging === 'zip');
      const [hash, { source }] = zipAsset;
      zip.template.hasResourceProperties('AWS::Lambda::Function', { Code: { S3Key: `${hash}.zip` } });
      const zipDir = join(zip.app.outdir, source.path);
      expect(filesIn(zipDir)).toEqual(['index.mjs', 'index.mjs.map']);
      for (const file of ['index.mjs', 'index.mjs.map']) expect(sameAs(zipDir, file), file).toBe(true);

      const { result: image, said: saidForImage } = bundlingSaid(() => synth({}, { bundling: true }));
      expect(saidForImage).toEqual(['Bundling asset RideDuration-dev/Prediction/ImageContext...\n']);
      const [{ source: context }] = Object.values(assetsOf(image.app, image.stack).dockerImages);
      const contextDir = join(image.app.outdir, context.directory);
      expect(filesIn(contextDir)).toEqual(expect.arrayContaining(['Dockerfile', 'dist/index.mjs', 'dist/index.mjs.map']));
      expect(readFileSync(join(contextDir, 'Dockerfile'), 'utf8')).toBe(readFileSync('lambda/Dockerfile', 'utf8'));
      for (const file of ['index.mjs', 'index.mjs.map']) expect(sameAs(join(contextDir, 'dist'), file), file).toBe(true);
    } finally {
      delete process.env.CDK_DOCKER;
    }
  });

  it('is not bundled where bundling is skipped, as cdk ls and cdk destroy skip it', () => {
    for (const packaging of ['image', 'zip']) {
      const { result: app, said } = bundlingSaid(() => synth({ packaging }).app);
      expect(said, packaging).toEqual([]);
      const staged = readdirSync(app.outdir).filter((name) => name.startsWith('asset.'));
      for (const name of staged) expect(filesIn(join(app.outdir, name)), name).not.toContain('index.mjs');
      expect(
        filesIn(app.outdir).filter((f) => f.endsWith('index.mjs')),
        packaging,
      ).toEqual([]);
    }
  });
});

describe('every stack synthesized above', () => {
  it('never sets TEST_RUN: a deployed function always writes its predictions and dead letters', () => {
    expect(synthesized.length).toBeGreaterThan(20);
    for (const { context, template } of synthesized) {
      expect(Object.keys(functionEnv(template)), JSON.stringify(context)).not.toContain('TEST_RUN');
      expect(functionEnv(template).DEAD_LETTER_QUEUE_URL, JSON.stringify(context)).toBeDefined();
    }
  });
});
