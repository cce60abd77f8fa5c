/**
 * Delivery through batch APIs (Kinesis PutRecords, SQS SendMessageBatch): entries are split
 * into calls within the API's limits, and entries a call did not take are sent again with
 * capped exponential backoff and full jitter.
 */
export interface RetryPolicy {
  /** Calls per entry, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 2_000 };

/** Seams for tests; production uses real time and Math.random. */
export interface RetryClock {
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const realClock: RetryClock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export interface RetryOutcome<T> {
  /** Entries still not accepted when attempts ran out. */
  undelivered: T[];
  /** Entries sent again after a failure, summed over attempts. */
  retried: number;
  /** The last reason a call or an entry failed, for the log. */
  lastError?: string;
}

/** Sends a batch; returns the entries that failed and why. A throw fails the whole batch. */
export type SendBatch<T> = (entries: readonly T[]) => Promise<{ failed: T[]; error?: string }>;

async function sendWithRetries<T>(
  entries: readonly T[],
  send: SendBatch<T>,
  policy: RetryPolicy,
  clock: RetryClock,
): Promise<RetryOutcome<T>> {
  let pending: readonly T[] = entries;
  let retried = 0;
  let lastError: string | undefined;
  for (let attempt = 1; pending.length > 0; attempt++) {
    let failed: T[];
    try {
      const result = await send(pending);
      failed = result.failed;
      lastError = result.error ?? lastError;
    } catch (error) {
      failed = [...pending];
      lastError = (error as Error).message;
    }
    if (failed.length === 0 || attempt >= policy.maxAttempts) return { undelivered: failed, retried, lastError };
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
    await clock.sleep(clock.random() * ceiling);
    retried += failed.length;
    pending = failed;
  }
  return { undelivered: [], retried, lastError };
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

/**
 * Delivers entries call by call, in order, each call retried on its own; sums the outcome.
 * Once a call gives up, the entries after it are not sent but reported undelivered too:
 * Kinesis replays a shard from its first failed record, so sending them would only make
 * duplicates.
 */
export async function deliverInBatches<T>(
  entries: readonly T[],
  limits: BatchLimits<T>,
  send: SendBatch<T>,
  policy: RetryPolicy,
  clock: RetryClock,
): Promise<RetryOutcome<T>> {
  const total: RetryOutcome<T> = { undelivered: [], retried: 0 };
  for (const batch of chunk(entries, limits.maxEntries, limits.maxBytes, limits.bytesOf)) {
    if (total.undelivered.length > 0) {
      total.undelivered.push(...batch);
      continue;
    }
    const outcome = await sendWithRetries(batch, send, policy, clock);
    total.undelivered.push(...outcome.undelivered);
    total.retried += outcome.retried;
    total.lastError = outcome.lastError ?? total.lastError;
  }
  return total;
}
