/**
 * The batch step with in-memory sinks: every record of a batch ends predicted, dead-lettered or
 * a batch item failure, with the metrics of the step (the sinks' own are theirs, tested with
 * them), the TEST_RUN path and the drift hook. The model is the committed demo model, or a
 * small model.json whose encoder refuses an unknown zone.
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BAD_RECORDS, eventData, isReasonFor } from '../../events/bad-records';
import { COURSE_RIDE, kinesisEvent, RawData, type RecordPayload } from '../../events/kinesis-event';
import type { DeadLetter } from '../../lambda/src/delivery/dead-letter';
import { Deadline } from '../../lambda/src/delivery/deadline';
import type { DeadLetterSink, Delivery, OutputRecord, PredictionSink, Sinks } from '../../lambda/src/delivery/sinks';
import { parseModelDocument } from '../../lambda/src/model/format';
import { loadModelAt } from '../../lambda/src/model/load-model';
import { buildModel, type RideModel } from '../../lambda/src/model/ride-model';
import type { BatchObserver } from '../../lambda/src/monitoring';
import { METRIC_NAMES } from '../../lambda/src/names';
import { type BatchDependencies, processBatch } from '../../lambda/src/process-batch';
import { MODEL_NAME } from '../../lambda/src/rides/prediction-event';
import { RideValidator } from '../../lambda/src/rides/validate-ride';
import { metrics } from '../../lambda/src/telemetry';
import { DEMO_MODEL_DIR } from '../../models/demo-model';

const VERSION = 'run-1';
let demo: RideModel;
beforeAll(async () => {
  demo = (await loadModelAt({ kind: 'local', path: DEMO_MODEL_DIR })).model;
});
afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * A sink that keeps what it is given; entries `refuse` names are answered undelivered, as a
 * sink does once its retries run out, and each call reports `retried` resends.
 */
class MemorySink<T extends { sequenceNumber: string }> {
  readonly taken: T[] = [];
  readonly given: T[] = [];
  constructor(
    private readonly refuse: (entry: T) => boolean = () => false,
    private readonly retried = 0,
  ) {}

  async deliver(entries: readonly T[]): Promise<Delivery> {
    this.given.push(...entries);
    const undelivered = entries.filter(this.refuse);
    this.taken.push(...entries.filter((e) => !this.refuse(e)));
    return { undelivered, retried: this.retried };
  }
}

class MemoryPredictions extends MemorySink<OutputRecord> implements PredictionSink {
  write = (records: readonly OutputRecord[]) => this.deliver(records);
}

class MemoryDeadLetters extends MemorySink<DeadLetter> implements DeadLetterSink {
  send = (letters: readonly DeadLetter[]) => this.deliver(letters);
}

const deadline = () => Deadline.fromRemainingTime(60_000, Date.now());
const deps = (overrides: Partial<BatchDependencies> = {}): BatchDependencies => ({
  model: demo,
  version: VERSION,
  validator: new RideValidator(),
  ...overrides,
});
const ride = (PULocationID: number, DOLocationID: number, trip_distance: number, ride_id: number | string) => ({
  ride: { PULocationID, DOLocationID, trip_distance },
  ride_id,
});
const sequenceNumbers = (records: readonly KinesisStreamRecord[]) => records.map((r) => r.kinesis.sequenceNumber);
/** A metric's values as the step added them, by name. */
function metricSpy() {
  const addMetric = vi.spyOn(metrics, 'addMetric');
  return (name: string) => addMetric.mock.calls.filter(([n]) => n === name).map(([, , value]) => value);
}

describe('processBatch', () => {
  it("predicts each valid ride with the model, in input order, and writes each prediction as the record's answer", async () => {
    const rides = [COURSE_RIDE, ride(1, 2, 0.5, 'abc'), ride(264, 265, 12.25, 7)];
    const event = kinesisEvent(rides);
    const sinks = { predictions: new MemoryPredictions(), deadLetters: new MemoryDeadLetters() };
    const result = await processBatch(event, deps({ sinks }), deadline());
    const durations = demo.predict(rides.map((r) => r.ride));
    expect(result.predictions).toEqual(
      rides.map((r, i) => ({ model: MODEL_NAME, version: VERSION, prediction: { ride_duration: durations[i], ride_id: r.ride_id } })),
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(result.rejected).toBeUndefined();
    expect(sinks.predictions.taken.map((r) => r.sequenceNumber)).toEqual(sequenceNumbers(event.Records));
    expect(sinks.predictions.taken.map((r) => r.partitionKey)).toEqual(['256', 'abc', '7']);
    expect(sinks.predictions.taken.map((r) => JSON.parse(Buffer.from(r.data).toString('utf8')))).toEqual(result.predictions);
    expect(sinks.deadLetters.given).toEqual([]);
  });

  it('dead-letters every kind of bad record with its reason and the record whole, and predicts the rides around them', async () => {
    const bad = BAD_RECORDS.map((r) => new RawData(eventData(r)));
    const event = kinesisEvent([COURSE_RIDE, ...bad, { ...COURSE_RIDE, ride_id: 'last' }]);
    const sinks = { predictions: new MemoryPredictions(), deadLetters: new MemoryDeadLetters() };
    const result = await processBatch(event, deps({ sinks }), deadline());
    expect(result.predictions.map((p) => p.prediction.ride_id)).toEqual([256, 'last']);
    const letters = sinks.deadLetters.taken;
    expect(letters.map((l) => l.sequenceNumber)).toEqual(sequenceNumbers(event.Records.slice(1, -1)));
    letters.forEach((letter, i) => {
      expect(isReasonFor(BAD_RECORDS[i], letter.reason), `${BAD_RECORDS[i].kind}: ${letter.reason}`).toBe(true);
      const record = event.Records[i + 1];
      expect(letter).toMatchObject({
        shardId: 'shardId-000000000000',
        eventSourceARN: record.eventSourceARN,
        partitionKey: record.kinesis.partitionKey,
        data: record.kinesis.data,
        dataTruncated: false,
      });
    });
    expect(new Set(letters.map((l) => l.rejectedAt)).size).toBe(1);
    expect(result.batchItemFailures).toEqual([]);
  });

  it('dead-letters a ride the model refuses (a zone its encoder never saw, under handle_unknown="error"), saying so', async () => {
    const encoder = {
      type: 'one_hot_encoder',
      categories: [[130, 131]],
      drop: [null],
      handle_unknown: 'error',
      sparse: true,
    };
    const strict = buildModel(
      parseModelDocument({
        format: 'sklearn-pipeline-json',
        format_version: 2,
        model: {
          type: 'pipeline',
          steps: [
            {
              type: 'column_transformer',
              columns: ['PULocationID', 'trip_distance'],
              blocks: [
                { name: 'zones', columns: ['PULocationID'], transformer: encoder },
                { name: 'num', columns: ['trip_distance'], transformer: 'passthrough' },
              ],
              sparse: true,
            },
            { type: 'linear', estimator: 'LinearRegression', coef: [1, 10, 2], intercept: 0 },
          ],
        },
      }).model,
    );
    const event = kinesisEvent([ride(131, 1, 2, 1), ride(99, 1, 2, 2), ride(130, 1, 1, 3)]);
    const sinks = { predictions: new MemoryPredictions(), deadLetters: new MemoryDeadLetters() };
    const result = await processBatch(event, deps({ model: strict, sinks }), deadline());
    expect(result.predictions.map((p) => [p.prediction.ride_id, p.prediction.ride_duration])).toEqual([
      [1, 10 + 4],
      [3, 1 + 2],
    ]);
    expect(sinks.deadLetters.taken.map((l) => [l.sequenceNumber, l.reason])).toEqual([
      [
        event.Records[1].kinesis.sequenceNumber,
        `features: PULocationID 99 is not a category the model's OneHotEncoder was fitted on (handle_unknown="error")`,
      ],
    ]);
  });

  it('ends every record predicted, dead-lettered or a batch item failure, the failures in input order', async () => {
    const payloads: RecordPayload[] = Array.from({ length: 12 }, (_, i) => (i % 3 === 1 ? `not a ride ${i}` : ride(130, 205, i + 1, i)));
    const event = kinesisEvent(payloads);
    const seq = sequenceNumbers(event.Records);
    // The output stream refuses rides 6 and 9; the queue refuses the letter of record 4.
    const sinks = {
      predictions: new MemoryPredictions((r) => r.partitionKey === '6' || r.partitionKey === '9'),
      deadLetters: new MemoryDeadLetters((l) => l.sequenceNumber === seq[4]),
    };
    const result = await processBatch(event, deps({ sinks }), deadline());
    const predicted = new Set(sinks.predictions.taken.map((r) => r.sequenceNumber));
    const lettered = new Set(sinks.deadLetters.taken.map((l) => l.sequenceNumber));
    const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([seq[4], seq[6], seq[9]]);
    for (const [i, s] of seq.entries()) {
      const ends = [predicted.has(s), lettered.has(s), failed.has(s)].filter(Boolean);
      expect(ends, `record ${i}`).toHaveLength(1);
    }
    expect([...lettered]).toEqual([seq[1], seq[7], seq[10]]);
  });

  it("counts the batch (records in, predictions, rejected) and the sinks' resends and undelivered records, and leaves DeadLetters to the queue", async () => {
    const metric = metricSpy();
    const event = kinesisEvent([COURSE_RIDE, 'garbage', { ...COURSE_RIDE, ride_id: 2 }, 'more garbage', { ...COURSE_RIDE, ride_id: 3 }]);
    const sinks: Sinks = {
      predictions: new MemoryPredictions((r) => r.partitionKey === '3', 4),
      deadLetters: new MemoryDeadLetters((l) => l.sequenceNumber === event.Records[3].kinesis.sequenceNumber, 2),
    };
    await processBatch(event, deps({ sinks }), deadline());
    expect(metric(METRIC_NAMES.recordsIn)).toEqual([5]);
    expect(metric(METRIC_NAMES.predictions)).toEqual([3]);
    expect(metric(METRIC_NAMES.rejected)).toEqual([2]);
    expect(metric(METRIC_NAMES.deliveryRetries)).toEqual([6]);
    expect(metric(METRIC_NAMES.undelivered)).toEqual([2]);
    expect(metric(METRIC_NAMES.deadLetters)).toEqual([]);
    expect(metric(METRIC_NAMES.deadLettersLost)).toEqual([]);
    expect(metric(METRIC_NAMES.testRunRecords)).toEqual([]);
  });

  it('tells the drift hook the batch, its predictions and its failures once delivered', async () => {
    const observe = vi.fn<BatchObserver['observe']>();
    const event = kinesisEvent([COURSE_RIDE, 'garbage', { ...COURSE_RIDE, ride_id: 2 }]);
    const sinks = { predictions: new MemoryPredictions((r) => r.partitionKey === '2'), deadLetters: new MemoryDeadLetters() };
    const result = await processBatch(event, deps({ sinks, drift: { observe } }), deadline());
    expect(observe).toHaveBeenCalledOnce();
    const [records, predicted, failures] = observe.mock.calls[0];
    expect(records).toBe(event.Records);
    expect(predicted.map((p) => [p.record, p.ride, p.prediction])).toEqual([
      [event.Records[0], COURSE_RIDE.ride, result.predictions[0]],
      [event.Records[2], COURSE_RIDE.ride, result.predictions[1]],
    ]);
    expect(failures).toEqual([{ itemIdentifier: event.Records[2].kinesis.sequenceNumber }]);
  });

  describe('in a test run (no sinks)', () => {
    it('writes nothing, acknowledges every record, returns the rejected ones with their reasons, and counts TestRunRecords', async () => {
      const metric = metricSpy();
      const observe = vi.fn<BatchObserver['observe']>();
      const event = kinesisEvent([COURSE_RIDE, new RawData('bad!'), ride(0, 1, 1, 'zone 0')]);
      const result = await processBatch(event, deps({ drift: { observe } }), deadline());
      expect(result.predictions.map((p) => p.prediction.ride_id)).toEqual([256]);
      expect(result.batchItemFailures).toEqual([]);
      expect(result.rejected).toEqual([
        { sequenceNumber: event.Records[1].kinesis.sequenceNumber, shardId: 'shardId-000000000000', reason: 'data: not valid base64' },
        {
          sequenceNumber: event.Records[2].kinesis.sequenceNumber,
          shardId: 'shardId-000000000000',
          reason: expect.stringMatching(/^ride\.PULocationID: expected a zone id from 1 to 265/),
        },
      ]);
      expect(metric(METRIC_NAMES.testRunRecords)).toEqual([3]);
      expect(metric(METRIC_NAMES.rejected)).toEqual([1 + 1]);
      expect(metric(METRIC_NAMES.undelivered)).toEqual([]);
      expect(observe).toHaveBeenCalledWith(event.Records, [expect.objectContaining({ record: event.Records[0] })], []);
    });
  });
});
