import { describe, expect, it } from 'vitest';
import { chunk, deliverInBatches, type RetryClock } from '../lambda/src/delivery/batch-delivery';

/** Records the backoff it is asked for instead of waiting; jitter at its ceiling. */
function recordingClock(): RetryClock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms), random: () => 1 };
}

const policy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 500 };
const limits = { maxEntries: 3, maxBytes: 1_000, bytesOf: () => 1 };

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
  it('resends only the entries a call did not take, with capped exponential backoff', async () => {
    const clock = recordingClock();
    const calls: number[][] = [];
    // Each call takes only the first entry it is given.
    const outcome = await deliverInBatches([1, 2, 3, 4], limits, async (entries) => {
      calls.push([...entries]);
      return { failed: entries.slice(1), error: 'ProvisionedThroughputExceededException: Rate exceeded' };
    }, policy, clock);
    expect(calls).toEqual([[1, 2, 3], [2, 3], [3], [4]]);
    expect(outcome).toEqual({ undelivered: [], retried: 3, lastError: 'ProvisionedThroughputExceededException: Rate exceeded' });
    expect(clock.sleeps).toEqual([100, 200]);
  });

  it('gives up after maxAttempts and returns what is still undelivered', async () => {
    const clock = recordingClock();
    let calls = 0;
    const outcome = await deliverInBatches([1, 2], limits, async (entries) => {
      calls++;
      return { failed: [...entries] };
    }, policy, clock);
    expect(calls).toBe(5);
    expect(outcome.undelivered).toEqual([1, 2]);
    expect(clock.sleeps).toEqual([100, 200, 400, 500]); // capped at maxDelayMs
  });

  it('treats a thrown call as a failure of all its entries and keeps its message', async () => {
    const clock = recordingClock();
    let calls = 0;
    const outcome = await deliverInBatches([1, 2], limits, async (entries) => {
      if (++calls === 1) throw new Error('socket hang up');
      return { failed: entries.filter((e) => e === 2) };
    }, { ...policy, maxAttempts: 2 }, clock);
    expect(outcome).toEqual({ undelivered: [2], retried: 2, lastError: 'socket hang up' });
  });

  it('does not send the calls after one that gave up, and reports their entries undelivered', async () => {
    const calls: number[][] = [];
    const outcome = await deliverInBatches([1, 2, 3, 4, 5, 6, 7], limits, async (entries) => {
      calls.push([...entries]);
      return { failed: entries.filter((e) => e === 2) };
    }, { ...policy, maxAttempts: 2 }, recordingClock());
    expect(calls).toEqual([[1, 2, 3], [2]]);
    expect(outcome.undelivered).toEqual([2, 4, 5, 6, 7]);
  });

  it('draws full jitter below the ceiling', async () => {
    const sleeps: number[] = [];
    const clock: RetryClock = { sleep: async (ms) => void sleeps.push(ms), random: () => 0.25 };
    await deliverInBatches([1], limits, async (entries) => ({ failed: [...entries] }), { ...policy, maxAttempts: 3 }, clock);
    expect(sleeps).toEqual([25, 50]);
  });
});
