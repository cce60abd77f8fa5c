/**
 * npm run tail: prints prediction events from the local output stream and dead letters from
 * the local queue, as they arrive, until Ctrl-C. Dead letters are watched through the local
 * SQS server's journal, not received: nothing is hidden from other readers, and letters
 * other readers have taken are shown too.
 *   npm run tail
 *   npm run tail -- --from-start
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { createClients } from '../lambda/src';
import { fail as failWith, readCommandLine } from './cli';
import { LOCAL_REGION, useLocalEnvironment } from './environment';
import { DEFAULT_PORTS, LOCAL_NAMES } from './local-stack';
import { describeShards, ShardReader } from './streams';
import { formatDeadLetter, formatPrediction } from './tail-format';

const COMMAND = 'npm run tail';
const USAGE = `usage: ${COMMAND} -- [--from-start] [--kinesis <url>] [--sqs <url>]`;
const fail = (message: string): never => failWith(COMMAND, message);

const { values } = readCommandLine(COMMAND, USAGE, {
  options: {
    'from-start': { type: 'boolean', default: false },
    kinesis: { type: 'string', default: `http://127.0.0.1:${DEFAULT_PORTS.kinesis}` },
    sqs: { type: 'string', default: `http://127.0.0.1:${DEFAULT_PORTS.sqs}` },
  },
});
const { kinesis: kinesisEndpoint, sqs: sqsEndpoint, 'from-start': fromStart } = values;
useLocalEnvironment({ emulators: true });
const { kinesis } = createClients({ region: LOCAL_REGION, endpoints: { kinesis: kinesisEndpoint } });

const noStack = (what: string) => fail(`no local stack at ${what}: start one with \`npm run local\` in another terminal`);

async function tailPredictions(streamName: string, shardIds: string[]) {
  const readers = shardIds.map((id) => new ShardReader(kinesis, streamName, id, fromStart ? 'TRIM_HORIZON' : 'LATEST'));
  for (;;) {
    let fresh = 0;
    for (const reader of readers) {
      const records = (await reader.read()) ?? [];
      for (const record of records) console.log(formatPrediction(record.Data!));
      fresh += records.length;
    }
    if (fresh === 0) await sleep(250);
  }
}

/** The letters sent after the `after`-th, from the local SQS server's journal. */
async function journal(after: number): Promise<{ seq: number; body: string }[]> {
  const response = await fetch(`${sqsEndpoint}/_local/queues/${LOCAL_NAMES.deadLetterQueue}/messages?after=${after}`).catch(() =>
    noStack(sqsEndpoint),
  );
  if (!response.ok) noStack(`${sqsEndpoint} (no ${LOCAL_NAMES.deadLetterQueue} queue there)`);
  return ((await response.json()) as { messages: { seq: number; body: string }[] }).messages;
}

async function tailDeadLetters() {
  const first = await journal(0);
  let last = fromStart || first.length === 0 ? 0 : first[first.length - 1].seq;
  for (;;) {
    const fresh = await journal(last);
    for (const message of fresh) console.log(formatDeadLetter(message.body));
    last = fresh.at(-1)?.seq ?? last;
    if (fresh.length === 0) await sleep(500);
  }
}

const { shardIds } = await describeShards(kinesis, LOCAL_NAMES.outputStream).catch(() => noStack(kinesisEndpoint));
console.error(
  `tailing ${LOCAL_NAMES.outputStream} at ${kinesisEndpoint} and ${LOCAL_NAMES.deadLetterQueue} at ${sqsEndpoint} (Ctrl-C stops)`,
);
await Promise.all([tailPredictions(LOCAL_NAMES.outputStream, shardIds), tailDeadLetters()]).catch((error: Error) =>
  fail(`the local stack stopped answering (${error.message})`),
);
