/**
 * Delivery through batch APIs (Kinesis PutRecords, SQS SendMessageBatch): entries are split
 * into calls within the API's limits, and entries a call did not take are sent again with
 * capped exponential backoff and full jitter until the invocation's deadline. The backoff
 * grows only while nothing gets through: a call that took some of its entries shows the
 * stream is taking writes, and the rest are sent again at the same pace.
 *
 * These retries are the only ones: the delivery clients are made with the SDK's own retries
 * off (clients/delivery-clients.ts), so every resend is counted in DeliveryRetries and none
 * outlives the deadline. Which failures are retried is aws-errors.ts's to say.
 */
import { callFate, describeError } from './aws-errors';
import { mapWithConcurrency } from './concurrency';
import type { Deadline } from './deadline';

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Calls per entry, the first included: a bound for when the deadline is far off. */
  maxAttempts: number;
}

/** Kinesis meters writes per second, so waits are capped at a second; the deadline, not the attempt count, ends retrying. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 50, maxDelayMs: 1_000, maxAttempts: 100 };

/** Seams for tests; production uses real time and Math.random. */
export interface RetryClock {
  sleep(ms: number): Promise<void>;
  random(): number;
  /** Milliseconds on the same scale as Deadline's. */
  now(): number;
}

export const realClock: RetryClock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: () => Date.now(),
};

/** How the writers retry: the policy and the clock (how many calls are in flight is each writer's own, see BatchPlan). */
export interface DeliveryOptions {
  policy?: RetryPolicy;
  clock?: RetryClock;
}

/** An entry the service refused for what it is (too large, characters it does not accept): sending it again cannot help. */
export interface Refusal<T> {
  entry: T;
  error: string;
}

/** What one call did with its entries; entries not named were accepted. */
export interface BatchAnswer<T> {
  /** Entries to send again: throttled, or a fault on the service's side. */
  retry: T[];
  /** Entries that will not go through by trying again now (no such stream, access denied). */
  failed?: T[];
  refused?: Refusal<T>[];
  /** A failure's code and message, for the log. */
  error?: string;
}

/** Sends one call's entries. A throw fails them all; whether they are retried depends on the error (aws-errors.ts). */
export type SendBatch<T> = (entries: readonly T[], signal: AbortSignal) => Promise<BatchAnswer<T>>;

export interface RetryOutcome<T> {
  /** Entries not delivered: still failing at the deadline, failed for good, or never sent. */
  undelivered: T[];
  refused: Refusal<T>[];
  /** Entries sent again after a failure, summed over attempts. */
  retried: number;
  /** The last reason a call or an entry failed, for the log. */
  lastError?: string;
}

async function sendWithRetries<T>(
  entries: readonly T[],
  send: SendBatch<T>,
  deadline: Deadline,
  policy: RetryPolicy,
  clock: RetryClock,
): Promise<RetryOutcome<T>> {
  const outcome: RetryOutcome<T> = { undelivered: [], refused: [], retried: 0 };
  let pending: readonly T[] = entries;
  let backoffs = 0;
  for (let attempt = 1; pending.length > 0; attempt++) {
    let retry: T[];
    try {
      const answer = await send(pending, deadline.signal(clock.now()));
      retry = answer.retry;
      outcome.undelivered.push(...(answer.failed ?? []));
      outcome.refused.push(...(answer.refused ?? []));
      outcome.lastError = answer.error ?? outcome.lastError;
    } catch (error) {
      outcome.lastError = describeError(error);
      if (callFate(error) === 'failed') return { ...outcome, undelivered: [...outcome.undelivered, ...pending] };
      retry = [...pending];
    }
    if (retry.length === 0) break;
    if (attempt === 1 || retry.length === pending.length) backoffs++;
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (backoffs - 1));
    const delay = clock.random() * ceiling;
    // Give up when another try would start past the deadline; Kinesis replays what is left.
    if (attempt >= policy.maxAttempts || !deadline.allowsAttemptAt(clock.now() + delay)) {
      return { ...outcome, undelivered: [...outcome.undelivered, ...retry] };
    }
    await clock.sleep(delay);
    outcome.retried += retry.length;
    pending = retry;
  }
  return outcome;
}

/** Splits entries into API calls of at most maxCount entries and maxBytes in all, in order. */
export function chunk<T>(entries: readonly T[], maxCount: number, maxBytes: number, bytesOf: (entry: T) => number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = bytesOf(entry);
    if (current.length === maxCount || (current.length > 0 && bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export interface BatchLimits<T> {
  maxEntries: number;
  maxBytes: number;
  bytesOf(entry: T): number;
}

export interface BatchPlan<T> {
  limits: BatchLimits<T>;
  send: SendBatch<T>;
  deadline: Deadline;
  policy: RetryPolicy;
  clock: RetryClock;
  /**
   * Calls in flight at once. With 1, calls go in order and, once one gives up, the entries
   * after it are not sent but reported undelivered too: Kinesis replays a shard from its
   * first failed record, so sending them would only make duplicates.
   */
  concurrency: number;
}

/** Delivers entries in calls within the limits, each call retried on its own; sums the outcome. */
export async function deliverInBatches<T>(entries: readonly T[], plan: BatchPlan<T>): Promise<RetryOutcome<T>> {
  const total: RetryOutcome<T> = { undelivered: [], refused: [], retried: 0 };
  const batches = chunk(entries, plan.limits.maxEntries, plan.limits.maxBytes, plan.limits.bytesOf);
  const inOrder = plan.concurrency === 1;
  await mapWithConcurrency(batches, plan.concurrency, async (batch) => {
    if (inOrder && total.undelivered.length > 0) {
      total.undelivered.push(...batch);
      return;
    }
    const outcome = await sendWithRetries(batch, plan.send, plan.deadline, plan.policy, plan.clock);
    total.undelivered.push(...outcome.undelivered);
    total.refused.push(...outcome.refused);
    total.retried += outcome.retried;
    total.lastError = outcome.lastError ?? total.lastError;
  });
  return total;
}
