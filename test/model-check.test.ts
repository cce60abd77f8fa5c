/** npm run model-check, as a user runs it on an export before deploying it. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../lambda/src/model/load-model';
import { DEMO_MODEL_DIR, DEMO_RUN_ID } from '../models/demo-model';

const modelCheck = (location: string) => spawnSync('node_modules/.bin/tsx', ['tools/model-check.ts', location], { encoding: 'utf8' });

describe('npm run model-check', () => {
  it('prints the summary, the MLflow facts, and predictions for the sample rides', async () => {
    const run = modelCheck(DEMO_MODEL_DIR);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^estimator +LinearRegression$/m);
    expect(run.stdout).toMatch(/^features +5283$/m);
    expect(run.stdout).toMatch(/^size +\d+ KiB \(model\.json\)$/m);
    expect(run.stdout).toContain(`run ${DEMO_RUN_ID}, flavors python_function, sklearn`);
    expect(run.stdout).toContain("[PU_DO, trip_distance]: matches the handler's features");
    const model = await loadModel({ kind: 'local', directory: DEMO_MODEL_DIR }, () => {
      throw new Error('local');
    });
    const [duration] = model.predict([{ PU_DO: '130_205', trip_distance: 3.66 }]);
    expect(run.stdout).toContain(`ride.json   ride 256                        130 -> 205, 3.66 mi: ${duration.toFixed(2)} min`);
  });

  it('fails with the reason when there is no model', () => {
    const run = modelCheck('/nonexistent/model');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('model-check: no model.json at /nonexistent/model');
  });
});
