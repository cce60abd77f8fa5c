/** The README's demo command, as a newcomer runs it. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../lambda/src/model/load-model';
import { DEMO_MODEL_DIR, DEMO_RUN_ID } from '../models/demo-model';

function invoke(eventFile: string) {
  // A newcomer's shell: none of the test suite's settings.
  const unset = ['TEST_RUN', 'RUN_ID', 'MODEL_LOCATION', 'POWERTOOLS_LOG_LEVEL'];
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !unset.includes(name)));
  return JSON.parse(execFileSync('node_modules/.bin/tsx', ['tools/invoke.ts', eventFile], { encoding: 'utf8', env }));
}

describe('npm run invoke', () => {
  it('prints the prediction event for ride 256 from the demo model', async () => {
    const model = await loadModel({ kind: 'local', directory: DEMO_MODEL_DIR }, () => {
      throw new Error('local');
    });
    const [duration] = model.predict([{ PU_DO: '130_205', trip_distance: 3.66 }]);
    expect(invoke('events/ride.json')).toEqual({
      predictions: [{ model: 'ride_duration_prediction_model', version: DEMO_RUN_ID, prediction: { ride_duration: duration, ride_id: 256 } }],
      batchItemFailures: [],
      rejected: [],
    });
  });

  it('returns a prediction for every good ride and a reason for every bad one', () => {
    const result = invoke('events/mixed.json');
    expect(result.predictions.map((p: { prediction: { ride_id: number } }) => p.prediction.ride_id)).toEqual([256, 301, 305]);
    expect(result.rejected).toHaveLength(6);
    for (const rejected of result.rejected) expect(rejected.reason).toMatch(/^(data|record|ride|ride_id)[.:]/);
  });
});
