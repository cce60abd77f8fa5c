/**
 * A small SQS-compatible server for local runs and tests: the AWS JSON 1.0 protocol that
 * @aws-sdk/client-sqs speaks, for the calls a dead-letter queue needs. No SQS emulator on
 * npm speaks that protocol (sqslite and simply-imitated-sqs answer the older XML one), and
 * ElasticMQ or LocalStack need a JVM download or Docker.
 *
 * Supported: CreateQueue, GetQueueUrl, ListQueues, SendMessage, SendMessageBatch,
 * ReceiveMessage, DeleteMessage, DeleteMessageBatch, GetQueueAttributes, PurgeQueue.
 * Messages live in memory; a received message is invisible for VisibilityTimeout seconds.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredMessage {
  id: string;
  body: string;
  md5: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  receiptHandle?: string;
}

interface Queue {
  name: string;
  messages: StoredMessage[];
  visibilityTimeoutSeconds: number;
}

type Request = Record<string, unknown>;

class SqsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const ACCOUNT_ID = '000000000000';
const MAX_BATCH_ENTRIES = 10;

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

export class LocalSqsServer {
  private readonly queues = new Map<string, Queue>();
  private readonly server: Server = createServer((req, res) => void this.serve(req, res));
  private origin = '';

  /** Listens on 127.0.0.1 (port 0 picks a free port); returns the endpoint URL. */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.origin;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  queueUrl(name: string): string {
    return `${this.origin}/${ACCOUNT_ID}/${name}`;
  }

  private async serve(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const action = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Request;
      this.reply(res, 200, this.dispatch(action, input));
    } catch (error) {
      const e = error instanceof SqsError ? error : new SqsError('InternalError', (error as Error).message, 500);
      res.setHeader('x-amzn-query-error', `${e.code};${e.status < 500 ? 'Sender' : 'Receiver'}`);
      this.reply(res, e.status, { __type: `com.amazonaws.sqs#${e.code}`, message: e.message });
    }
  }

  private reply(res: ServerResponse, status: number, body: object) {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  }

  private dispatch(action: string, input: Request): object {
    switch (action) {
      case 'CreateQueue': {
        const name = String(input.QueueName ?? '');
        if (!/^[\w-]{1,80}(\.fifo)?$/.test(name)) throw new SqsError('InvalidParameterValue', `bad queue name ${name}`);
        const timeout = Number((input.Attributes as Request | undefined)?.VisibilityTimeout ?? 30);
        if (!this.queues.has(name)) this.queues.set(name, { name, messages: [], visibilityTimeoutSeconds: timeout });
        return { QueueUrl: this.queueUrl(name) };
      }
      case 'GetQueueUrl':
        return { QueueUrl: this.queueUrl(this.queue(input.QueueName).name) };
      case 'ListQueues':
        return { QueueUrls: [...this.queues.keys()].map((name) => this.queueUrl(name)) };
      case 'SendMessage':
        return this.send(this.queue(input.QueueUrl), String(input.MessageBody ?? ''));
      case 'SendMessageBatch': {
        const queue = this.queue(input.QueueUrl);
        const entries = this.entries(input);
        return {
          Successful: entries.map((e) => ({ Id: e.Id, ...this.send(queue, String(e.MessageBody ?? '')) })),
          Failed: [],
        };
      }
      case 'ReceiveMessage':
        return { Messages: this.receive(this.queue(input.QueueUrl), input) };
      case 'DeleteMessage':
        this.delete(this.queue(input.QueueUrl), input.ReceiptHandle);
        return {};
      case 'DeleteMessageBatch': {
        const queue = this.queue(input.QueueUrl);
        const entries = this.entries(input);
        entries.forEach((e) => this.delete(queue, e.ReceiptHandle));
        return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] };
      }
      case 'GetQueueAttributes': {
        const queue = this.queue(input.QueueUrl);
        const now = Date.now();
        const visible = queue.messages.filter((m) => m.visibleAt <= now).length;
        return {
          Attributes: {
            ApproximateNumberOfMessages: String(visible),
            ApproximateNumberOfMessagesNotVisible: String(queue.messages.length - visible),
            VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
          },
        };
      }
      case 'PurgeQueue':
        this.queue(input.QueueUrl).messages = [];
        return {};
      default:
        throw new SqsError('UnsupportedOperation', `${action || 'that call'} is not supported by the local SQS server`);
    }
  }

  private queue(urlOrName: unknown): Queue {
    const name = String(urlOrName ?? '').split('/').pop()!;
    const queue = this.queues.get(name);
    if (!queue) throw new SqsError('QueueDoesNotExist', `The specified queue ${name} does not exist.`);
    return queue;
  }

  private entries(input: Request): Request[] {
    const entries = (input.Entries ?? []) as Request[];
    if (entries.length === 0) throw new SqsError('EmptyBatchRequest', 'There should be at least one entry in the request.');
    if (entries.length > MAX_BATCH_ENTRIES) throw new SqsError('TooManyEntriesInBatchRequest', `at most ${MAX_BATCH_ENTRIES} entries`);
    return entries;
  }

  private send(queue: Queue, body: string) {
    const now = Date.now();
    const message: StoredMessage = { id: randomUUID(), body, md5: md5(body), sentAt: now, visibleAt: now, receiveCount: 0 };
    queue.messages.push(message);
    return { MessageId: message.id, MD5OfMessageBody: message.md5 };
  }

  private receive(queue: Queue, input: Request) {
    const now = Date.now();
    const max = Math.min(Number(input.MaxNumberOfMessages ?? 1), MAX_BATCH_ENTRIES);
    const timeout = Number(input.VisibilityTimeout ?? queue.visibilityTimeoutSeconds);
    return queue.messages
      .filter((m) => m.visibleAt <= now)
      .slice(0, max)
      .map((m) => {
        m.visibleAt = now + timeout * 1000;
        m.receiveCount++;
        m.receiptHandle = randomUUID();
        return {
          MessageId: m.id,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: m.md5,
          Body: m.body,
          Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt) },
        };
      });
  }

  private delete(queue: Queue, receiptHandle: unknown) {
    queue.messages = queue.messages.filter((m) => m.receiptHandle !== receiptHandle);
  }
}
