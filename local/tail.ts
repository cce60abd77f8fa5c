/**
 * npm run tail: prints prediction events from the local output stream, decoded, and dead
 * letters from the local queue, as they arrive. Ctrl-C stops it.
 *   npm run tail -- --from-start
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import { GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createClients } from '../lambda/src/aws-clients';
import { useLocalCredentials } from './emulators';
import { DEFAULT_PORTS, LOCAL_NAMES } from './local-stack';

const { values } = parseArgs({
  options: {
    'from-start': { type: 'boolean', default: false },
    kinesis: { type: 'string', default: `http://127.0.0.1:${DEFAULT_PORTS.kinesis}` },
    sqs: { type: 'string', default: `http://127.0.0.1:${DEFAULT_PORTS.sqs}` },
  },
});
useLocalCredentials();
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { kinesis, sqs } = createClients({ region: 'us-east-1', endpoints: { kinesis: values.kinesis, sqs: values.sqs } });

async function tailShard(shardId: string) {
  let { ShardIterator: iterator } = await kinesis.send(
    new GetShardIteratorCommand({ StreamName: LOCAL_NAMES.outputStream, ShardId: shardId, ShardIteratorType: values['from-start'] ? 'TRIM_HORIZON' : 'LATEST' }),
  );
  while (iterator) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
    for (const record of page.Records ?? []) console.log(`prediction  ${Buffer.from(record.Data!).toString('utf8')}`);
    iterator = page.NextShardIterator;
    if (!page.Records?.length) await sleep(250);
  }
}

async function tailDeadLetters() {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: LOCAL_NAMES.deadLetterQueue }));
  const seen = new Set<string>();
  for (;;) {
    // Look without taking: the messages are not deleted and come back after the timeout.
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }));
    const fresh = Messages.filter((m) => !seen.has(m.MessageId!));
    for (const message of fresh) {
      seen.add(message.MessageId!);
      const letter = JSON.parse(message.Body!) as { reason: string; sequenceNumber: string };
      console.log(`dead letter ${letter.sequenceNumber}: ${letter.reason}`);
    }
    if (fresh.length === 0) await sleep(500);
  }
}

const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: LOCAL_NAMES.outputStream }));
console.error(`tailing ${LOCAL_NAMES.outputStream} at ${values.kinesis} and ${LOCAL_NAMES.deadLetterQueue} at ${values.sqs} (Ctrl-C stops)`);
await Promise.all([...(StreamDescription?.Shards ?? []).map((s) => tailShard(s.ShardId!)), tailDeadLetters()]);
