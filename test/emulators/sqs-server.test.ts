/**
 * The local SQS server (local/sqs-server.ts) speaks both protocols, with SQS's limits: the
 * JSON protocol through @aws-sdk/client-sqs, the Query protocol through Debian's AWS CLI v2.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../local/environment';
import { seededRandom } from '../../local/kinesis-fault-proxy';
import { LocalSqsServer } from '../../local/sqs-server';

/** Debian's AWS CLI v2 (package awscli), which speaks SQS's Query protocol; an aws earlier on PATH may be another. */
const AWS_CLI = process.env.AWS_CLI ?? '/usr/bin/aws';
const CLI_ENV = { ...process.env, ...LOCAL_CREDENTIALS, AWS_PAGER: '' };

let server: LocalSqsServer;
let endpoint: string;
let sqs: SQSClient;
let queues = 0;

beforeAll(async () => {
  server = new LocalSqsServer();
  endpoint = await server.start();
  sqs = new SQSClient({ region: 'us-east-1', endpoint, maxAttempts: 1 });
});
afterAll(async () => {
  sqs.destroy();
  await server.stop();
});

async function freshQueue(attributes?: Record<string, string>): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: `queue-${++queues}`, Attributes: attributes }))).QueueUrl!;
}

async function cli(...args: string[]): Promise<unknown> {
  const { stdout } = await promisify(execFile)(AWS_CLI, ['--endpoint-url', endpoint, '--output', 'json', 'sqs', ...args], {
    encoding: 'utf8',
    env: CLI_ENV,
  });
  return stdout.trim() === '' ? undefined : JSON.parse(stdout);
}

const entries = (bodies: string[]) => bodies.map((MessageBody, i) => ({ Id: `m${i}`, MessageBody }));

describe('the local SQS server', () => {
  it("speaks the Query protocol: Debian's AWS CLI sends, receives and deletes, bodies intact", async () => {
    const created = (await cli('create-queue', '--queue-name', 'cli-queue', '--attributes', 'VisibilityTimeout=5')) as { QueueUrl: string };
    expect(created.QueueUrl).toBe(`${endpoint}/000000000000/cli-queue`);
    const body = '{"reason": "a <b> & \'c\' \\"d\\"", "text": "café 🚕\\r\\n\\ttab"}';
    await sqs.send(new SendMessageCommand({ QueueUrl: created.QueueUrl, MessageBody: body }));
    // The CLI checks each body against its MD5, so a body mangled on the way fails here.
    const received = (await cli(
      'receive-message',
      '--queue-url',
      created.QueueUrl,
      '--max-number-of-messages',
      '10',
      '--attribute-names',
      'All',
    )) as {
      Messages: { Body: string; ReceiptHandle: string; Attributes: Record<string, string> }[];
    };
    expect(received.Messages.map((m) => m.Body)).toEqual([body]);
    expect(received.Messages[0].Attributes.ApproximateReceiveCount).toBe('1');

    await cli(
      'send-message-batch',
      '--queue-url',
      created.QueueUrl,
      '--entries',
      JSON.stringify([
        { Id: 'a', MessageBody: 'one' },
        { Id: 'b', MessageBody: 'two' },
      ]),
    );
    const attributes = (await cli('get-queue-attributes', '--queue-url', created.QueueUrl, '--attribute-names', 'All')) as {
      Attributes: Record<string, string>;
    };
    expect(attributes.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '2',
      ApproximateNumberOfMessagesNotVisible: '1',
      MaximumMessageSize: '262144',
    });
    await cli('delete-message', '--queue-url', created.QueueUrl, '--receipt-handle', received.Messages[0].ReceiptHandle);
    const after = (await cli(
      'get-queue-attributes',
      '--queue-url',
      created.QueueUrl,
      '--attribute-names',
      'ApproximateNumberOfMessagesNotVisible',
    )) as { Attributes: Record<string, string> };
    expect(after.Attributes).toEqual({ ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it("answers the Query protocol's empty results as the CLI's parser expects: nothing to receive, list or show exits 0", async () => {
    const queueUrl = await freshQueue();
    // Each answers with an empty <{Action}Result/>, which botocore reads by name.
    expect(await cli('receive-message', '--queue-url', queueUrl, '--max-number-of-messages', '10')).toBeUndefined();
    expect(await cli('receive-message', '--queue-url', queueUrl, '--wait-time-seconds', '1')).toBeUndefined();
    expect(await cli('list-queues', '--queue-name-prefix', 'no-queue-has-this-prefix')).toBeUndefined();
    expect(await cli('get-queue-attributes', '--queue-url', queueUrl, '--attribute-names', 'Policy')).toBeUndefined();
    // The actions without a result answer with ResponseMetadata alone, as SQS does.
    expect(await cli('set-queue-attributes', '--queue-url', queueUrl, '--attributes', 'VisibilityTimeout=7')).toBeUndefined();
    expect(await cli('purge-queue', '--queue-url', queueUrl)).toBeUndefined();
    expect(await cli('get-queue-attributes', '--queue-url', queueUrl, '--attribute-names', 'VisibilityTimeout')).toEqual({
      Attributes: { VisibilityTimeout: '7' },
    });
  });

  it('answers the Query protocol with its errors, which the CLI reports', async () => {
    await expect(cli('receive-message', '--queue-url', `${endpoint}/000000000000/no-such-queue`)).rejects.toThrow(/NonExistentQueue/);
  });

  it("refuses messages over the queue's MaximumMessageSize: 256 KiB by default, up to 1 MiB where set", async () => {
    const standard = await freshQueue();
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: 'x'.repeat(256 * 1024 + 1) }))).rejects.toThrow(
      /Message must be shorter than 262144 bytes/,
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: 'x'.repeat(256 * 1024) }));
    // Bytes, not characters: 'é' is two.
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: 'é'.repeat(128 * 1024 + 1) }))).rejects.toThrow(
      /shorter than/,
    );

    const large = await freshQueue({ MaximumMessageSize: String(1024 * 1024) });
    await sqs.send(new SendMessageCommand({ QueueUrl: large, MessageBody: 'x'.repeat(1024 * 1024) }));
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: large, MessageBody: 'x'.repeat(1024 * 1024 + 1) }))).rejects.toThrow(
      /shorter than 1048576/,
    );
    await expect(freshQueue({ MaximumMessageSize: String(2 * 1024 * 1024) })).rejects.toThrow(/MaximumMessageSize/);
  });

  it("refuses queue attributes outside SQS's ranges, setting none of them and creating no queue", async () => {
    const refused = {
      VisibilityTimeout: ['-1', '43201', '30.5', '1e3', ''],
      MaximumMessageSize: ['1023', '1048577'],
      MessageRetentionPeriod: ['59', '1209601'],
    };
    for (const [name, values] of Object.entries(refused)) {
      for (const value of values) {
        const QueueName = `refused-${++queues}`;
        await expect(
          sqs.send(new CreateQueueCommand({ QueueName, Attributes: { [name]: value } })),
          `${name}=${value}`,
        ).rejects.toMatchObject({
          name: 'InvalidAttributeValue',
        });
        await expect(sqs.send(new GetQueueUrlCommand({ QueueName }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
      }
    }
    const edges = { VisibilityTimeout: '43200', MaximumMessageSize: '1024', MessageRetentionPeriod: '60' };
    const queue = await freshQueue(edges);
    const attributes = async () =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue, AttributeNames: Object.keys(edges) as QueueAttributeName[] })))
        .Attributes;
    expect(await attributes()).toEqual(edges);

    // All or none: a valid attribute beside a refused one is not set either.
    await expect(
      sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: queue, Attributes: { VisibilityTimeout: '0', MessageRetentionPeriod: '1209601' } }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidAttributeValue' });
    await expect(
      cli('set-queue-attributes', '--queue-url', queue, '--attributes', 'VisibilityTimeout=0,MaximumMessageSize=1048577'),
    ).rejects.toThrow(/InvalidAttributeValue/);
    expect(await attributes()).toEqual(edges);
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: queue, Attributes: { VisibilityTimeout: '0', MessageRetentionPeriod: '1209600' } }),
    );
    expect(await attributes()).toEqual({ ...edges, VisibilityTimeout: '0', MessageRetentionPeriod: '1209600' });
  });

  it('answers an entry too large for the queue as Failed, by the sender, and takes the others', async () => {
    const small = await freshQueue({ MaximumMessageSize: '1024' });
    const answer = await sqs.send(new SendMessageBatchCommand({ QueueUrl: small, Entries: entries(['ok', 'y'.repeat(1025), 'fine']) }));
    expect(answer.Successful!.map((s) => s.Id)).toEqual(['m0', 'm2']);
    expect(answer.Failed).toEqual([expect.objectContaining({ Id: 'm1', SenderFault: true, Code: 'InvalidParameterValue' })]);
  });

  it('enforces batch limits: 10 entries, distinct ids, 256 KiB in all', async () => {
    const queue = await freshQueue();
    await expect(sqs.send(new SendMessageBatchCommand({ QueueUrl: queue, Entries: entries(Array(11).fill('m')) }))).rejects.toThrow(
      /Maximum number of entries per request are 10/,
    );
    await expect(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue,
          Entries: [
            { Id: 'a', MessageBody: '1' },
            { Id: 'a', MessageBody: '2' },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: queue, Entries: [{ Id: 'a.b', MessageBody: '1' }] })),
    ).rejects.toMatchObject({ name: 'InvalidBatchEntryId' });
    const tooLong = sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queue, Entries: entries(['x'.repeat(200 * 1024), 'x'.repeat(60 * 1024)]) }),
    );
    await expect(tooLong).rejects.toMatchObject({ name: 'BatchRequestTooLong' });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue, Entries: entries(['x'.repeat(200 * 1024), 'x'.repeat(56 * 1024)]) }));
  });

  it("refuses characters outside SQS's set, entry by entry, and accepts all of the set", async () => {
    const queue = await freshQueue();
    const refused = ['\uffff', '\ufffe', 'lone \ud800 surrogate', 'nul \u0000', 'bell \u0007'];
    const allowed = ['tab\tnewline\ncr\r', '\ud7ff\ue000\ufffd', '🚕 \u{10ffff}'];
    const answer = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue, Entries: entries([...refused, ...allowed]) }));
    expect(answer.Failed!.map((f) => [f.Id, f.Code, f.SenderFault])).toEqual(
      refused.map((_, i) => [`m${i}`, 'InvalidMessageContents', true]),
    );
    expect(answer.Successful!.map((s) => s.Id)).toEqual(allowed.map((_, i) => `m${refused.length + i}`));
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10 }));
    expect(Messages.map((m) => m.Body).sort()).toEqual([...allowed].sort());
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'x\uffff' }))).rejects.toMatchObject({
      name: 'InvalidMessageContents',
    });
  });

  it('injects per-entry Failed results and whole failed calls from a fault policy', async () => {
    const queue = await freshQueue();
    server.faults = { failEntryRate: 0.5, random: seededRandom(3) };
    try {
      const answer = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: queue, Entries: entries(Array.from({ length: 10 }, (_, i) => `m${i}`)) }),
      );
      expect(answer.Failed!.length).toBeGreaterThan(0);
      expect(answer.Successful!.length).toBeGreaterThan(0);
      expect(answer.Failed!.every((f) => f.SenderFault === false && f.Code === 'InternalError')).toBe(true);
      server.faults = { failEntryRate: 0, failCallRate: 1 };
      await expect(sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'x' }))).rejects.toMatchObject({
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
      });
    } finally {
      server.faults = undefined;
    }
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(Number(Attributes!.ApproximateNumberOfMessages)).toBeLessThan(10);
  });

  it("refuses ReceiveMessage parameters out of SQS's ranges rather than clamping them, in both protocols", async () => {
    const queue = await freshQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'kept' }));
    for (const refused of [
      { MaxNumberOfMessages: 0 },
      { MaxNumberOfMessages: 11 },
      { VisibilityTimeout: -1 },
      { VisibilityTimeout: 43_201 },
      { WaitTimeSeconds: -1 },
      { WaitTimeSeconds: 21 },
    ]) {
      await expect(sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, ...refused })), JSON.stringify(refused)).rejects.toMatchObject({
        name: 'InvalidParameterValue',
        message: expect.stringContaining(`parameter ${Object.keys(refused)[0]} is invalid`),
      });
    }
    await expect(cli('receive-message', '--queue-url', queue, '--wait-time-seconds', '21')).rejects.toThrow(
      /InvalidParameterValue.*WaitTimeSeconds/,
    );
    await expect(cli('receive-message', '--queue-url', queue, '--visibility-timeout', '43201')).rejects.toThrow(
      /InvalidParameterValue.*VisibilityTimeout/,
    );
    // The edges are allowed, and a refused call received nothing.
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10, VisibilityTimeout: 43_200, WaitTimeSeconds: 20 }),
    );
    expect(Messages.map((m) => m.Body)).toEqual(['kept']);
  });

  it('refuses a receipt handle it never issued for the queue, and takes a stale one silently, deleting nothing', async () => {
    const queue = await freshQueue();
    const other = await freshQueue();
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue, Entries: entries(['a', 'b']) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: other, MessageBody: 'elsewhere' }));
    const receive = async (QueueUrl: string, VisibilityTimeout = 30) =>
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout }))).Messages ?? [];
    const visible = async () => (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue, AttributeNames: ['All'] }))).Attributes!;

    const [first] = await receive(queue, 0);
    const handle = first.ReceiptHandle!;
    const forged = `${handle[0] === 'A' ? 'B' : 'A'}${handle.slice(1)}`;
    const [elsewhere] = await receive(other);
    for (const [ReceiptHandle, message] of [
      ['not-a-handle', /is not a valid receipt handle/],
      [forged, /is not a valid receipt handle/],
      [elsewhere.ReceiptHandle!, /is not valid for this queue/],
    ] as const) {
      await expect(sqs.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle }))).rejects.toMatchObject({
        name: 'ReceiptHandleIsInvalid',
        message: expect.stringMatching(message),
        $metadata: { httpStatusCode: 404 },
      });
    }

    // Received again since: the first handle is stale, succeeds, and leaves the message.
    const again = await receive(queue);
    expect(again.map((m) => m.Body).sort()).toEqual(['a', 'b']);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: handle }));
    expect(await visible()).toMatchObject({ ApproximateNumberOfMessagesNotVisible: '2' });

    // In a batch, an invalid handle fails its entry only, by the sender; deleting twice is no error.
    const batch = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue,
        Entries: [
          { Id: 'ok', ReceiptHandle: again[0].ReceiptHandle! },
          { Id: 'bad', ReceiptHandle: 'not-a-handle' },
          { Id: 'twice', ReceiptHandle: again[0].ReceiptHandle! },
        ],
      }),
    );
    expect(batch.Successful!.map((s) => s.Id)).toEqual(['ok', 'twice']);
    expect(batch.Failed).toEqual([
      { Id: 'bad', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: expect.stringContaining('not a valid receipt handle') },
    ]);
    expect(await visible()).toMatchObject({ ApproximateNumberOfMessagesNotVisible: '1' });

    // The same through the Query protocol.
    await expect(cli('delete-message', '--queue-url', queue, '--receipt-handle', 'not-a-handle')).rejects.toThrow(/ReceiptHandleIsInvalid/);
    const viaCli = (await cli(
      'delete-message-batch',
      '--queue-url',
      queue,
      '--entries',
      JSON.stringify([
        { Id: 'ok', ReceiptHandle: again[1].ReceiptHandle },
        { Id: 'bad', ReceiptHandle: forged },
      ]),
    )) as { Successful: { Id: string }[]; Failed: { Id: string; SenderFault: boolean; Code: string }[] };
    expect(viaCli.Successful).toEqual([{ Id: 'ok' }]);
    expect(viaCli.Failed).toEqual([expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'ReceiptHandleIsInvalid' })]);
    expect(await visible()).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('lets a watcher see every message sent, received by another reader or not', async () => {
    const queue = await freshQueue();
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queue, Entries: entries(['a', 'b', 'c']) }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }));
    const name = queue.split('/').pop();
    const all = (await (await fetch(`${endpoint}/_local/queues/${name}/messages`)).json()) as { messages: { seq: number; body: string }[] };
    expect(all.messages.map((m) => m.body)).toEqual(['a', 'b', 'c']);
    const later = (await (await fetch(`${endpoint}/_local/queues/${name}/messages?after=${all.messages[1].seq}`)).json()) as {
      messages: { body: string }[];
    };
    expect(later.messages.map((m) => m.body)).toEqual(['c']);
  });
});
