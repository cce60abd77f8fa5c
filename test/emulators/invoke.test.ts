/** The README's demo command, as a newcomer runs it, and with a model of one's own. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadModelAt } from '../../lambda/src/model/load-model';
import { DEMO_MODEL_DIR, DEMO_RUN_ID } from '../../models/demo-model';

const FOREST = 'test/fixtures/pickles-sklearn-1.9.1-numpy-2.4/forest-protocol5';

function invoke(eventFile: string, settings: Record<string, string> = {}) {
  // A newcomer's shell: none of the test suite's settings.
  const unset = ['TEST_RUN', 'RUN_ID', 'MODEL_BUCKET', 'MODEL_LOCATION', 'POWERTOOLS_LOG_LEVEL'];
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !unset.includes(name))), ...settings };
  const run = spawnSync('node_modules/.bin/tsx', ['tools/invoke.ts', eventFile], { encoding: 'utf8', env });
  return { status: run.status, stderr: run.stderr, result: run.status === 0 ? JSON.parse(run.stdout) : undefined };
}

async function durationOf(path: string) {
  const { model } = await loadModelAt({ kind: 'local', path });
  return model.predict([{ PULocationID: 130, DOLocationID: 205, trip_distance: 3.66 }])[0];
}

describe('npm run invoke', () => {
  it('prints the prediction event for ride 256 from the demo model, and says it serves the demo', async () => {
    const run = invoke('events/ride.json');
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

  it('returns a prediction for every good ride and a reason for every bad one', () => {
    const { result } = invoke('events/mixed.json');
    expect(result.predictions.map((p: { prediction: { ride_id: number } }) => p.prediction.ride_id)).toEqual([256, 301, 305]);
    expect(result.rejected).toHaveLength(6);
    for (const rejected of result.rejected) expect(rejected.reason).toMatch(/^(data|record|ride|ride_id)[.:]/);
  });

  it('serves your model from MODEL_LOCATION, labelled with its own run id, never the demo run', async () => {
    const run = invoke('events/ride.json', { MODEL_LOCATION: FOREST });
    expect(run.stderr).toContain(`serving ${process.cwd()}/${FOREST}, labelled with its MLmodel's run id`);
    expect(run.result.predictions).toEqual([
      {
        model: 'ride_duration_prediction_model',
        version: 'fixtureforest5',
        prediction: { ride_duration: await durationOf(FOREST), ride_id: 256 },
      },
    ]);
  });

  it('does not serve the demo model for RUN_ID alone: it says what is missing', () => {
    const run = invoke('events/ride.json', { RUN_ID: 'my-run' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("MODEL_BUCKET is required to find run my-run's model (or set MODEL_LOCATION)");
  });
});
