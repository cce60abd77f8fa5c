/** Each AWS error's fate: the whole calls Smithy classifies, and each per-entry code kept by hand. */
import { describe, expect, it } from 'vitest';
import { callFate, describeError, kinesisEntryFate, sqsCallFate, sqsEntryFate } from '../../lambda/src/delivery/aws-errors';

/** An error as the SDK throws it: its code as the name, and the HTTP status of the answer when there was one. */
const error = (name: string, status?: number, extra: object = {}) =>
  Object.assign(new Error(`${name} (test)`), { name, ...(status && { $metadata: { httpStatusCode: status } }), ...extra });

describe('a whole call that throws', () => {
  it.each([
    ['throttled (Kinesis)', error('ProvisionedThroughputExceededException', 400), 'retried'],
    ['throttled (the common ThrottlingException)', error('ThrottlingException', 400), 'retried'],
    ['throttled (SQS)', error('RequestThrottled', 403), 'retried'],
    ['KMS throttling (Kinesis)', error('KMSThrottlingException', 400), 'retried'],
    ['KMS throttling (SQS)', error('KmsThrottled', 400), 'retried'],
    ['too many requests', error('TooManyRequests', 429), 'retried'],
    ['a server fault', error('InternalFailure', 500), 'retried'],
    ['the service unavailable', error('ServiceUnavailable', 503), 'retried'],
    ['a bad gateway', error('BadGateway', 502), 'retried'],
    ['no answer (a reset connection)', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'retried'],
    ['no connection (refused)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4567'), { code: 'ECONNREFUSED' }), 'retried'],
    ['no answer in time', error('TimeoutError'), 'retried'],
    ['a retryable trait', error('SomeServiceFault', 400, { $retryable: {} }), 'retried'],
    ['a bug: a RangeError', new RangeError('The value of "delay" is out of range'), 'failed'],
    ['a bug: a TypeError', new TypeError("Cannot read properties of undefined (reading 'Records')"), 'failed'],
    ['no such stream', error('ResourceNotFoundException', 400), 'failed'],
    ['access denied', error('AccessDeniedException', 400), 'failed'],
    ['no such queue', error('QueueDoesNotExist', 400), 'failed'],
    ['a KMS key disabled', error('KMSDisabledException', 400), 'failed'],
    // Fates the SDK's classification set where the hand-written one retried:
    ['a 5xx that is not transient (not implemented)', error('NotImplemented', 501), 'failed'],
    ['the call aborted at the deadline', error('AbortError'), 'failed'],
    ['an error of the client before any request (no credentials)', error('CredentialsProviderError'), 'failed'],
  ])('%s: %s', (_, e, fate) => {
    expect(callFate(e)).toBe(fate);
  });
});

describe('a whole SendMessageBatch call that throws', () => {
  it.each([
    'InvalidMessageContents',
    'MessageTooLong',
    'BatchRequestTooLong',
    'InvalidParameterValue',
    'InvalidParameterValueException',
    'InvalidAttributeValue',
    'InvalidBatchEntryId',
    'BatchEntryIdsNotDistinct',
    'TooManyEntriesInBatchRequest',
  ])('for a message, %s: split to find it', (code) => {
    expect(sqsCallFate(error(code, 400))).toBe('split');
  });

  it('reads the query protocol code, prefix and all', () => {
    const e = error('BatchRequestTooLong', 400, { Code: 'AWS.SimpleQueueService.BatchRequestTooLong' });
    expect(sqsCallFate(e)).toBe('split');
  });

  it.each([
    ['no such queue', error('QueueDoesNotExist', 400, { Code: 'AWS.SimpleQueueService.NonExistentQueue' }), 'failed'],
    ['KMS access denied', error('KmsAccessDenied', 400, { Code: 'KMS.AccessDeniedException' }), 'failed'],
    ['KMS throttling', error('KmsThrottled', 400, { Code: 'KMS.ThrottlingException' }), 'retried'],
    ['a server fault', error('InternalError', 500), 'retried'],
  ])('for the queue or the service, %s: as any call, %s', (_, e, fate) => {
    expect(sqsCallFate(e)).toBe(fate);
  });
});

describe("a PutRecords entry's ErrorCode", () => {
  it.each([
    ['ProvisionedThroughputExceededException', 'retried'],
    ['InternalFailure', 'retried'],
    ['KMSThrottlingException', 'retried'],
    ['KMSAccessDeniedException', 'failed'],
    ['KMSDisabledException', 'failed'],
    ['KMSInvalidStateException', 'failed'],
    ['KMSNotFoundException', 'failed'],
    ['KMSOptInRequired', 'failed'],
    ['AccessDeniedException', 'failed'],
  ])('%s: %s', (code, fate) => {
    expect(kinesisEntryFate(code)).toBe(fate);
  });
});

describe("a SendMessageBatch Failed entry's Code and SenderFault", () => {
  it.each([
    ['InternalError', false, 'retried'],
    ['ServiceUnavailable', false, 'retried'],
    ['InvalidParameterValue', false, 'retried'], // the service says it is its own fault: believed
    ['RequestThrottled', true, 'retried'],
    ['ThrottlingException', true, 'retried'],
    ['KmsThrottled', true, 'retried'],
    ['KMS.ThrottlingException', true, 'retried'],
    ['AWS.SimpleQueueService.RequestThrottled', true, 'retried'],
    ['InvalidParameterValue', true, 'refused'],
    ['InvalidMessageContents', true, 'refused'],
    ['MessageTooLong', true, 'refused'],
    ['KMS.AccessDeniedException', true, 'refused'],
  ] as const)('%s, SenderFault %s: %s', (Code, SenderFault, fate) => {
    expect(sqsEntryFate({ Code, SenderFault })).toBe(fate);
  });

  it('is retried when SQS does not say whose fault it is', () => {
    expect(sqsEntryFate({ Code: 'InternalError' })).toBe('retried');
  });
});

describe('describeError', () => {
  it('gives the code and the message, once', () => {
    expect(describeError(error('ResourceNotFoundException', 400))).toBe('ResourceNotFoundException (test)');
    expect(describeError(Object.assign(new Error('Stream x not found'), { name: 'ResourceNotFoundException' }))).toBe(
      'ResourceNotFoundException: Stream x not found',
    );
    expect(describeError('plain')).toBe('plain');
  });
});
