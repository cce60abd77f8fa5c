/** The fault drill (npm run drill) at full size: 100,000 rides, 1% bad, a faulty output stream. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DRILL, formatDrillReport, runFaultDrill } from '../local/fault-drill';

describe('fault drill', () => {
  it('delivers a prediction for every good ride and a dead letter for every bad one', { timeout: 15 * 60_000 }, async () => {
    const report = await runFaultDrill({ ports: { kinesis: 0, s3: 0, sqs: 0 } });
    console.log(formatDrillReport(report));
    expect(report.recordsIn).toBe(DEFAULT_DRILL.rides);
    expect(report.badRecords).toBe(1000);
    // The faults really happened: entries throttled, calls failed, records replayed.
    expect(report.proxy.rejectedEntries).toBeGreaterThan(10_000);
    expect(report.proxy.failedCalls).toBeGreaterThan(0);
    expect(report.partialFailureInvocations).toBeGreaterThan(0);
    // And nothing was lost or wrong.
    expect(report.missingPredictions).toBe(0);
    expect(report.wrongPredictions).toBe(0);
    expect(report.distinctRidesPredicted).toBe(report.goodRides);
    expect(report.missingDeadLetters).toBe(0);
    expect(report.wrongReasons).toBe(0);
    expect(Object.keys(report.deadLettersByKind).length).toBeGreaterThanOrEqual(30);
    expect(report.batchesGivenUp).toBe(0);
    expect(report.passed).toBe(true);
  });
});
