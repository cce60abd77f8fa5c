/** npm run model-check, as a user runs it on a model before deploying it. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadModelAt } from '../../lambda/src/model/load-model';
import { DEMO_MODEL_DIR, DEMO_RUN_ID } from '../../models/demo-model';
import { PYTHON } from '../support/python';

const FIXTURES = 'test/fixtures/pickles-sklearn-1.9.1-numpy-2.4';

const modelCheck = (...args: string[]) =>
  spawnSync('node_modules/.bin/tsx', ['tools/model-check.ts', ...args], { encoding: 'utf8', env: { ...process.env, PYTHON } });

describe('npm run model-check', () => {
  it('prints the file it served, the summary, the MLflow facts, and predictions for the sample rides', async () => {
    const run = modelCheck(DEMO_MODEL_DIR);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^file +${DEMO_MODEL_DIR}/model\\.pkl \\(pickle, read natively\\)$`, 'm'));
    expect(run.stdout).toMatch(/^estimator +LinearRegression$/m);
    expect(run.stdout).toMatch(/^features +5283$/m);
    expect(run.stdout).toContain(`run ${DEMO_RUN_ID}, flavors python_function, sklearn`);
    expect(run.stdout).toContain("[PU_DO, trip_distance]: matches the handler's features");
    expect(run.stdout).toMatch(new RegExp(`^version +${DEMO_RUN_ID}$`, 'm'));
    const { model } = await loadModelAt({ kind: 'local', path: DEMO_MODEL_DIR });
    const [duration] = model.predict([{ PU_DO: '130_205', trip_distance: 3.66 }]);
    expect(run.stdout).toContain(`ride.json   ride 256                        130 -> 205, 3.66 mi: ${duration.toFixed(2)} min`);
  });

  it("with --compare, compares the predictions with scikit-learn's own on the sample rides and more", () => {
    const run = modelCheck(DEMO_MODEL_DIR, '--compare');
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^compare +matches scikit-learn on 509 rides \(largest relative difference .*, bound 1e-9\)$/m);
  });

  it('says when there is no MLmodel to check, and that a bare pickle needs RUN_ID to label it', () => {
    const run = modelCheck(`${FIXTURES}/linear-protocol5/model.pkl`);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^mlflow +no MLmodel: signature not checked$/m);
    expect(run.stdout).toMatch(/^version +none: the model has no MLflow run id; serve it with RUN_ID set to label its predictions$/m);
    expect(modelCheck(`${FIXTURES}/linear-protocol5/model.pkl`, '--run-id', 'v7').stdout).toMatch(/^version +v7$/m);
  });

  it('fails with the reason when there is no model', () => {
    const run = modelCheck('/nonexistent/model');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('model-check: no model at /nonexistent/model');
  });

  it('answers an unknown flag with the usage line, not a stack trace', () => {
    const run = modelCheck(DEMO_MODEL_DIR, '--frobnicate');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("Unknown option '--frobnicate'");
    expect(run.stderr).toContain(
      'usage: npm run model-check -- <model directory | model file | s3://bucket/prefix-or-key> [--run-id <label>] [--compare]',
    );
    expect(run.stderr).not.toContain('    at ');
  });
});
