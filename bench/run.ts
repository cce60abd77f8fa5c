/**
 * npm run bench: this stack's handler and the Python course handler, side by side, on the
 * same machine, the same models and the same rides, each side in processes of its own.
 *
 * Needs Debian's python3-sklearn and python3-boto3 (the Python side runs /usr/bin/python3,
 * or PYTHON). Prints a table of every figure with the ratios and the targets, and writes
 * bench/.cache/results.json. `npm run bench -- --quick` does fewer repetitions; `-- --drift-only`
 * measures drift monitoring's cost alone.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { kinesisEvent } from '../events/kinesis-event';
import { BUNDLE, bundle, bundleHandler } from '../lambda/build';
import {
  buildReferenceProfile,
  createClients,
  DEFAULT_EXPERIMENT_ID,
  loadModelAt,
  mlflowModelPath,
  monitoredFeaturesOf,
  type Ride,
} from '../lambda/src';
import { DEFAULTS } from '../lib/stack-defaults';
import { createQueue, createStream, uploadDirectory } from '../local/aws-setup';
import { startKinesis, startS3, startSqs } from '../local/emulators';
import { LOCAL_CREDENTIALS, LOCAL_REGION, QUIET_TELEMETRY } from '../local/environment';
import { startKinesisFaultProxy } from '../local/kinesis-fault-proxy';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, 'drift-only': { type: 'boolean', default: false } },
});
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'bench/.cache');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const MODELS = ['linear', 'forest'] as const;
const SIZES = [100, 1_000, 10_000] as const;
const RUN_ID = 'bench';
/** AWS Lambda's published prices (us-east-1): per GB-second by architecture, and per request. */
const PRICE = { arm64GbSecond: 0.0000133334, x86GbSecond: 0.0000166667, request: 0.2 / 1e6 };
const CREDENTIALS = LOCAL_CREDENTIALS;
const QUIET = { ...QUIET_TELEMETRY, POWERTOOLS_LOG_LEVEL: 'SILENT' };

type Side = 'typescript' | 'course' | 'vectorized';
const log = (line: string) => console.error(`[bench] ${line}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs a worker to completion; returns its last stdout line as JSON and the wall time. */
function run(command: string, args: string[], env: Record<string, string>): Promise<{ out: Record<string, number>; wallSeconds: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...CREDENTIALS, ...QUIET, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let firstLineAt: bigint | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      firstLineAt ??= process.hrtime.bigint();
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr}`));
      const last = stdout.trim().split('\n').pop()!;
      // Wall time to the first output: for a cold start, process start to first prediction.
      resolve({ out: JSON.parse(last), wallSeconds: Number((firstLineAt ?? process.hrtime.bigint()) - started) / 1e9 });
    });
  });
}

const worker = (side: Side, mode: string, args: string[], env: Record<string, string>) =>
  side === 'typescript'
    ? run(process.execPath, ['bench/node/worker.mjs', mode, ...args], env)
    : run(PYTHON, ['bench/python/worker.py', mode, ...(mode === 'throughput' || mode === 'deliver' ? [side] : []), ...args], env);

/** The model runtime alone, for the "evaluator alone" column (bench/node/evaluator.ts), and the service alone, for drift's cost (bench/node/service.ts). */
function bundleEvaluator(): void {
  bundle(join(ROOT, 'bench/node/evaluator.ts'), join(CACHE, 'evaluator.mjs'));
  bundle(join(ROOT, 'bench/node/service.ts'), join(CACHE, 'service.mjs'), { minify: true });
}

/** The fitted models and the rides, made once by scikit-learn and kept in bench/.cache. */
async function prepare(): Promise<void> {
  if (existsSync(join(CACHE, 'rides.json')) && existsSync(join(CACHE, 'forest', 'MLmodel'))) return;
  log('fitting the models with scikit-learn (once; kept in bench/.cache)');
  mkdirSync(CACHE, { recursive: true });
  try {
    await run(PYTHON, ['bench/python/fit_models.py', CACHE], {});
  } catch (error) {
    throw new Error(`cannot fit the models (python3-sklearn and python3-boto3 for ${PYTHON}?): ${(error as Error).message}`);
  }
}

function writeEvents(): Record<number, string> {
  const rides = JSON.parse(readFileSync(join(CACHE, 'rides.json'), 'utf8')) as object[];
  return Object.fromEntries(
    SIZES.map((n) => {
      const file = join(CACHE, `event-${n}.json`);
      writeFileSync(file, JSON.stringify(kinesisEvent(rides.slice(0, n))));
      return [n, file];
    }),
  );
}

/** Repetitions per run: enough for a stable median, without spending minutes on the slow side. */
function repetitions(side: Side, model: string, n: number): number {
  const quick = values.quick ? 3 : 1;
  // The JIT needs a few runs to settle; TypeScript runs are cheap, so take plenty.
  if (side === 'typescript') return Math.max(20, Math.round(50_000 / n / quick));
  if (side === 'vectorized') return Math.max(3, Math.round(2_000 / n / quick));
  return model === 'forest' || n === 10_000 || values.quick ? 3 : 5;
}

async function throughput(events: Record<number, string>) {
  const results: Record<string, Record<Side, Record<number, number>>> = {};
  for (const model of MODELS) {
    results[model] = { typescript: {}, course: {}, vectorized: {} };
    for (const side of ['typescript', 'vectorized', 'course'] as Side[]) {
      for (const n of SIZES) {
        const reps = repetitions(side, model, n);
        log(`throughput: ${model}, ${side}, ${n} records x ${reps}`);
        const { out } = await worker(side, 'throughput', [events[n], String(reps)], {
          TEST_RUN: 'true',
          RUN_ID,
          MODEL_LOCATION: join(CACHE, model),
        });
        results[model][side][n] = (out.median / n) * 1e6; // microseconds per record
      }
    }
  }
  return results;
}

/**
 * The models alone, side by side: this runtime's predict and scikit-learn's pipeline.predict
 * (one thread, vectorizer included) on the same 10,000 rides' features, in alternating
 * processes, so that both sides see the same machine. Microseconds per ride, min and median
 * over the rounds' medians.
 */
async function evaluators(events: Record<number, string>) {
  const rounds = values.quick ? 3 : 5;
  const results: Record<string, Record<'typescript' | 'sklearn', { min: number; median: number }>> = {};
  for (const model of MODELS) {
    const times: Record<'typescript' | 'sklearn', number[]> = { typescript: [], sklearn: [] };
    const env = { TEST_RUN: 'true', RUN_ID, MODEL_LOCATION: join(CACHE, model) };
    for (let round = 0; round < rounds; round++) {
      log(`evaluator alone: ${model}, round ${round + 1} of ${rounds}`);
      const ours = await worker('typescript', 'evaluate', [events[10_000], '20'], env);
      const theirs = await worker('course', 'predict', [events[10_000], model === 'forest' ? '5' : '20'], env);
      times.typescript.push((ours.out.median / 10_000) * 1e6);
      times.sklearn.push((theirs.out.median / 10_000) * 1e6);
    }
    results[model] = {
      typescript: { min: Math.min(...times.typescript), median: median(times.typescript) },
      sklearn: { min: Math.min(...times.sklearn), median: median(times.sklearn) },
    };
  }
  return results;
}

/**
 * Drift monitoring's cost: the service with the model's reference profile, timed in turns on
 * 10,000 rides (TEST_RUN): its whole handling of the event, and its monitor's observation of
 * the same batch alone (a window of the default 10,000 rides closes in each, its comparison,
 * sort and log line included). The overhead is the observation's share of the handler's time
 * without it. (Two services in one process, with and without a profile, differ by more than
 * that from where their models land in memory: the forest's, up to 15%.)
 */
async function driftOverhead(events: Record<number, string>) {
  const rides = (JSON.parse(readFileSync(join(CACHE, 'rides.json'), 'utf8')) as { ride: Ride }[]).map((r) => r.ride);
  const results: Record<string, { handler: number; observe: number; overhead: number }> = {};
  for (const model of MODELS) {
    const { model: served, file } = await loadModelAt({ kind: 'local', path: join(CACHE, model) });
    const profile = join(CACHE, `${model}-profile.json`);
    const profiled = buildReferenceProfile({
      rides,
      predictions: Float64Array.from(served.predict(rides)),
      features: monitoredFeaturesOf(served),
      model: { runId: model, file: file.name, sha256: 'bench' },
      data: { source: 'bench/.cache/rides.json', format: 'json', rows: rides.length, rejected: 0 },
    });
    writeFileSync(profile, JSON.stringify(profiled));
    log(`drift overhead: ${model}`);
    const reps = String(Math.max(20, repetitions('typescript', model, 10_000) * 2));
    const { out } = await worker('typescript', 'drift', [events[10_000], reps], {
      TEST_RUN: 'true',
      RUN_ID,
      MODEL_LOCATION: join(CACHE, model),
      DRIFT_PROFILE: profile,
    });
    const perRide = (seconds: number) => (seconds / 10_000) * 1e6;
    const [handler, observe] = [perRide(out.handler), perRide(out.observe)];
    results[model] = { handler, observe, overhead: observe / (handler - observe) };
  }
  return results;
}

async function delivery(events: Record<number, string>) {
  const [kinesis, sqs] = await Promise.all([startKinesis(), startSqs()]);
  try {
    const clients = createClients({ region: LOCAL_REGION, endpoints: { kinesis: kinesis.endpoint, sqs: sqs.endpoint } });
    const queueUrl = await createQueue(clients.sqs, 'bench-dead-letters');
    const results: Record<string, { calls: number; seconds: number }> = {};
    for (const side of ['typescript', 'vectorized', 'course'] as Side[]) {
      const stream = `bench-predictions-${side}`;
      await createStream(clients.kinesis, stream, 2);
      // A pass-through proxy (no faults) that counts the calls.
      const proxy = await startKinesisFaultProxy(kinesis.endpoint, { rejectEntryRate: 0, failCallRate: 0 });
      log(`delivery: ${side}, 10000 records`);
      const { out } = await worker(side, 'deliver', [events[10_000]], {
        RUN_ID,
        MODEL_LOCATION: join(CACHE, 'linear'),
        PREDICTIONS_STREAM_NAME: stream,
        DEAD_LETTER_QUEUE_URL: queueUrl,
        KINESIS_ENDPOINT_URL: proxy.endpoint,
        SQS_ENDPOINT_URL: sqs.endpoint,
      });
      const calls = Object.entries(proxy.stats.callsByOperation)
        .filter(([op]) => op.startsWith('PutRecord'))
        .reduce((sum, [, count]) => sum + count, 0);
      results[side] = { calls, seconds: out.seconds };
      await proxy.stop();
    }
    for (const client of Object.values(clients)) client.destroy();
    return results;
  } finally {
    await Promise.all([kinesis.stop(), sqs.stop()]);
  }
}

/**
 * Process start to first prediction, the model fetched from a local S3 by RUN_ID: this stack
 * from MLflow's model.pkl (as it serves it) and, to compare the two loads, from the same
 * model's model.json alone; the course handler from model.pkl.
 */
async function coldStart() {
  const s3 = await startS3(['bench-models']);
  try {
    const clients = createClients({ region: LOCAL_REGION, endpoints: { s3: s3.endpoint } });
    const results: Record<string, Record<'typescript' | 'typescriptJson' | 'course', number>> = {};
    const put = (key: string, body: Buffer | string) =>
      clients.s3.send(new PutObjectCommand({ Bucket: 'bench-models', Key: key, Body: body }));
    for (const model of MODELS) {
      await uploadDirectory(clients.s3, join(CACHE, model), 'bench-models', mlflowModelPath(DEFAULT_EXPERIMENT_ID, model));
      // The same model as model.json only (no pickle beside it), under a run of its own.
      const jsonRun = `${model}-json`;
      await put(
        `${mlflowModelPath(DEFAULT_EXPERIMENT_ID, jsonRun)}MLmodel`,
        readFileSync(join(CACHE, model, 'MLmodel'), 'utf8').replace(`run_id: ${model}`, `run_id: ${jsonRun}`),
      );
      await put(`${mlflowModelPath(DEFAULT_EXPERIMENT_ID, jsonRun)}model.json`, readFileSync(join(CACHE, model, 'model.json')));
      const env = (runId: string) => ({
        TEST_RUN: 'true',
        RUN_ID: runId,
        MODEL_BUCKET: 'bench-models',
        MLFLOW_EXPERIMENT_ID: DEFAULT_EXPERIMENT_ID,
        S3_ENDPOINT_URL: s3.endpoint,
      });
      results[model] = { typescript: 0, typescriptJson: 0, course: 0 };
      for (const [side, label, runId] of [
        ['typescript', 'typescript', model],
        ['typescript', 'typescriptJson', jsonRun],
        ['course', 'course', model],
      ] as const) {
        const times: number[] = [];
        for (let i = 0; i < (values.quick ? 3 : 5); i++) {
          times.push((await worker(side, 'first-prediction', [join(ROOT, 'events/ride.json')], env(runId))).wallSeconds);
        }
        log(`cold start: ${model}, ${label}: ${times.map((t) => t.toFixed(3)).join(', ')} s`);
        results[model][label] = median(times);
      }
    }
    clients.s3.destroy();
    return results;
  } finally {
    await s3.stop();
  }
}

async function memory(events: Record<number, string>) {
  const results: Record<string, Record<'typescript' | 'typescriptSmall' | 'course', number>> = {};
  for (const model of MODELS) {
    const env = { TEST_RUN: 'true', RUN_ID, MODEL_LOCATION: join(CACHE, model) };
    const peak = async (side: 'typescript' | 'course', extra: Record<string, string> = {}) =>
      (await worker(side, 'memory', [events[10_000]], { ...env, ...extra })).out.maxRssBytes;
    results[model] = {
      typescript: await peak('typescript'),
      // What the stack sets for functions of SMALL_FUNCTION_MB or less.
      typescriptSmall: await peak('typescript', { NODE_OPTIONS: '--max-semi-space-size=2' }),
      course: await peak('course'),
    };
  }
  return results;
}

/** Lambda cost of a million predictions: compute at the measured time per record, plus requests. */
function costPerMillion(microsPerRecord: number, memoryMb: number, gbSecond: number, batchSize: number): number {
  return microsPerRecord * (memoryMb / 1024) * gbSecond + (1e6 / batchSize) * PRICE.request;
}

async function main() {
  // This process talks to the emulators too (creating streams, queues, uploads).
  Object.assign(process.env, CREDENTIALS, QUIET);
  await prepare();
  bundleHandler();
  bundleEvaluator();
  const events = writeEvents();
  const started = Date.now();
  if (values['drift-only']) {
    // npm run bench -- --drift-only: drift monitoring's cost alone, in a minute.
    console.log(JSON.stringify(await driftOverhead(events), null, 2));
    return;
  }
  const alone = await evaluators(events);
  const speed = await throughput(events);
  const drift = await driftOverhead(events);
  const deliver = await delivery(events);
  const cold = await coldStart();
  const peak = await memory(events);
  const bundle = readFileSync(BUNDLE);

  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const us = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const ratio = (x: number) => `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}x`;
  const check = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const lines: string[] = [];
  const out = (line = '') => lines.push(line);
  const memoryMb = DEFAULTS.memorySize;

  out(
    `Machine: ${cpus().length} x ${cpus()[0].model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}; command: npm run bench${values.quick ? ' -- --quick' : ''}`,
  );
  out();
  out('Handler time per record, TEST_RUN on (decode + validate + features + predict), median of repeated runs, in microseconds:');
  out();
  out('| model | records | this stack | Python vectorized | Python course | vs course | vs vectorized | records/s (this stack) |');
  out('|---|---|---|---|---|---|---|---|');
  for (const model of MODELS) {
    for (const n of SIZES) {
      const s = speed[model];
      out(
        `| ${model} | ${n.toLocaleString('en-US')} | ${us(s.typescript[n])} | ${us(s.vectorized[n])} | ${us(s.course[n])} | ${ratio(s.course[n] / s.typescript[n])} | ${ratio(s.vectorized[n] / s.typescript[n])} | ${Math.round(1e6 / s.typescript[n]).toLocaleString('en-US')} |`,
      );
    }
  }
  out();
  out(
    "The model alone, on 10,000 rides' prepared features (vectorizer included), one thread, alternating processes; microseconds per ride, min / median over the rounds:",
  );
  out();
  out(
    '| model | this evaluator alone | scikit-learn predict alone | evaluator vs scikit-learn | whole handler (10,000) vs scikit-learn predict |',
  );
  out('|---|---|---|---|---|');
  for (const model of MODELS) {
    const a = alone[model];
    out(
      `| ${model} | ${us(a.typescript.min)} / ${us(a.typescript.median)} | ${us(a.sklearn.min)} / ${us(a.sklearn.median)} | ${ratio(a.sklearn.median / a.typescript.median)} faster | ${ratio(a.sklearn.median / speed[model].typescript[10_000])} |`,
    );
  }
  out();
  out(
    "Drift monitoring's cost: the service on 10,000 rides (TEST_RUN) with the model's reference profile, and its monitor's observation of the same batch alone, in turns in one process; microseconds per ride, medians (a 10,000-ride window closes in each):",
  );
  out();
  out('| model | handler (observation included) | the observation alone | overhead (of the handler without it) |');
  out('|---|---|---|---|');
  for (const model of MODELS) {
    const d = drift[model];
    out(`| ${model} | ${us(d.handler)} | ${us(d.observe)} | ${(d.overhead * 100).toFixed(1)}% |`);
  }
  out();
  out('Delivery of 10,000 predictions to local Kinesis (kinesalite):');
  out();
  out('| handler | output API calls | seconds |');
  out('|---|---|---|');
  for (const side of ['typescript', 'vectorized', 'course'] as Side[])
    out(
      `| ${side === 'typescript' ? 'this stack (PutRecords)' : side === 'course' ? 'Python course (put_record each)' : 'Python vectorized (put_records)'} | ${deliver[side].calls.toLocaleString('en-US')} | ${deliver[side].seconds.toFixed(2)} |`,
    );
  out();
  out('Cold start, process start to first prediction, model fetched from local S3 (s3rver) by RUN_ID, median:');
  out();
  out('| model | this stack (model.pkl) | this stack (model.json alone) | Python course (model.pkl) | ratio (model.pkl) |');
  out('|---|---|---|---|---|');
  const ms = (seconds: number) => `${(seconds * 1000).toFixed(0)} ms`;
  for (const model of MODELS)
    out(
      `| ${model} | ${ms(cold[model].typescript)} | ${ms(cold[model].typescriptJson)} | ${ms(cold[model].course)} | ${ratio(cold[model].course / cold[model].typescript)} |`,
    );
  out();
  out('Peak memory (max RSS) with the model loaded, after a 10,000-record event:');
  out();
  out('| model | this stack | this stack, --max-semi-space-size=2 (functions <= 256 MB) | Python course |');
  out('|---|---|---|---|');
  for (const model of MODELS)
    out(`| ${model} | ${mb(peak[model].typescript)} | ${mb(peak[model].typescriptSmall)} | ${mb(peak[model].course)} |`);
  out();
  out(
    `Handler bundle: ${(bundle.length / 1024).toFixed(0)} KiB (${(gzipSync(bundle).length / 1024).toFixed(0)} KiB gzipped); source map ${(statSync(`${BUNDLE}.map`).size / 1024).toFixed(0)} KiB, not loaded at run time.`,
  );
  out();
  out(
    `Lambda cost per million predictions at ${memoryMb} MB (the stack's default), compute at the measured 10,000-record time per record plus one request per ${DEFAULTS.batchSize}-record batch ($${PRICE.arm64GbSecond}/GB-s arm64, $${PRICE.x86GbSecond}/GB-s x86_64, $0.20 per million requests):`,
  );
  out();
  out('| model | this stack, arm64 | this stack, x86_64 | Python course, x86_64 |');
  out('|---|---|---|---|');
  for (const model of MODELS) {
    const s = speed[model];
    out(
      `| ${model} | $${costPerMillion(s.typescript[10_000], memoryMb, PRICE.arm64GbSecond, DEFAULTS.batchSize).toFixed(4)} | $${costPerMillion(s.typescript[10_000], memoryMb, PRICE.x86GbSecond, DEFAULTS.batchSize).toFixed(4)} | $${costPerMillion(s.course[10_000], memoryMb, PRICE.x86GbSecond, DEFAULTS.batchSize).toFixed(4)} |`,
    );
  }
  out();
  out('Targets:');
  out();
  out('| target | measured | |');
  out('|---|---|---|');
  for (const model of MODELS) {
    const s = speed[model];
    const vsCourse = Math.min(...SIZES.map((n) => s.course[n] / s.typescript[n]));
    const vsVectorized = Math.min(...SIZES.map((n) => s.vectorized[n] / s.typescript[n]));
    out(
      `| ${model}: >= 100x faster per record than the course handler | ${ratio(vsCourse)} (lowest over the sizes) | ${check(vsCourse >= 100)} |`,
    );
    out(
      `| ${model}: >= 3x faster per record than the vectorized variant | ${ratio(vsVectorized)} (lowest over the sizes) | ${check(vsVectorized >= 3)} |`,
    );
  }
  const forestAlone = alone.forest.sklearn.median / alone.forest.typescript.median;
  out(
    `| forest: the evaluator alone >= 1.5x faster than scikit-learn's predict alone | ${ratio(forestAlone)} | ${check(forestAlone >= 1.5)} |`,
  );
  out(
    `| forest: the whole handler at least as fast per ride as scikit-learn's predict alone | ${us(speed.forest.typescript[10_000])} us vs ${us(alone.forest.sklearn.median)} us | ${check(speed.forest.typescript[10_000] <= alone.forest.sklearn.median)} |`,
  );
  out(
    `| linear: <= 2 us per record at 10,000 | ${us(speed.linear.typescript[10_000])} us | ${check(speed.linear.typescript[10_000] <= 2)} |`,
  );
  out(
    `| forest: <= 10 us per record at 10,000 | ${us(speed.forest.typescript[10_000])} us | ${check(speed.forest.typescript[10_000] <= 10)} |`,
  );
  for (const model of MODELS) {
    const r = cold[model].course / cold[model].typescript;
    out(`| ${model}: cold start >= 4x faster than the course handler | ${ratio(r)} | ${check(r >= 4)} |`);
  }
  for (const model of MODELS) {
    const overhead = drift[model].overhead;
    out(`| ${model}: drift monitoring < 5% of the handler's time per ride | ${(overhead * 100).toFixed(1)}% | ${check(overhead < 0.05)} |`);
  }
  const calls = deliver.typescript.calls;
  out(
    `| <= ceil(n/500) output calls for n = 10,000 | ${calls} (limit ${Math.ceil(10_000 / 500)}) | ${check(calls <= Math.ceil(10_000 / 500))} |`,
  );
  out(
    `| peak memory <= 128 MB with the forest loaded | ${mb(peak.forest.typescript)} (V8 defaults), ${mb(peak.forest.typescriptSmall)} (as deployed at <= 256 MB) | ${check(peak.forest.typescriptSmall <= 128 * 1024 * 1024)} |`,
  );
  out();
  out(`(bench took ${Math.round((Date.now() - started) / 1000)} s)`);

  console.log(lines.join('\n'));
  writeFileSync(
    join(CACHE, 'results.json'),
    JSON.stringify({ alone, speed, drift, deliver, cold, peak, bundleBytes: bundle.length, table: lines }, null, 2),
  );
}

await main();
