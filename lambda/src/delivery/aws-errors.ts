/**
 * What an AWS error makes of the entries it answers, in one place. A whole call that throws
 * is classified as the SDK classifies it for its own retries (Smithy's service error
 * classification: throttling, or a transient fault); the codes kept here are the ones no SDK
 * classifies: the per-entry answers of Kinesis PutRecords (ErrorCode) and SQS
 * SendMessageBatch (Failed entries' Code and SenderFault), the SQS calls refused for one of
 * their messages, and the KMS throttling codes that Smithy's list does not hold.
 *
 * @example
 * ```typescript
 * import { isRetryable, kinesisEntryFate, sqsEntryFate } from './aws-errors';
 *
 * isRetryable(error); // true for a throttled call or a reset connection, false for no such stream
 * kinesisEntryFate('ProvisionedThroughputExceededException'); // 'retried'
 * sqsEntryFate({ Code: 'InvalidMessageContents', SenderFault: true }); // 'refused'
 * ```
 */
import { isThrottlingError, isTransientError } from '@smithy/core/retry';

/**
 * What becomes of an entry:
 * - `retried`: sent again, with backoff, until the invocation's deadline;
 * - `failed`: not sent again in this invocation, and reported undelivered: Kinesis replays its record;
 * - `refused`: the service refuses the entry for what it is: sending it again as it is cannot help;
 * - `split`: (a whole SQS call) refused for one of its messages: split to find that message.
 */
export type Fate = 'retried' | 'failed' | 'refused' | 'split';

type SdkError = Parameters<typeof isThrottlingError>[0];

/**
 * KMS throttling, which Kinesis (KMSThrottlingException) and SQS (KmsThrottled, in the query
 * protocol KMS.ThrottlingException) answer with codes of their own, all HTTP 400 with no
 * retryable trait: Smithy's throttling list does not hold them, but they clear as any
 * throttling does.
 */
const KMS_THROTTLING = new Set(['KMSThrottlingException', 'KmsThrottled', 'KMS.ThrottlingException']);

/** A code with SQS's query-protocol prefix taken off: `AWS.SimpleQueueService.NonExistentQueue` is `NonExistentQueue`. */
const sqsCode = (code: string) => code.replace(/^AWS\.SimpleQueueService\./, '');

/** Whether an error code is throttling: Smithy's list (ThrottlingException, RequestThrottled, ...), or KMS's. */
function isThrottlingCode(code: string): boolean {
  return KMS_THROTTLING.has(code) || isThrottlingError({ name: code, $metadata: {} } as SdkError);
}

/**
 * Whether a failed call may succeed if made again, as the SDK's standard retry mode decides
 * (throttling, HTTP 429, a 500/502/503/504, a timeout, a reset or refused connection, a
 * retryable trait), or KMS throttling. Everything else (no such stream or queue, access
 * denied, a bug of this program, a call aborted at the deadline) fails the same way again.
 */
export function isRetryable(error: unknown): boolean {
  const e = error as SdkError;
  return isThrottlingError(e) || isTransientError(e) || KMS_THROTTLING.has(e.name ?? '');
}

/** A whole call's failure: its entries are retried, or failed. */
export const callFate = (error: unknown): 'retried' | 'failed' => (isRetryable(error) ? 'retried' : 'failed');

/**
 * Whole SendMessageBatch errors that are the fault of a message (its size, its characters),
 * not of the queue or the service.
 */
const SQS_MESSAGE_FAULTS = new Set([
  'InvalidMessageContents',
  'MessageTooLong',
  'BatchRequestTooLong',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidAttributeValue',
  'InvalidBatchEntryId',
  'BatchEntryIdsNotDistinct',
  'TooManyEntriesInBatchRequest',
]);

/** A whole SendMessageBatch call's failure: split when a message is at fault, else as any call. */
export function sqsCallFate(error: unknown): 'split' | 'retried' | 'failed' {
  const e = error as { name?: string; Code?: string };
  return SQS_MESSAGE_FAULTS.has(sqsCode(e.Code ?? e.name ?? '')) ? 'split' : callFate(error);
}

/**
 * PutRecords' per-entry ErrorCode. Kinesis documents ProvisionedThroughputExceededException
 * and InternalFailure; a stream with server-side encryption adds KMS's codes. An entry the
 * answer leaves out is taken for an InternalFailure. Any other code (a KMS key disabled, say)
 * fails the entry for this invocation.
 */
const KINESIS_ENTRY_RETRIED = new Set(['ProvisionedThroughputExceededException', 'InternalFailure', 'KMSThrottlingException']);

export const kinesisEntryFate = (code: string): 'retried' | 'failed' => (KINESIS_ENTRY_RETRIED.has(code) ? 'retried' : 'failed');

/**
 * A SendMessageBatch Failed entry: the service's fault (SenderFault false) is retried; the
 * sender's is a refusal of the message, except throttling, which SQS may call the sender's.
 */
export function sqsEntryFate({ Code, SenderFault }: { Code?: string; SenderFault?: boolean }): 'retried' | 'refused' {
  return !SenderFault || isThrottlingCode(sqsCode(Code ?? '')) ? 'retried' : 'refused';
}

/** An error's code and message, for the log: `ResourceNotFoundException: Stream x not found`. */
export function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return e.name && e.message && !e.message.startsWith(e.name) ? `${e.name}: ${e.message}` : String(e.message ?? error);
}
