/** The README's demo command, as a newcomer runs it, and with a model of one's own. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadModelAt } from '../../lambda/src/model/load-model';
import { startLocalAws, uploadDirectory } from '../../local/aws-setup';
import { DEMO_MODEL_DIR, DEMO_RUN_ID } from '../../models/demo-model';

const FIXTURES = 'test/fixtures/pickles-sklearn-1.9.1-numpy-2.4';
const FOREST = `${FIXTURES}/forest-protocol5`;

/** The command as a newcomer runs it; asynchronously, as the local S3 of a test answers from this process. */
async function invoke(args: string | string[], settings: Record<string, string> = {}) {
  // A newcomer's shell: none of the test suite's settings.
  const unset = ['TEST_RUN', 'RUN_ID', 'MODEL_BUCKET', 'MODEL_LOCATION', 'POWERTOOLS_LOG_LEVEL'];
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !unset.includes(name))), ...settings };
  const child = spawn('node_modules/.bin/tsx', ['tools/invoke.ts', ...[args].flat()], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { status, stderr, result: status === 0 ? JSON.parse(stdout) : undefined };
}

async function durationOf(path: string) {
  const { model } = await loadModelAt({ kind: 'local', path });
  return model.predict([{ PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 }])[0];
}

describe('npm run invoke', () => {
  it('prints the prediction event for ride 256 from the demo model, and says it serves the demo', async () => {
    const run = await invoke('events/ride.json');
    expect(run.stderr).toContain(`invoke: serving the bundled demo model, ${DEMO_MODEL_DIR}`);
    expect(run.result).toEqual({
      predictions: [
        {
          model: 'ride_duration_prediction_model',
          version: DEMO_RUN_ID,
          prediction: { ride_duration: await durationOf(DEMO_MODEL_DIR), ride_id: 256 },
        },
      ],
      batchItemFailures: [],
      rejected: [],
    });
  });

  it('returns a prediction for every good ride and a reason for every bad one', async () => {
    const { result } = await invoke('events/mixed.json');
    expect(result.predictions.map((p: { prediction: { ride_id: number } }) => p.prediction.ride_id)).toEqual([256, 301, 305]);
    expect(result.rejected).toHaveLength(6);
    for (const rejected of result.rejected) expect(rejected.reason).toMatch(/^(data|record|ride|ride_id)[.:]/);
  });

  it('serves your model from MODEL_LOCATION, labelled with its own run id, never the demo run', async () => {
    const run = await invoke('events/ride.json', { MODEL_LOCATION: FOREST });
    expect(run.stderr).toContain(`serving ${process.cwd()}/${FOREST}, labelled with its MLmodel's run id`);
    expect(run.result.predictions).toEqual([
      {
        model: 'ride_duration_prediction_model',
        version: 'fixtureforest5',
        prediction: { ride_duration: await durationOf(FOREST), ride_id: 256 },
      },
    ]);
  });

  it('does not serve the demo model for RUN_ID alone: it says what is missing', async () => {
    const run = await invoke('events/ride.json', { RUN_ID: 'my-run' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("MODEL_BUCKET is required to find run my-run's model (or set MODEL_LOCATION)");
  });

  it('serves the model --model names, as npm run local takes it, whatever the shell says', async () => {
    // A directory, labelled with its MLmodel's run id; the shell's model settings do not count.
    const run = await invoke(['--model', FOREST, 'events/ride.json'], { RUN_ID: 'shell-run', MODEL_BUCKET: 'shell-bucket' });
    expect(run.stderr).toContain(`serving ${process.cwd()}/${FOREST}, labelled with its MLmodel's run id`);
    expect(run.result.predictions).toEqual([
      {
        model: 'ride_duration_prediction_model',
        version: 'fixtureforest5',
        prediction: { ride_duration: await durationOf(FOREST), ride_id: 256 },
      },
    ]);
    // A pickle file, labelled with --run-id.
    const pickle = await invoke(['--model', `${FIXTURES}/linear-protocol5/model.pkl`, '--run-id', 'lin-v7', 'events/ride.json']);
    expect(pickle.result.predictions[0]).toMatchObject({
      version: 'lin-v7',
      prediction: { ride_duration: await durationOf(`${FIXTURES}/linear-protocol5/model.pkl`) },
    });
    // --run-id alone labels the demo model.
    expect((await invoke(['--run-id', 'demo-label', 'events/ride.json'])).result.predictions[0].version).toBe('demo-label');
    // A pickle file without --run-id has nothing to be labelled with: the answer names the option, whatever RUN_ID says.
    const unlabelled = await invoke(['--model', `${FIXTURES}/linear-protocol5/model.pkl`, 'events/ride.json'], { RUN_ID: 'shell-run' });
    expect(unlabelled.status).toBe(1);
    expect(unlabelled.stderr).toContain("labelled with its MLmodel's run id, as --run-id is not given");
    expect(unlabelled.stderr).toContain(
      'no MLflow run id (no MLmodel with a run_id) to label its predictions with (pass --run-id <label>)',
    );
  });

  it('serves a model from an S3 URI, through S3_ENDPOINT_URL for a local S3', async () => {
    const aws = await startLocalAws(['models']);
    try {
      await uploadDirectory(aws.clients.s3, FOREST, 'models', '1/fixtureforest5/artifacts/model/');
      const uri = 's3://models/1/fixtureforest5/artifacts/model/';
      const run = await invoke(['--model', uri, 'events/ride.json'], aws.env);
      expect(run.stderr).toContain(`serving ${uri}`);
      expect(run.result.predictions[0]).toMatchObject({
        version: 'fixtureforest5',
        prediction: { ride_duration: await durationOf(FOREST) },
      });
    } finally {
      await aws.stop();
    }
  });

  it('answers a mistake on the command line with the usage, not a stack trace', async () => {
    for (const args of [[], ['--modle', 'x', 'events/ride.json'], ['events/ride.json', 'events/batch.json']]) {
      const run = await invoke(args);
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('usage: npm run invoke -- [--model <model directory | model file | s3://bucket/prefix-or-key>]');
      expect(run.stderr).not.toContain('    at ');
    }
    const missing = await invoke('events/no-such-event.json');
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^npm run invoke: cannot read the event events\/no-such-event\.json: ENOENT/);
  });
});
