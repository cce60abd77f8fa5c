/** The fault drill (npm run drill) at full size: 100,000 rides, 1% bad, a faulty output stream and dead-letter queue. */
import { describe, expect, it } from 'vitest';
import { BAD_RECORDS } from '../../events/bad-records';
import { DEFAULT_DRILL, formatDrillReport, runFaultDrill } from '../../local/fault-drill';

describe('fault drill', () => {
  it('delivers a prediction for every good ride and a dead letter for every bad one', { timeout: 15 * 60_000 }, async () => {
    const report = await runFaultDrill({ ports: { kinesis: 0, s3: 0, sqs: 0 } });
    console.log(formatDrillReport(report));
    expect(report.recordsIn).toBe(DEFAULT_DRILL.rides);
    expect(report.badRecords).toBe(1000);
    // The faults really happened: entries throttled, calls failed, records replayed.
    expect(report.proxy.rejectedEntries).toBeGreaterThan(10_000);
    expect(report.proxy.failedCalls).toBeGreaterThan(0);
    expect(report.sqs.failedEntries).toBeGreaterThan(20);
    expect(report.sqs.failedCalls).toBeGreaterThan(0);
    // And nothing was lost or wrong.
    expect(report.missingPredictions).toBe(0);
    expect(report.wrongPredictions).toBe(0);
    expect(report.distinctRidesPredicted).toBe(report.goodRides);
    expect(report.missingDeadLetters).toBe(0);
    expect(report.wrongReasons).toBe(0);
    expect(report.wrongData).toBe(0);
    // Records larger than an SQS message were put whole in S3, and every kind was dead-lettered.
    expect(report.offloadedDeadLetters).toBeGreaterThan(0);
    expect(Object.keys(report.deadLettersByKind).length).toBe(BAD_RECORDS.filter((r) => r.bytes !== undefined).length);
    // Retries within the deadline: replays, and so duplicates, are rare.
    expect(report.duplicateShare).toBeLessThan(0.01);
    expect(report.batchesGivenUp).toBe(0);
    // Every prediction written was archived, duplicates too; drift counted each predicted ride once, replays or not.
    expect(report.archivedRecords).toBe(report.predictionsWritten);
    expect(report.drift?.windows).toBeGreaterThanOrEqual(10);
    expect(report.drift?.ridesCounted).toBe(report.distinctRidesPredicted);
    expect(report.drift?.features.map((f) => f.name)).toEqual(['PU_DO', 'trip_distance', 'prediction']);
    expect(report.passed).toBe(true);
  });
});
