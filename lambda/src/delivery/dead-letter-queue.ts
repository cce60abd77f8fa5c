/**
 * The dead-letter sink: letters to the SQS queue, in batches within SQS's limits, several
 * calls at a time, resending the entries SQS did not take until the deadline. A letter too
 * large for a message is put whole in S3 first (dead-letter-offload.ts), or cut to fit. A
 * letter SQS refuses for what it is never blocks the others and is never retried as it is:
 * it is sent once more reduced, and only if that is refused too is it lost, said at ERROR.
 */
import { SendMessageBatchCommand, type SendMessageBatchCommandOutput, type SQSClient } from '@aws-sdk/client-sqs';
import { METRIC_NAMES } from '../names';
import { logger, MetricUnit, metrics } from '../telemetry';
import { callFate, describeError, sqsCallFate, sqsEntryFate } from './aws-errors';
import {
  type BatchAnswer,
  DEFAULT_RETRY_POLICY,
  type DeliveryOptions,
  deliverInBatches,
  type Refusal,
  type RetryOutcome,
  realClock,
} from './batch-delivery';
import { mapWithConcurrency } from './concurrency';
import { cutToFit, type DeadLetter, messageBody, reducedLetter } from './dead-letter';
import type { DeadLetterOffload, Offloaded } from './dead-letter-offload';
import type { Deadline } from './deadline';
import type { DeadLetterSink } from './sinks';

/** SQS limits: entries per SendMessageBatch, and bytes per message and per batch (the default MaximumMessageSize). */
export const SQS_BATCH_MAX_ENTRIES = 10;
export const SQS_MAX_MESSAGE_BYTES = 256 * 1024;
/** SendMessageBatch calls in flight at once: 10,000 letters take 100 rounds of 10 calls, not 1,000 calls in a row. */
export const DEAD_LETTER_CONCURRENCY = 10;

interface Message {
  letter: DeadLetter;
  body: string;
}

export interface DeadLetterQueueOptions extends DeliveryOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Where a letter too large for a message is put whole (DEAD_LETTER_BUCKET). Without it, the data is cut to fit. */
  offload?: DeadLetterOffload;
}

export interface DeadLetterOutcome extends Omit<RetryOutcome<DeadLetter>, 'refused'>, OffloadStats {
  /** Letters SQS refused even reduced to their identity and reason: logged, not retried. */
  lost: { letter: DeadLetter; error: string }[];
  /** Letters sent reduced because SQS refused them whole. */
  reduced: number;
}

interface OffloadStats {
  /** Letters put whole in S3: too large for a message, or refused by SQS. */
  offloaded: number;
  /** Letters too large for a message whose data was cut to fit. */
  cut: number;
  /** Why the last offload failed (the letter was then cut, or sent without its data), for the log. */
  offloadError?: string;
}

/**
 * Sends dead letters to the queue, and says what became of them: the DeadLetters metric
 * (letters in the queue), DeadLettersLost and an ERROR log per lost letter, a WARN for
 * letters sent reduced or cut, an ERROR for letters undelivered (Kinesis replays them).
 *
 * @example
 * ```typescript
 * const queue = new DeadLetterQueue({ sqs, queueUrl, offload: new DeadLetterOffload({ s3, bucket }) });
 * const { undelivered, lost } = await queue.send(letters, deadline);
 * ```
 */
export class DeadLetterQueue implements DeadLetterSink {
  constructor(private readonly options: DeadLetterQueueOptions) {}

  async send(letters: readonly DeadLetter[], deadline: Deadline): Promise<DeadLetterOutcome> {
    const stats: OffloadStats = { offloaded: 0, cut: 0 };
    const messages = await mapWithConcurrency(letters, DEAD_LETTER_CONCURRENCY, (letter) => this.fit(letter, deadline, stats));
    const whole = await this.deliver(messages, deadline);
    // A refused letter is sent again without its data; where there is a bucket, the data is kept there first.
    const reducedLetters = await mapWithConcurrency(whole.refused, DEAD_LETTER_CONCURRENCY, ({ entry, error }) =>
      this.reduce(entry.letter, error, deadline, stats),
    );
    const reduced = await this.deliver(reducedLetters.map(message), deadline);
    const outcome: DeadLetterOutcome = {
      undelivered: [...whole.undelivered, ...reduced.undelivered].map((m) => m.letter),
      lost: reduced.refused.map(({ entry, error }) => ({ letter: entry.letter, error })),
      retried: whole.retried + reduced.retried,
      lastError: reduced.lastError ?? whole.lastError,
      reduced: whole.refused.length,
      ...stats,
    };
    report(letters.length, outcome);
    return outcome;
  }

  private deliver(messages: readonly Message[], deadline: Deadline): Promise<RetryOutcome<Message>> {
    return deliverInBatches(messages, {
      limits: { maxEntries: SQS_BATCH_MAX_ENTRIES, maxBytes: SQS_MAX_MESSAGE_BYTES, bytesOf: (m) => m.body.length },
      send: (pending, signal) => this.sendMessageBatch(pending, signal),
      deadline,
      policy: this.options.policy ?? DEFAULT_RETRY_POLICY,
      clock: this.options.clock ?? realClock,
      concurrency: DEAD_LETTER_CONCURRENCY,
    });
  }

  /** The letter as a message that fits: whole, or its data put in S3, or its data cut. */
  private async fit(letter: DeadLetter, deadline: Deadline, stats: OffloadStats): Promise<Message> {
    const whole = message(letter);
    if (whole.body.length <= SQS_MAX_MESSAGE_BYTES) return whole;
    const put = await this.putWhole(letter, whole.body, deadline, stats);
    if ('error' in put) {
      stats.cut++;
      return message(cutToFit(letter, SQS_MAX_MESSAGE_BYTES, put.error));
    }
    return message({
      ...letter,
      data: '',
      dataTruncated: true,
      dataLocation: put.location,
      dataNote: `too large for an SQS message (${whole.body.length} bytes): the whole dead letter, data included, is at dataLocation`,
    });
  }

  /**
   * A letter SQS refused, reduced to its identity and reason. Its data, which the reduced
   * letter leaves out, is put whole in the bucket first where there is one.
   */
  private async reduce(letter: DeadLetter, refusal: string, deadline: Deadline, stats: OffloadStats): Promise<DeadLetter> {
    // A letter already cut or offloaded no longer holds the whole record.
    if (letter.dataTruncated) return reducedLetter(letter, refusal);
    const put = await this.putWhole(letter, messageBody(letter), deadline, stats);
    return reducedLetter('location' in put ? { ...letter, dataLocation: put.location } : letter, refusal);
  }

  /** Puts the whole letter in the dead-letter bucket, counting the puts and keeping the last failure. */
  private async putWhole(letter: DeadLetter, body: string, deadline: Deadline, stats: OffloadStats): Promise<Offloaded> {
    const { offload } = this.options;
    if (offload === undefined) return { error: 'no DEAD_LETTER_BUCKET to put the whole letter in' };
    const put = await offload.put(letter, body, deadline);
    if ('location' in put) stats.offloaded++;
    else stats.offloadError = put.error;
    return put;
  }

  private async sendMessageBatch(pending: readonly Message[], abortSignal: AbortSignal): Promise<BatchAnswer<Message>> {
    let response: SendMessageBatchCommandOutput;
    try {
      response = await this.options.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: pending.map((m, i) => ({ Id: String(i), MessageBody: m.body })),
        }),
        { abortSignal },
      );
    } catch (error) {
      if (sqsCallFate(error) !== 'split') throw error;
      if (pending.length === 1) return { retry: [], refused: [{ entry: pending[0], error: describeError(error) }] };
      // Refused for one of its messages, or for their sum: find out half by half.
      const half = Math.ceil(pending.length / 2);
      const [first, second] = [await this.settle(pending.slice(0, half), abortSignal), await this.settle(pending.slice(half), abortSignal)];
      return {
        retry: [...first.retry, ...second.retry],
        failed: [...(first.failed ?? []), ...(second.failed ?? [])],
        refused: [...(first.refused ?? []), ...(second.refused ?? [])],
        error: second.error ?? first.error,
      };
    }
    const retry: Message[] = [];
    const refused: Refusal<Message>[] = [];
    let firstError: string | undefined;
    const answered = new Set((response.Successful ?? []).map((success) => success.Id));
    for (const failure of response.Failed ?? []) {
      const entry = pending[Number(failure.Id)];
      if (entry === undefined) continue;
      answered.add(failure.Id);
      const error = `${failure.Code}: ${failure.Message}`;
      if (sqsEntryFate(failure) === 'refused') refused.push({ entry, error });
      else retry.push(entry);
      firstError ??= error;
    }
    // An entry the answer does not mention was not acknowledged: send it again.
    const unanswered = pending.filter((_, i) => !answered.has(String(i)));
    if (unanswered.length > 0) {
      retry.push(...unanswered);
      firstError ??= `no answer for ${unanswered.length} of ${pending.length} entries`;
    }
    return { retry, refused, error: firstError };
  }

  /** A part of a split call, its errors turned into an answer. */
  private async settle(part: readonly Message[], abortSignal: AbortSignal): Promise<BatchAnswer<Message>> {
    try {
      return await this.sendMessageBatch(part, abortSignal);
    } catch (error) {
      return callFate(error) === 'retried'
        ? { retry: [...part], error: describeError(error) }
        : { retry: [], failed: [...part], error: describeError(error) };
    }
  }
}

const message = (letter: DeadLetter): Message => ({ letter, body: messageBody(letter) });

/** The queue's own metrics and logs for one batch's letters. */
function report(sent: number, outcome: DeadLetterOutcome): void {
  metrics.addMetric(METRIC_NAMES.deadLetters, MetricUnit.Count, sent - outcome.undelivered.length - outcome.lost.length);
  if (outcome.lost.length > 0) metrics.addMetric(METRIC_NAMES.deadLettersLost, MetricUnit.Count, outcome.lost.length);
  if (outcome.undelivered.length > 0) {
    logger.error('dead letters not delivered; Kinesis will replay their records', {
      count: outcome.undelivered.length,
      lastError: outcome.lastError,
    });
  }
  if (outcome.reduced > 0) logger.warn('SQS refused dead letters whole; sent without their data', { count: outcome.reduced });
  if (outcome.offloadError !== undefined) {
    logger.warn('dead letters not put whole in DEAD_LETTER_BUCKET: cut to fit, or sent without their data', {
      cut: outcome.cut,
      error: outcome.offloadError,
    });
  }
  for (const { letter, error } of outcome.lost) {
    // Not retried: SQS would refuse it again, and the shard would stall behind it.
    logger.error('dead letter refused by SQS even without its data; its record is acknowledged and only this log keeps it', {
      error,
      letter,
    });
  }
}
