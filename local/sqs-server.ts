/**
 * A small SQS-compatible server for local runs and tests, in memory. It speaks both of SQS's
 * protocols: AWS JSON 1.0, which @aws-sdk/client-sqs speaks, and the older Query protocol
 * (form-encoded, XML answers) of Debian's AWS CLI v2.9 and older SDKs. No emulator on npm
 * speaks both (sqslite and simply-imitated-sqs answer only Query), and ElasticMQ or
 * LocalStack need a JVM download or Docker.
 *
 * Supported: CreateQueue, GetQueueUrl, ListQueues, GetQueueAttributes, SetQueueAttributes,
 * SendMessage, SendMessageBatch, ReceiveMessage (with long polling), DeleteMessage,
 * DeleteMessageBatch, PurgeQueue. It holds clients to SQS's rules, so that a client bug fails
 * here as it would in AWS:
 * - message size: the queue's MaximumMessageSize, 256 KiB unless set, up to 1 MiB; and SQS's
 *   character set;
 * - batch limits: 10 entries with distinct ids, 256 KiB in all;
 * - ranges, refused rather than clamped, each an integer: ReceiveMessage's MaxNumberOfMessages
 *   (1 to 10), VisibilityTimeout (0 to 43,200 s) and WaitTimeSeconds (0 to 20 s), else
 *   InvalidParameterValue; the queue attributes VisibilityTimeout, MaximumMessageSize (1 KiB
 *   to 1 MiB) and MessageRetentionPeriod (60 s to 14 days), else InvalidAttributeValue, with
 *   nothing set and no queue created;
 * - receipt handles: one never issued for the queue is ReceiptHandleIsInvalid (in
 *   DeleteMessageBatch, that entry Failed by the sender); a stale one succeeds and deletes
 *   nothing.
 *
 * A fault policy answers a share of SendMessageBatch entries as Failed (and fails a share of
 * calls whole), as SQS does under strain.
 *
 * Beyond SQS: GET /_local/queues/<name>/messages?after=<n> lists every message sent to the
 * queue after the n-th, received or not, deleted or not (the last 10,000), for `npm run tail`:
 * it watches without receiving, so no other reader loses sight of a message.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCAL_ACCOUNT_ID as ACCOUNT_ID, LOCAL_REGION } from './environment';
import { close, listen, readBody } from './http';
import { parseQueryRequest, QUERY_ERROR_CODES, queryError, queryResponse } from './sqs-query-protocol';

interface StoredMessage {
  id: string;
  /** The message's place in its queue's journal, from 1. */
  seq: number;
  body: string;
  md5: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receiptHandle?: string;
}

interface Queue {
  name: string;
  createdAt: number;
  messages: StoredMessage[];
  /** Every message sent, the last JOURNAL_LENGTH of them. */
  journal: StoredMessage[];
  sent: number;
  attributes: { VisibilityTimeout: number; MaximumMessageSize: number; MessageRetentionPeriod: number };
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

/** Faults to inject into sends, like the Kinesis fault proxy's. */
export interface SqsFaultPolicy {
  /** Share of SendMessageBatch entries answered Failed (InternalError, not the sender's fault), 0 to 1. */
  failEntryRate: number;
  /** Share of SendMessage(Batch) calls failed whole (500 InternalError), 0 to 1. */
  failCallRate?: number;
  /** Answer sends this much later, as a distant region would. */
  delayMs?: number;
  /** A seeded source makes a run repeatable; Math.random otherwise. */
  random?: () => number;
}

export interface SqsStats {
  sendCalls: number;
  /** The most send calls in flight at once. */
  maxSendsInFlight: number;
  failedCalls: number;
  /** Entries answered Failed by the fault policy. */
  failedEntries: number;
  /** Entries or calls refused for what they were: too large, characters SQS refuses, ... */
  refused: number;
}

export interface SqsServerOptions {
  /** The largest SendMessageBatch payload, all bodies together (SQS's classic limit, the strictest a client must keep). */
  maxBatchBytes?: number;
  faults?: SqsFaultPolicy;
}

const MAX_BATCH_ENTRIES = 10;
const DEFAULT_MESSAGE_BYTES = 256 * 1024;
const LARGEST_MESSAGE_BYTES = 1024 * 1024;
const JOURNAL_LENGTH = 10_000;
/** Seconds, up to 12 hours: a queue's default and a receive's own. */
const VISIBILITY_TIMEOUT = [0, 43_200] as const;
/** SQS's character set (the W3C XML Char production). */
const REFUSED_CHARACTER = /[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const PEEK_PATH = /^\/_local\/queues\/([^/]+)\/messages$/;

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** Whether a number, or its decimal text (as the Query protocol and queue attributes carry it), is an integer from min to max. */
const isIntegerIn = (value: unknown, [min, max]: readonly [number, number]) =>
  /^-?\d+$/.test(String(value)) && Number(value) >= min && Number(value) <= max;

/** A request's integer parameter, its default when absent; SQS refuses one out of range rather than clamping it. */
function parameter(input: Request, name: string, range: readonly [number, number], absent: number): number {
  const value = input[name];
  if (value === undefined) return absent;
  if (!isIntegerIn(value, range))
    throw new SqsError(
      'InvalidParameterValue',
      `Value ${value} for parameter ${name} is invalid. Reason: Must be between ${range[0]} and ${range[1]}, if provided.`,
    );
  return Number(value);
}

/** SQS's ranges of the queue attributes the server keeps. */
const ATTRIBUTE_RANGES: Record<keyof Queue['attributes'], readonly [number, number]> = {
  VisibilityTimeout: VISIBILITY_TIMEOUT,
  MaximumMessageSize: [1024, LARGEST_MESSAGE_BYTES],
  MessageRetentionPeriod: [60, 1_209_600],
};

/**
 * The queue attributes the server keeps, as numbers; other attributes are accepted and ignored.
 * All are checked before any is set, as SQS sets all or none (and creates no queue).
 */
function checkedAttributes(attributes: Record<string, string>): Partial<Queue['attributes']> {
  const checked: Partial<Queue['attributes']> = {};
  for (const [name, text] of Object.entries(attributes)) {
    if (!Object.hasOwn(ATTRIBUTE_RANGES, name)) continue;
    const range = ATTRIBUTE_RANGES[name as keyof Queue['attributes']];
    if (!isIntegerIn(text, range))
      throw new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}: ${text} (${range[0]} to ${range[1]})`);
    checked[name as keyof Queue['attributes']] = Number(text);
  }
  return checked;
}

export class LocalSqsServer {
  readonly stats: SqsStats = { sendCalls: 0, maxSendsInFlight: 0, failedCalls: 0, failedEntries: 0, refused: 0 };
  private sendsInFlight = 0;
  /** The fault policy in force; settable while the server runs. */
  faults: SqsFaultPolicy | undefined;
  private readonly queues = new Map<string, Queue>();
  private readonly server: Server = createServer((req, res) => void this.serve(req, res));
  private readonly maxBatchBytes: number;
  /** Signs receipt handles, so that one this server never issued is told from a stale one without keeping them all. */
  private readonly handleKey = randomBytes(32);
  private origin = '';

  constructor(options: SqsServerOptions = {}) {
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MESSAGE_BYTES;
    this.faults = options.faults;
  }

  /** Listens on 127.0.0.1 (port 0 picks a free port); returns the endpoint URL. */
  async start(port = 0): Promise<string> {
    this.origin = await listen(this.server, port);
    return this.origin;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  queueUrl(name: string): string {
    return `${this.origin}/${ACCOUNT_ID}/${name}`;
  }

  private async serve(req: IncomingMessage, res: ServerResponse) {
    const requestId = randomUUID();
    const body = (await readBody(req)).toString('utf8');
    const peek = req.method === 'GET' ? PEEK_PATH.exec(new URL(req.url ?? '/', 'http://local').pathname) : null;
    if (peek) return this.peek(res, decodeURIComponent(peek[1]), new URL(req.url!, 'http://local').searchParams.get('after'));
    const query = req.headers['x-amz-target'] === undefined;
    try {
      const { action, input } = query
        ? parseQueryRequest(body)
        : { action: String(req.headers['x-amz-target']).replace(/^AmazonSQS\./, ''), input: JSON.parse(body || '{}') as Request };
      // Query clients may name the queue by the request's path instead of a QueueUrl.
      if (input.QueueUrl === undefined && req.url && req.url !== '/') input.QueueUrl = req.url.split('?')[0];
      const result = await this.dispatch(action, input);
      if (query) this.reply(res, 200, 'text/xml', queryResponse(action, result, requestId), requestId);
      else this.reply(res, 200, 'application/x-amz-json-1.0', JSON.stringify(result), requestId);
    } catch (error) {
      const e = error instanceof SqsError ? error : new SqsError('InternalError', (error as Error).message, 500);
      const sender = e.status < 500;
      if (query) return this.reply(res, e.status, 'text/xml', queryError(e.code, e.message, sender, requestId), requestId);
      res.setHeader('x-amzn-query-error', `${QUERY_ERROR_CODES[e.code] ?? e.code};${sender ? 'Sender' : 'Receiver'}`);
      this.reply(
        res,
        e.status,
        'application/x-amz-json-1.0',
        JSON.stringify({ __type: `com.amazonaws.sqs#${e.code}`, message: e.message }),
        requestId,
      );
    }
  }

  private reply(res: ServerResponse, status: number, contentType: string, body: string, requestId: string) {
    res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': requestId });
    res.end(body);
  }

  private peek(res: ServerResponse, name: string, after: string | null) {
    const queue = this.queues.get(name);
    if (!queue) return this.reply(res, 404, 'application/json', JSON.stringify({ message: `no queue ${name}` }), randomUUID());
    const from = Number(after ?? 0);
    const messages = queue.journal.filter((m) => m.seq > from).map(({ seq, id, body, sentAt }) => ({ seq, id, body, sentAt }));
    this.reply(res, 200, 'application/json', JSON.stringify({ messages }), randomUUID());
  }

  private async dispatch(action: string, input: Request): Promise<Request> {
    switch (action) {
      case 'CreateQueue':
        return {
          QueueUrl: this.queueUrl(this.createQueue(String(input.QueueName ?? ''), (input.Attributes ?? {}) as Record<string, string>).name),
        };
      case 'GetQueueUrl':
        return { QueueUrl: this.queueUrl(this.queue(input.QueueName).name) };
      case 'ListQueues': {
        const prefix = String(input.QueueNamePrefix ?? '');
        return { QueueUrls: [...this.queues.keys()].filter((name) => name.startsWith(prefix)).map((name) => this.queueUrl(name)) };
      }
      case 'GetQueueAttributes':
        return { Attributes: this.attributes(this.queue(input.QueueUrl), (input.AttributeNames ?? ['All']) as string[]) };
      case 'SetQueueAttributes':
        Object.assign(this.queue(input.QueueUrl).attributes, checkedAttributes((input.Attributes ?? {}) as Record<string, string>));
        return {};
      case 'SendMessage':
      case 'SendMessageBatch': {
        const queue = this.queue(input.QueueUrl);
        this.stats.maxSendsInFlight = Math.max(this.stats.maxSendsInFlight, ++this.sendsInFlight);
        try {
          if (this.faults?.delayMs) await sleep(this.faults.delayMs);
          return action === 'SendMessage' ? this.sendMessage(queue, input.MessageBody) : this.sendMessageBatch(queue, this.entries(input));
        } finally {
          this.sendsInFlight--;
        }
      }
      case 'ReceiveMessage':
        return { Messages: await this.receive(this.queue(input.QueueUrl), input) };
      case 'DeleteMessage':
        this.delete(this.queue(input.QueueUrl), input.ReceiptHandle);
        return {};
      case 'DeleteMessageBatch': {
        const queue = this.queue(input.QueueUrl);
        const Successful: Request[] = [];
        const Failed: Request[] = [];
        for (const entry of this.entries(input)) {
          try {
            this.delete(queue, entry.ReceiptHandle);
            Successful.push({ Id: entry.Id });
          } catch (error) {
            if (!(error instanceof SqsError)) throw error;
            Failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
          }
        }
        return { Successful, Failed };
      }
      case 'PurgeQueue':
        this.queue(input.QueueUrl).messages = [];
        return {};
      default:
        throw new SqsError('UnsupportedOperation', `${action || 'that call'} is not supported by the local SQS server`);
    }
  }

  private createQueue(name: string, attributes: Record<string, string>): Queue {
    if (!/^[\w-]{1,80}(\.fifo)?$/.test(name))
      throw new SqsError(
        'InvalidParameterValue',
        `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length: ${name}`,
      );
    const checked = checkedAttributes(attributes);
    let queue = this.queues.get(name);
    if (!queue) {
      queue = {
        name,
        createdAt: Date.now(),
        messages: [],
        journal: [],
        sent: 0,
        attributes: { VisibilityTimeout: 30, MaximumMessageSize: DEFAULT_MESSAGE_BYTES, MessageRetentionPeriod: 345_600 },
      };
      this.queues.set(name, queue);
    }
    Object.assign(queue.attributes, checked);
    return queue;
  }

  private attributes(queue: Queue, names: string[]): Record<string, string> {
    const now = Date.now();
    const visible = queue.messages.filter((m) => m.visibleAt <= now).length;
    const all: Record<string, string> = {
      QueueArn: `arn:aws:sqs:${LOCAL_REGION}:${ACCOUNT_ID}:${queue.name}`,
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(queue.messages.length - visible),
      ApproximateNumberOfMessagesDelayed: '0',
      CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
      VisibilityTimeout: String(queue.attributes.VisibilityTimeout),
      MaximumMessageSize: String(queue.attributes.MaximumMessageSize),
      MessageRetentionPeriod: String(queue.attributes.MessageRetentionPeriod),
    };
    return names.includes('All') ? all : Object.fromEntries(Object.entries(all).filter(([name]) => names.includes(name)));
  }

  private queue(urlOrName: unknown): Queue {
    const name = String(urlOrName ?? '')
      .split('/')
      .pop()!;
    const queue = this.queues.get(name);
    if (!queue) throw new SqsError('QueueDoesNotExist', `The specified queue ${name} does not exist.`);
    return queue;
  }

  private entries(input: Request): Request[] {
    const entries = (input.Entries ?? []) as Request[];
    if (entries.length === 0)
      throw new SqsError('EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
    if (entries.length > MAX_BATCH_ENTRIES)
      throw new SqsError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
      );
    const ids = entries.map((e) => String(e.Id ?? ''));
    const bad = ids.find((id) => !ENTRY_ID.test(id));
    if (bad !== undefined)
      throw new SqsError(
        'InvalidBatchEntryId',
        `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long: ${bad}`,
      );
    if (new Set(ids).size !== ids.length)
      throw new SqsError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
    return entries;
  }

  /** Why SQS would refuse this body in this queue, or undefined. */
  private refusal(queue: Queue, body: string): { code: string; message: string } | undefined {
    if (body.length === 0) return { code: 'InvalidParameterValue', message: 'The request must contain the parameter MessageBody.' };
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > queue.attributes.MaximumMessageSize) {
      return {
        code: 'InvalidParameterValue',
        message: `One or more parameters are invalid. Reason: Message must be shorter than ${queue.attributes.MaximumMessageSize} bytes.`,
      };
    }
    if (REFUSED_CHARACTER.test(body)) {
      const c = REFUSED_CHARACTER.exec(body)![0];
      return {
        code: 'InvalidMessageContents',
        message: `Invalid binary character '#x${c.codePointAt(0)!.toString(16).toUpperCase()}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
      };
    }
    return undefined;
  }

  /** Fails the call whole when the fault policy says so. */
  private injectCallFault() {
    this.stats.sendCalls++;
    const faults = this.faults;
    if (faults?.failCallRate && (faults.random ?? Math.random)() < faults.failCallRate) {
      this.stats.failedCalls++;
      throw new SqsError('InternalError', 'We encountered an internal error. Please try again. (injected)', 500);
    }
  }

  private sendMessage(queue: Queue, body: unknown): Request {
    this.injectCallFault();
    const text = String(body ?? '');
    const refused = this.refusal(queue, text);
    if (refused) {
      this.stats.refused++;
      throw new SqsError(refused.code, refused.message);
    }
    return this.store(queue, text);
  }

  private sendMessageBatch(queue: Queue, entries: Request[]): Request {
    this.injectCallFault();
    const total = entries.reduce((sum, e) => sum + Buffer.byteLength(String(e.MessageBody ?? ''), 'utf8'), 0);
    if (total > this.maxBatchBytes) {
      this.stats.refused++;
      throw new SqsError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${this.maxBatchBytes} bytes. You have sent ${total} bytes.`,
      );
    }
    const random = this.faults?.random ?? Math.random;
    const Successful: Request[] = [];
    const Failed: Request[] = [];
    for (const entry of entries) {
      const body = String(entry.MessageBody ?? '');
      const refused = this.refusal(queue, body);
      if (refused) {
        this.stats.refused++;
        Failed.push({ Id: entry.Id, SenderFault: true, Code: refused.code, Message: refused.message });
      } else if (this.faults && random() < this.faults.failEntryRate) {
        this.stats.failedEntries++;
        Failed.push({
          Id: entry.Id,
          SenderFault: false,
          Code: 'InternalError',
          Message: 'We encountered an internal error. Please try again. (injected)',
        });
      } else {
        Successful.push({ Id: entry.Id, ...this.store(queue, body) });
      }
    }
    return { Successful, Failed };
  }

  private store(queue: Queue, body: string): Request {
    const now = Date.now();
    const message: StoredMessage = {
      id: randomUUID(),
      seq: ++queue.sent,
      body,
      md5: md5(body),
      sentAt: now,
      visibleAt: now,
      receiveCount: 0,
    };
    queue.messages.push(message);
    queue.journal.push(message);
    if (queue.journal.length > JOURNAL_LENGTH) queue.journal.splice(0, queue.journal.length - JOURNAL_LENGTH);
    return { MessageId: message.id, MD5OfMessageBody: message.md5 };
  }

  private async receive(queue: Queue, input: Request): Promise<Request[]> {
    const max = parameter(input, 'MaxNumberOfMessages', [1, MAX_BATCH_ENTRIES], 1);
    const timeout = parameter(input, 'VisibilityTimeout', VISIBILITY_TIMEOUT, queue.attributes.VisibilityTimeout);
    const waitUntil = Date.now() + parameter(input, 'WaitTimeSeconds', [0, 20], 0) * 1000;
    const wanted = [...((input.AttributeNames ?? []) as string[]), ...((input.MessageSystemAttributeNames ?? []) as string[])];
    for (;;) {
      const now = Date.now();
      const ready = queue.messages.filter((m) => m.visibleAt <= now).slice(0, max);
      if (ready.length > 0 || now >= waitUntil || !this.server.listening) {
        return ready.map((m) => {
          m.visibleAt = now + timeout * 1000;
          m.receiveCount++;
          m.firstReceivedAt ??= now;
          m.receiptHandle = this.receiptHandle(queue, m);
          const attributes: Record<string, string> = {
            ApproximateReceiveCount: String(m.receiveCount),
            SentTimestamp: String(m.sentAt),
            ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
            SenderId: ACCOUNT_ID,
          };
          const chosen = wanted.includes('All')
            ? attributes
            : Object.fromEntries(Object.entries(attributes).filter(([k]) => wanted.includes(k)));
          return {
            MessageId: m.id,
            ReceiptHandle: m.receiptHandle,
            MD5OfBody: m.md5,
            Body: m.body,
            ...(Object.keys(chosen).length > 0 && { Attributes: chosen }),
          };
        });
      }
      await sleep(50);
    }
  }

  private receiptHandle(queue: Queue, message: StoredMessage): string {
    const claim = Buffer.from(`${queue.name}/${message.id}/${randomUUID()}`).toString('base64url');
    return `${claim}.${this.signature(claim)}`;
  }

  private signature(claim: string): string {
    return createHmac('sha256', this.handleKey).update(claim).digest('base64url');
  }

  /**
   * A handle this server never issued for the queue is ReceiptHandleIsInvalid. One it issued
   * succeeds even if stale, as in SQS: the message is gone already, or was received again
   * since, and then stays.
   */
  private delete(queue: Queue, receiptHandle: unknown) {
    const handle = String(receiptHandle ?? '');
    const [claim, signature, ...rest] = handle.split('.');
    if (signature === undefined || rest.length > 0 || signature !== this.signature(claim))
      throw new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`, 404);
    if (Buffer.from(claim, 'base64url').toString().split('/')[0] !== queue.name)
      throw new SqsError('ReceiptHandleIsInvalid', `The receipt handle "${handle}" is not valid for this queue.`, 404);
    queue.messages = queue.messages.filter((m) => m.receiptHandle !== handle);
  }
}
