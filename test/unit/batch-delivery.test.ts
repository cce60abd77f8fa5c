import { describe, expect, it } from 'vitest';
import { type BatchAnswer, type BatchPlan, chunk, deliverInBatches, type RetryClock } from '../../lambda/src/delivery/batch-delivery';
import { Deadline } from '../../lambda/src/delivery/deadline';

/** Virtual time: sleeping advances it at once; jitter at its ceiling unless told. */
function virtualClock(random = 1): RetryClock & { sleeps: number[]; time: number } {
  const clock = {
    sleeps: [] as number[],
    time: 0,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.time += ms;
    },
    random: () => random,
    now: () => clock.time,
  };
  return clock;
}

const policy = { maxAttempts: 100, baseDelayMs: 100, maxDelayMs: 500 };
const limits = { maxEntries: 3, maxBytes: 1_000, bytesOf: () => 1 };

function plan(send: BatchPlan<number>['send'], clock: RetryClock, overrides: Partial<BatchPlan<number>> = {}): BatchPlan<number> {
  return { limits, send, deadline: Deadline.fromRemainingTime(60_000, clock.now()), policy, clock, concurrency: 1, ...overrides };
}

/** A SendBatch that answers every entry with retry, counting its calls. */
function retryAll() {
  const counter = {
    calls: 0,
    send: async (entries: readonly number[]): Promise<BatchAnswer<number>> => {
      counter.calls++;
      return { retry: [...entries] };
    },
  };
  return counter;
}

/** A SendBatch that answers every entry with retry, as throttled. */
const throttleAll = async (entries: readonly number[]): Promise<BatchAnswer<number>> => ({
  retry: [...entries],
  error: 'ProvisionedThroughputExceededException: Rate exceeded',
});

describe('chunk', () => {
  it('keeps order and respects the entry count', () => {
    expect(chunk([1, 2, 3, 4, 5, 6, 7], 3, 100, () => 1)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('respects the byte limit, and puts a lone large entry in a call of its own', () => {
    expect(chunk([4, 4, 4, 9, 1], 10, 10, (n) => n)).toEqual([[4, 4], [4], [9, 1]]);
    expect(chunk([11, 1], 10, 10, (n) => n)).toEqual([[11], [1]]);
  });
});

describe('deliverInBatches', () => {
  it('resends only the entries a call did not take, at the same pace while some get through', async () => {
    const clock = virtualClock();
    const calls: number[][] = [];
    // Each call takes only the first entry it is given.
    const outcome = await deliverInBatches(
      [1, 2, 3, 4],
      plan(async (entries) => {
        calls.push([...entries]);
        return { retry: entries.slice(1), error: 'ProvisionedThroughputExceededException: Rate exceeded' };
      }, clock),
    );
    expect(calls).toEqual([[1, 2, 3], [2, 3], [3], [4]]);
    expect(outcome).toEqual({
      undelivered: [],
      refused: [],
      retried: 3,
      lastError: 'ProvisionedThroughputExceededException: Rate exceeded',
    });
    expect(clock.sleeps).toEqual([100, 100]);
  });

  it('backs off exponentially, to the cap, while nothing gets through', async () => {
    const clock = virtualClock();
    let calls = 0;
    // Nothing goes through four times, then one entry of two, then the other.
    await deliverInBatches(
      [1, 2],
      plan(async (entries) => {
        calls++;
        if (calls <= 4) return { retry: [...entries] };
        return { retry: entries.slice(1) };
      }, clock),
    );
    expect(clock.sleeps).toEqual([100, 200, 400, 500, 500]);
  });

  it('retries until the deadline, less its margin, and then returns what is still undelivered', async () => {
    const clock = virtualClock();
    const all = retryAll();
    const deadline = Deadline.fromRemainingTime(20_000, 0, { retryMs: 3_000, abortMs: 1_000 });
    const outcome = await deliverInBatches([1, 2], plan(all.send, clock, { deadline }));
    expect(outcome.undelivered).toEqual([1, 2]);
    // 100, 200, 400, then 500 (the cap) while an attempt still starts by 17 s.
    expect(clock.sleeps.slice(0, 4)).toEqual([100, 200, 400, 500]);
    expect(clock.time).toBeLessThanOrEqual(17_000);
    expect(clock.time + 500).toBeGreaterThan(17_000);
    expect(all.calls).toBe(clock.sleeps.length + 1);
  });

  it('makes the first attempt even when the deadline has passed, and no other', async () => {
    const clock = virtualClock();
    const all = retryAll();
    const outcome = await deliverInBatches([1], plan(all.send, clock, { deadline: Deadline.fromRemainingTime(0, 0) }));
    expect(all.calls).toBe(1);
    expect(outcome.undelivered).toEqual([1]);
  });

  it('keeps back 3 s for retries and 1 s for calls in flight, or a share of a short remaining time', () => {
    const long = Deadline.fromRemainingTime(60_000, 1_000);
    expect([long.retryUntil, long.abortAt]).toEqual([58_000, 60_000]);
    const short = Deadline.fromRemainingTime(2_000, 0);
    expect([short.retryUntil, short.abortAt]).toEqual([1_500, 1_800]);
  });

  it('delivers with any remaining time, its margins in whole milliseconds (AbortSignal.timeout takes no fraction)', async () => {
    for (const remaining of [9_999, 4_321, 37]) {
      const deadline = Deadline.fromRemainingTime(remaining, 0.5);
      expect(Number.isInteger(deadline.abortAt - 0.5), `${remaining} ms`).toBe(true);
      expect(() => deadline.signal(0.25)).not.toThrow();
      const clock = virtualClock();
      const outcome = await deliverInBatches(
        [1, 2],
        plan(async () => ({ retry: [] }), clock, { deadline }),
      );
      expect(outcome, `${remaining} ms`).toEqual({ undelivered: [], refused: [], retried: 0 });
    }
  });

  it('stops at maxAttempts when the deadline is far off', async () => {
    const clock = virtualClock();
    const all = retryAll();
    await deliverInBatches([1], plan(all.send, clock, { policy: { ...policy, maxAttempts: 4 } }));
    expect(all.calls).toBe(4);
  });

  it('retries a thrown call that may succeed later, and gives up at once on one that will not', async () => {
    const clock = virtualClock();
    let calls = 0;
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    const outcome = await deliverInBatches(
      [1, 2],
      plan(
        async (entries) => {
          if (++calls === 1) throw throttled;
          return { retry: entries.filter((e) => e === 2) };
        },
        clock,
        { policy: { ...policy, maxAttempts: 2 } },
      ),
    );
    expect(outcome).toEqual({
      undelivered: [2],
      refused: [],
      retried: 2,
      lastError: 'ProvisionedThroughputExceededException: Rate exceeded',
    });

    const missing = Object.assign(new Error('Stream no-such-stream not found'), {
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
    calls = 0;
    const gone = await deliverInBatches(
      [1, 2],
      plan(async () => {
        calls++;
        throw missing;
      }, clock),
    );
    expect(calls).toBe(1);
    expect(gone).toMatchObject({
      undelivered: [1, 2],
      retried: 0,
      lastError: 'ResourceNotFoundException: Stream no-such-stream not found',
    });
  });

  it('reports refused and failed entries without retrying them', async () => {
    const clock = virtualClock();
    const calls: number[][] = [];
    const outcome = await deliverInBatches(
      [1, 2, 3],
      plan(async (entries) => {
        calls.push([...entries]);
        return calls.length === 1
          ? { retry: [3], failed: [2], refused: [{ entry: 1, error: 'InvalidMessageContents: bad' }] }
          : { retry: [] };
      }, clock),
    );
    expect(calls).toEqual([[1, 2, 3], [3]]);
    expect(outcome).toMatchObject({ undelivered: [2], refused: [{ entry: 1, error: 'InvalidMessageContents: bad' }], retried: 1 });
  });

  it('in order, does not send the calls after one that gave up, and reports their entries undelivered', async () => {
    const clock = virtualClock();
    const calls: number[][] = [];
    const outcome = await deliverInBatches(
      [1, 2, 3, 4, 5, 6, 7],
      plan(
        async (entries) => {
          calls.push([...entries]);
          return { retry: entries.filter((e) => e === 2) };
        },
        clock,
        { policy: { ...policy, maxAttempts: 2 } },
      ),
    );
    expect(calls).toEqual([[1, 2, 3], [2]]);
    expect(outcome.undelivered).toEqual([2, 4, 5, 6, 7]);
  });

  it('with concurrency, keeps that many calls in flight and sends every call whatever another did', async () => {
    const clock = virtualClock();
    let inFlight = 0;
    let most = 0;
    const sent: number[] = [];
    const entries = Array.from({ length: 100 }, (_, i) => i);
    const outcome = await deliverInBatches(
      entries,
      plan(
        async (batch) => {
          most = Math.max(most, ++inFlight);
          await new Promise((resolve) => setTimeout(resolve, 2));
          inFlight--;
          sent.push(...batch);
          return { retry: [], failed: batch.filter((e) => e === 0) };
        },
        clock,
        { concurrency: 10, limits: { maxEntries: 10, maxBytes: 1_000, bytesOf: () => 1 } },
      ),
    );
    expect(most).toBe(10);
    expect(sent.sort((a, b) => a - b)).toEqual(entries);
    expect(outcome.undelivered).toEqual([0]);
  });

  it('draws full jitter below the ceiling', async () => {
    const clock = virtualClock(0.25);
    await deliverInBatches([1], plan(throttleAll, clock, { policy: { ...policy, maxAttempts: 3 } }));
    expect(clock.sleeps).toEqual([25, 50]);
  });
});
