/** The CDK app synthesized in-process (no Docker, no AWS account), checked resource by resource. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { addRideDurationStack } from '../lib/app';
import { SettingsError } from '../lib/stack-settings';
import { DEMO_RUN_ID } from '../models/demo-model';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function synth(context: Record<string, string | number> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-'));
  outdirs.push(outdir);
  const app = new App({ context, outdir });
  const stack = addRideDurationStack(app);
  // Synthesizing the app runs the cdk-nag plugin; a finding not acknowledged throws here.
  app.synth();
  return { app, stack, template: Template.fromStack(stack) };
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

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

  it('runs the handler as an arm64 container image configured by the design contract', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'ride-duration-prediction-dev',
      PackageType: 'Image',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 60,
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
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/ride-duration-prediction-dev', RetentionInDays: 30 });
  });

  it('maps the input stream with batch item failures, bisection, bounded retries and an on-failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RideEvents'), 'Arn'] },
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
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      },
    });
    expect(JSON.stringify(template.findResources('AWS::S3::BucketPolicy'))).toContain('"aws:SecureTransport":"false"');
  });

  it('grants no wildcard action and no resource "*"', () => {
    for (const statement of statements(template)) {
      for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    }
  });

  it('lets the function read only the served model, write only the output stream and queues, read only the input', () => {
    const byAction = (action: string) => statements(template).filter((s) => [s.Action].flat().includes(action));
    const modelPrefix = `/1/${DEMO_RUN_ID}/artifacts/model/*`;
    expect(byAction('s3:GetObject').map((s) => s.Resource)).toEqual([
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^ModelBucket/), 'Arn'] }, modelPrefix]] },
    ]);
    expect(byAction('s3:ListBucket')[0].Condition).toEqual({ StringLike: { 's3:prefix': [`1/${DEMO_RUN_ID}/artifacts/model/*`] } });
    expect(JSON.stringify(byAction('kinesis:PutRecords').map((s) => s.Resource))).toMatch(/^\[\{"Fn::GetAtt":\["RidePredictions\w+","Arn"\]\}\]$/);
    expect(JSON.stringify(byAction('kinesis:GetRecords').map((s) => s.Resource))).toMatch(/^\[\{"Fn::GetAtt":\["RideEvents\w+","Arn"\]\}\]$/);
    // The dead-letter queue for the handler; the failed-batches queue for the event source mapping.
    const queues = byAction('sqs:SendMessage').flatMap((s) => [s.Resource].flat()) as { 'Fn::GetAtt': [string, string] }[];
    expect(queues.map((q) => q['Fn::GetAtt'][0].replace(/Queue\w+$/, '')).sort()).toEqual(['DeadLetters', 'FailedBatches']);
    const actions = statements(template).flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith('s3:'))).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(actions.filter((a) => /^kinesis:Put/.test(a))).toEqual(['kinesis:PutRecord', 'kinesis:PutRecords']);
  });

  it('alarms on iterator age, errors, throttles, output throttling and both queues, to an encrypted topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual(
      ['DeadLetters', 'Errors', 'FailedBatches', 'IteratorAge', 'OutputThrottled', 'Throttles'].map((n) => `ride-duration-dev-${n}`),
    );
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^OperationsAlarms/) }]);
    expect(alarms.find((a) => a.AlarmName.endsWith('IteratorAge'))).toMatchObject({ MetricName: 'IteratorAge', Statistic: 'Maximum', Threshold: 60000 });
    expect(alarms.find((a) => a.AlarmName.endsWith('OutputThrottled'))).toMatchObject({ Namespace: 'AWS/Kinesis', MetricName: 'PutRecords.ThrottledRecords' });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('outputs the names and copy-paste commands for the next steps', () => {
    const outputs = template.toJSON().Outputs;
    for (const name of ['InputStreamName', 'OutputStreamName', 'DeadLetterQueueUrl', 'FunctionName', 'ModelLocation']) expect(outputs[name]).toBeDefined();
    const command = JSON.stringify(outputs.PutRecordCommand.Value);
    expect(command).toContain('aws kinesis put-record --stream-name ');
    expect(command).toContain('--cli-binary-format raw-in-base64-out --data');
    expect(command).toContain('\\"ride_id\\":256');
    expect(JSON.stringify(outputs.ReadPredictionsCommand.Value)).toContain('aws kinesis get-shard-iterator --stream-name ');
  });
});

describe('configured from context', () => {
  it('serves a run from an existing MLflow bucket, reading only that run\'s model', () => {
    const { template } = synth({ modelBucket: 'team-mlflow', runId: 'abc123', experimentId: '4' });
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { RUN_ID: 'abc123', MODEL_BUCKET: 'team-mlflow', MLFLOW_EXPERIMENT_ID: '4' } } });
    const read = statements(template).find((s) => s.Action === 's3:GetObject');
    expect(read?.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::team-mlflow/4/abc123/artifacts/model/*']] });
  });

  it('deploys stages side by side under their own names', () => {
    const stg = synth({ stage: 'stg' });
    const prod = synth({ stage: 'prod' });
    expect([stg.stack.stackName, prod.stack.stackName]).toEqual(['RideDuration-stg', 'RideDuration-prod']);
    prod.template.hasResourceProperties('AWS::Kinesis::Stream', { Name: 'ride_events-prod' });
    stg.template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'ride-duration-prediction-stg' });
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

  it('sizes streams, the function and the event source mapping', () => {
    const { template } = synth({
      inputCapacity: 'on-demand', outputCapacity: 4, retentionHours: 48, memorySize: 1024, timeoutSeconds: 30, reservedConcurrency: 5,
      logRetentionDays: 90, batchSize: 100, batchingWindowSeconds: 0, parallelizationFactor: 2, startingPosition: 'LATEST',
      retryAttempts: 3, maxRecordAgeSeconds: 3600,
    });
    template.hasResourceProperties('AWS::Kinesis::Stream', { Name: 'ride_events-dev', StreamModeDetails: { StreamMode: 'ON_DEMAND' }, RetentionPeriodHours: 48 });
    template.hasResourceProperties('AWS::Kinesis::Stream', { Name: 'ride_predictions-dev', ShardCount: 4 });
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024, Timeout: 30, ReservedConcurrentExecutions: 5 });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100, ParallelizationFactor: 2, StartingPosition: 'LATEST', MaximumRetryAttempts: 3, MaximumRecordAgeInSeconds: 3600,
    });
  });

  it('keeps V8 young generation small for a function of 256 MB or less', () => {
    synth({ memorySize: 128 }).template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 128,
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=2' } },
    });
  });

  it('subscribes an email to the alarms when one is given', () => {
    synth({ alarmEmail: 'oncall@example.com' }).template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it.each([
    [{ modelBucket: 'team-mlflow' }, 'context runId: required with modelBucket'],
    [{ packaging: 'wheel' }, 'context packaging: expected one of image, zip, got "wheel"'],
    [{ architecture: 'arm' }, 'context architecture: expected one of arm64, x86_64'],
    [{ batchSize: 0 }, 'context batchSize: expected an integer from 1 to 10000, got "0"'],
    [{ inputCapacity: 'lots' }, 'context inputCapacity: expected an integer from 1 to 500, got "lots"'],
    [{ logRetentionDays: 10 }, 'context logRetentionDays: 10 is not a CloudWatch Logs retention'],
    [{ stage: 'Prod!' }, 'context stage:'],
    [{ maxRecordAgeSeconds: 172800 }, "context maxRecordAgeSeconds: longer than the streams' retention"],
  ])('refuses %o, naming the context key', (context, message) => {
    expect(() => addRideDurationStack(new App({ context }))).toThrow(SettingsError);
    expect(() => addRideDurationStack(new App({ context }))).toThrow(message);
  });
});

describe('cdk-nag (AWS Solutions)', () => {
  it.each<Record<string, string>>([{}, { packaging: 'zip' }, { modelBucket: 'team-mlflow', runId: 'r1' }])('passes for %o, every acknowledgement with a reason', (context) => {
    const { app } = synth(context);
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) expect(reason.length, id).toBeGreaterThan(20);
  });

  it('fails synth on a finding nobody acknowledged', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'cdk-')) });
    const stack = addRideDurationStack(app);
    // An unacknowledged wildcard grant, as a careless change would add.
    const role = stack.node.findAll().find((c): c is Role => c instanceof Role)!;
    role.addToPolicy(new PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
    expect(() => app.synth()).toThrow(/The IAM entity contains wildcard permissions/);
  });
});

describe('npx cdk synth', () => {
  it('produces the template with no Docker engine and no AWS credentials', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-cli-'));
    outdirs.push(outdir);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    execFileSync('node_modules/.bin/cdk', ['synth', '-q', '-o', outdir, '-c', 'stage=stg'], { env: { ...env, DOCKER_HOST: 'unix:///nonexistent.sock' }, stdio: 'pipe' });
    const template = JSON.parse(readFileSync(join(outdir, 'RideDuration-stg.template.json'), 'utf8'));
    expect(Object.values(template.Resources).filter((r) => (r as { Type: string }).Type === 'AWS::Kinesis::Stream')).toHaveLength(2);
  });
});
