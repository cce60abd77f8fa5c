// One side of the benchmark in one process: the shipped bundle (lambda/dist/index.mjs), measured.
//
//   worker.mjs throughput EVENT_FILE REPS   -> median seconds per invocation (JSON)
//   worker.mjs deliver EVENT_FILE           -> seconds for one invocation that writes
//   worker.mjs first-prediction EVENT_FILE  -> prints once the first prediction is back
//   worker.mjs memory EVENT_FILE            -> peak RSS after the model and one event
//   worker.mjs drift EVENT_FILE REPS        -> the service with REFERENCE_LOCATION=DRIFT_PROFILE
//                                              (bench/.cache/service.mjs): in turns, its handling of the
//                                              event and its drift monitor's observation of the same batch
//                                              alone; median seconds of each
//   worker.mjs evaluate EVENT_FILE REPS     -> the model alone (bench/.cache/evaluator.mjs, bundled
//                                              from bench/node/evaluator.ts): predict on the rides'
//                                              prepared features, vectorizer included
//
// Plain JavaScript, so that nothing but Node.js and the bundle is timed. The environment
// configures the handler (the variables of docs/design.md).
import { readFileSync } from 'node:fs';

const [mode, eventFile, reps] = process.argv.slice(2);
const { handler } = mode === 'evaluate' || mode === 'drift' ? {} : await import('../../lambda/dist/index.mjs');
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const context = { functionName: 'bench', awsRequestId: 'bench' };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (mode === 'first-prediction') {
  const result = await handler(event, context);
  console.log(JSON.stringify(result.predictions[0]));
} else if (mode === 'throughput') {
  await handler(event, context); // warm-up: the model loads here
  const times = [];
  for (let i = 0; i < Number(reps); i++) {
    const started = process.hrtime.bigint();
    await handler(event, context);
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  console.log(JSON.stringify({ median: median(times), runs: times.length }));
} else if (mode === 'deliver') {
  await handler({ Records: [] }, context); // the model loads outside the timing
  const started = process.hrtime.bigint();
  const result = await handler(event, context);
  if (result.batchItemFailures.length > 0) throw new Error(`${result.batchItemFailures.length} records not delivered`);
  console.log(JSON.stringify({ seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
} else if (mode === 'evaluate') {
  const { loadModelAt } = await import('../.cache/evaluator.mjs');
  const { model } = await loadModelAt({ kind: 'local', path: process.env.MODEL_LOCATION });
  const rows = event.Records.map((r) => JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')).ride);
  model.predict(rows); // warm-up
  const times = [];
  for (let i = 0; i < Number(reps); i++) {
    const started = process.hrtime.bigint();
    model.predict(rows);
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  console.log(JSON.stringify({ median: median(times), min: Math.min(...times), runs: times.length }));
} else if (mode === 'drift') {
  // One service with drift on; in turns, its whole handling of the event (the monitor's
  // observation of the batch included) and the monitor's observation of the same batch alone.
  const { parseConfig, startPredictionService } = await import('../.cache/service.mjs');
  const service = await startPredictionService(parseConfig({ ...process.env, REFERENCE_LOCATION: process.env.DRIFT_PROFILE }));
  if (!service.drift) throw new Error('drift is off: no profile at DRIFT_PROFILE');
  const first = await service.handle(event);
  const predicted = event.Records.map((record, i) => ({
    record,
    ride: JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')).ride,
    prediction: first.predictions[i],
  }));
  const times = { handler: [], observe: [] };
  for (let i = 0; i < Number(reps) + 2; i++) {
    let started = process.hrtime.bigint();
    await service.handle(event);
    const handler = Number(process.hrtime.bigint() - started) / 1e9;
    started = process.hrtime.bigint();
    service.drift.observe(event.Records, predicted, []);
    const observe = Number(process.hrtime.bigint() - started) / 1e9;
    if (i >= 2) {
      times.handler.push(handler);
      times.observe.push(observe);
    }
  }
  console.log(JSON.stringify({ handler: median(times.handler), observe: median(times.observe), windows: service.drift.closed.length }));
} else if (mode === 'memory') {
  await handler(event, context);
  console.log(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
