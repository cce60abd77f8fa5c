/** npm run tail: what it prints, against a running local stack and without one. */
import { spawn, spawnSync } from 'node:child_process';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_NAMES, type LocalStack, startLocalStack } from '../../local/local-stack';
import { drainQueue } from '../../local/queues';
import { describeData, formatDeadLetter } from '../../local/tail-format';
import { waitFor } from '../support/wait-for';

const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64');

describe('what npm run tail prints', () => {
  it('shows data as text where it is UTF-8, escaped where not printable, and cut when long', () => {
    expect(describeData(b64('{"ride": 1}'))).toBe('{"ride": 1}');
    expect(describeData(b64('tab\there \uffff'))).toBe('tab\\u0009here \\uffff');
    expect(describeData(b64('x'.repeat(400)))).toBe(`${'x'.repeat(300)}... (400 characters)`);
    expect(describeData('')).toBe('(empty)');
  });

  it('shows binary data by its size and first bytes', () => {
    expect(describeData(b64(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])))).toBe('10 bytes, not text: 1f 8b 08 00 00 00 00 00 ...');
  });

  it('says where the data is when it is not all in the letter', () => {
    const letter = { reason: 'r', sequenceNumber: '7', data: b64('abcdefgh').slice(0, 4), dataTruncated: true, dataNote: 'cut to fit' };
    expect(formatDeadLetter(JSON.stringify(letter))).toBe('dead letter 7: r\n            data: abc [cut: cut to fit]');
    expect(formatDeadLetter(JSON.stringify({ ...letter, dataLocation: 's3://b/k' }))).toBe(
      'dead letter 7: r\n            data: whole at s3://b/k',
    );
  });
});

describe('npm run tail', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ ports: { kinesis: 0, s3: 0, sqs: 0 }, eventSource: { batchingWindowMs: 100, idlePollMs: 50 } });
  });
  afterAll(() => stack.stop());

  it('prints predictions and dead letters with their data, including letters another reader took', async () => {
    const ride = { ride: { PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 }, ride_id: 'tail-1' };
    await stack.clients.kinesis.send(
      new PutRecordsCommand({
        StreamName: LOCAL_NAMES.inputStream,
        Records: [
          { Data: Buffer.from(JSON.stringify(ride)), PartitionKey: '1' },
          { Data: Buffer.from('{"ride": "far"}'), PartitionKey: '2' },
        ],
      }),
    );
    // Another reader takes the dead letter before tail starts.
    const taken = await waitFor(
      () => drainQueue(stack.clients.sqs, stack.queueUrls.deadLetters),
      (letters) => letters.length > 0,
    );
    expect(taken).toHaveLength(1);

    const tail = spawn(
      'node_modules/.bin/tsx',
      ['local/tail.ts', '--from-start', '--kinesis', stack.endpoints.kinesis, '--sqs', stack.endpoints.sqs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    tail.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    try {
      await waitFor(
        async () => stdout,
        (out) => out.includes('prediction ') && out.includes('data: '),
        30_000,
      );
    } finally {
      tail.kill();
    }
    expect(stdout).toMatch(/^prediction {2}\{"model":"ride_duration_prediction_model",.*"ride_id":"tail-1"\}\}$/m);
    expect(stdout).toMatch(/^dead letter \d+: ride: expected an object, got "far"; ride_id: missing\n {12}data: \{"ride": "far"\}$/m);
  });

  it('says in one line, without a stack trace, that no local stack is running', () => {
    const run = spawnSync('node_modules/.bin/tsx', ['local/tail.ts', '--kinesis', 'http://127.0.0.1:9', '--sqs', 'http://127.0.0.1:9'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      'npm run tail: no local stack at http://127.0.0.1:9: start one with `npm run local` in another terminal',
    );
  });
});
