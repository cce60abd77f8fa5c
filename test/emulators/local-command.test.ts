/**
 * `npm run local` as a command: the banner and the commands it prints (which AWS CLI they
 * name, the invoke API's curl and `aws lambda invoke`), Ctrl-C, and a second start on ports
 * already taken.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COURSE_RIDE } from '../../events/kinesis-event';
import { loadModelAt } from '../../lambda/src/model/load-model';
import { chooseAwsCli, DEBIAN_AWS_CLI } from '../../local/aws-cli';
import { type LocalStack, startLocalStack } from '../../local/local-stack';
import { DEMO_MODEL_DIR } from '../../models/demo-model';
import { waitFor } from '../support/wait-for';

const FREE_PORTS = ['--kinesis-port', '0', '--s3-port', '0', '--sqs-port', '0', '--invoke-port', '0'];

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'local-command-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * A directory whose `aws` is another CLI: one that says it is v1, as pip's awscli does (this
 * machine's CI has only Debian's v2), or a link to Debian's v2.
 */
function awsDirectory(name: string, version: 'v1' | 'v2'): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  if (version === 'v2') {
    symlinkSync(DEBIAN_AWS_CLI, join(dir, 'aws'));
  } else {
    writeFileSync(join(dir, 'aws'), '#!/bin/sh\necho "aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11"\n');
    chmodSync(join(dir, 'aws'), 0o755);
  }
  return dir;
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm run local` with these arguments; its stdout and stderr together. */
function startCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn('node_modules/.bin/tsx', ['local/start.ts', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, output: () => output, exited };
}

describe('npm run local', () => {
  it('prints the invoke API with a curl and an aws lambda invoke that work, naming /usr/bin/aws where aws is v1, and stops on Ctrl-C', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${awsDirectory('v1', 'v1')}:${process.env.PATH}` };
    delete env.TEST_RUN;
    const local = startCommand([...FREE_PORTS, '--model', DEMO_MODEL_DIR, '--run-id', 'Test123'], env);
    try {
      const banner = await waitFor(
        async () => local.output(),
        (out) => out.includes('Ctrl-C stops everything.') || local.child.exitCode !== null,
        60_000,
      );
      expect(banner).toContain('Version  Test123 (every prediction carries it)');
      const invoke = /^ {2}Lambda {3}(http:\/\/127\.0\.0\.1:\d+) {3}function ride-duration-prediction /m.exec(banner)?.[1];
      expect(invoke, banner).toBeDefined();
      expect(banner).toContain(`(\`aws\` on your PATH is the AWS CLI v1; these commands need v2, Debian's at ${DEBIAN_AWS_CLI})`);
      expect(banner).toMatch(new RegExp(`^ {2}${DEBIAN_AWS_CLI} --endpoint-url http://127\\.0\\.0\\.1:\\d+ kinesis put-record `, 'm'));

      const { model } = await loadModelAt({ kind: 'local', path: DEMO_MODEL_DIR });
      const expected = {
        predictions: [
          {
            model: 'ride_duration_prediction_model',
            version: 'Test123',
            prediction: { ride_duration: model.predict([COURSE_RIDE.ride])[0], ride_id: 256 },
          },
        ],
        batchItemFailures: [],
      };
      // The curl line: what curl sends for it, the event file as the body.
      expect(banner).toContain(`  curl -s -XPOST ${invoke}/2015-03-31/functions/function/invocations --data-binary @events/ride.json\n`);
      const response = await fetch(`${invoke}/2015-03-31/functions/function/invocations`, {
        method: 'POST',
        body: readFileSync('events/ride.json'),
      });
      expect(await response.json()).toEqual(expected);

      // The export line and the aws lambda invoke lines, run as printed, beside a copy of events/.
      const exportLine = /^ {2}(export AWS_ACCESS_KEY_ID=.*)$/m.exec(banner)?.[1];
      const lambdaInvoke = new RegExp(`^ {2}(${DEBIAN_AWS_CLI} lambda invoke .*\\\\\\n.*)$`, 'm').exec(banner)?.[1];
      expect(exportLine).toBeDefined();
      expect(lambdaInvoke).toBeDefined();
      cpSync('events', join(work, 'events'), { recursive: true });
      const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', `${exportLine}\n${lambdaInvoke}`], {
        cwd: work,
        encoding: 'utf8',
        env,
      });
      const split = stdout.indexOf('{"predictions"');
      expect(JSON.parse(stdout.slice(0, split))).toEqual({ StatusCode: 200, ExecutedVersion: '$LATEST' });
      expect(JSON.parse(stdout.slice(split))).toEqual(expected);

      local.child.kill('SIGINT');
      expect(await local.exited).toBe(0);
      expect(local.output()).toContain('stopping...');
    } finally {
      local.child.kill();
    }
  });

  it('answers a port that is not one with the flag, before it starts anything', async () => {
    const run = startCommand(['--model', 's3://would-be-fetched/first', '--sqs-port', '70000']);
    expect(await run.exited).toBe(2);
    expect(run.output().trim()).toBe('npm run local: --sqs-port must be a port number from 0 to 65535, got "70000"');
  });

  describe('when its ports are taken', () => {
    let running: LocalStack;
    beforeAll(async () => {
      running = await startLocalStack({ ports: { kinesis: 0, s3: 0, sqs: 0, invoke: 0 } });
    });
    afterAll(() => running?.stop());
    const portOf = (url: string) => new URL(url).port;

    it('says in one line that a local stack is already running, naming the port', async () => {
      const { kinesis, s3, sqs, invoke } = running.endpoints;
      const ports = [
        '--kinesis-port',
        portOf(kinesis),
        '--s3-port',
        portOf(s3),
        '--sqs-port',
        portOf(sqs),
        '--invoke-port',
        portOf(invoke),
      ];
      const second = startCommand(ports);
      expect(await second.exited).toBe(1);
      expect(second.output().trim()).toBe(
        `npm run local: port ${portOf(kinesis)} (Kinesis) is in use: a local stack is already running (its SQS server answers at ${sqs}). ` +
          'Use that one, or stop it (Ctrl-C where it runs) and start again.',
      );
    });

    it('says in one line when another program holds a port, and which flag moves it', async () => {
      const other = createServer();
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      const port = String((other.address() as { port: number }).port);
      try {
        for (const [flag, label] of [
          ['--invoke-port', 'the invoke API'],
          ['--s3-port', 'S3'],
        ]) {
          const args = FREE_PORTS.map((value, i) => (FREE_PORTS[i - 1] === flag ? port : value));
          const run = startCommand(args);
          expect(await run.exited, flag).toBe(1);
          expect(run.output().trim()).toBe(
            `npm run local: port ${port} (${label}) is in use by another program, not a local stack: stop that program, or choose another port with ${flag} <port>.`,
          );
        }
      } finally {
        other.close();
      }
    });
  });
});

describe('the AWS CLI the printed commands name', () => {
  it('is plain aws when the one on the PATH is v2', async () => {
    expect(await chooseAwsCli({ ...process.env, PATH: `${awsDirectory('v2', 'v2')}:${process.env.PATH}` })).toEqual({ command: 'aws' });
  });

  it("is Debian's when aws is v1, and says so", async () => {
    expect(await chooseAwsCli({ ...process.env, PATH: `${awsDirectory('v1-only', 'v1')}:/usr/bin:/bin` })).toEqual({
      command: DEBIAN_AWS_CLI,
      note: `\`aws\` on your PATH is the AWS CLI v1; these commands need v2, Debian's at ${DEBIAN_AWS_CLI}`,
    });
  });
});
