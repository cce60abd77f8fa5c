/**
 * MLflow models inside a run's artifacts (test/differential/model_layouts.py, by Debian's
 * scikit-learn): an MLflow sklearn model in a subdirectory is read by its flavor like the
 * location's own, so it is served when it is the model and counted when it is a second one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelAt, ModelLoadError } from '../../lambda/src/model/load-model';
import type { Ride } from '../../lambda/src/rides/schema';
import { loadServedModel } from '../../lambda/src/served-model';
import { runPython } from '../support/python';

const work = mkdtempSync(join(tmpdir(), 'layouts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
runPython(['test/differential/model_layouts.py', work]);
const { rides, predictions } = JSON.parse(readFileSync(join(work, 'cases.json'), 'utf8')) as {
  rides: Ride[];
  predictions: Record<string, number[]>;
};
const local = (path: string) => ({ kind: 'local' as const, path: join(work, path) });
const noS3 = () => {
  throw new Error('no S3 here');
};

function expectScikitLearn(served: Float64Array, expected: number[]) {
  expect(served).toHaveLength(expected.length);
  served.forEach((p, i) => {
    expect(Math.abs(p - expected[i]), `ride ${i}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected[i])));
  });
}

async function refusal(loading: Promise<unknown>): Promise<string> {
  const error = await loading.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  return (error as Error).message;
}

describe('an MLflow sklearn model in a subdirectory of the location', () => {
  it("is read by its flavor: the run's models_mlflow/ regressor with preprocessor/preprocessor.b", async () => {
    const loaded = await loadModelAt(local('course-run'));
    expect(loaded.parts.map((p) => p.description)).toEqual([
      `LinearRegression from ${join(work, 'course-run/models_mlflow/model.pkl')}`,
      `DictVectorizer from ${join(work, 'course-run/preprocessor/preprocessor.b')}`,
    ]);
    expectScikitLearn(loaded.model.predict(rides), predictions['course-run']);
  });

  it('is served when it is the only model there', async () => {
    expectScikitLearn((await loadModelAt(local('nested-run'))).model.predict(rides), predictions['nested-run']);
  });

  it("is counted when the run's artifacts are searched for a vectorizer: a second whole model makes them ambiguous", async () => {
    const settings = {
      location: local('two-models-run/artifacts/model'),
      runId: 'run-c',
      locatedByRunId: true,
      artifactsRoot: local('two-models-run/artifacts/'),
    };
    expect(await refusal(loadServedModel(settings, noS3))).toMatch(
      /the files are ambiguous: found 1 whole model: Pipeline \(models_mlflow\/model\.pkl\); 1 vectorizer: DictVectorizer \(preprocessor\/preprocessor\.b\); 1 regressor: LinearRegression \(model\.pkl\)/,
    );
  });
});

describe('MLmodel', () => {
  it("is refused when python_function's model_path and the sklearn flavor's pickled_model name two files", async () => {
    expect(await refusal(loadModelAt(local('two-flavor-files')))).toMatch(
      /its python_function flavor loads "other\.pkl" and its sklearn flavor "model\.pkl": which file is the model is not known/,
    );
  });
});

describe("MLmodel's run_id", () => {
  it('of digits around one "e", as PyYAML writes it unquoted, is the run id (not a number YAML 1.2 reads)', async () => {
    const runId = '1234e567890123456789012345670123';
    const settings = { location: local('exponent-run-id'), runId, locatedByRunId: true };
    const served = await loadServedModel(settings, noS3);
    expect(served.mlmodel?.runId).toBe(runId);
    expect(served.version).toBe(runId);
    expectScikitLearn(served.model.predict(rides), predictions['exponent-run-id']);
  });
});

describe('a directory without MLmodel holding a pickle and its model.json export', () => {
  it('serves the pickle when it is readable here: the export beside it is no second model', async () => {
    const loaded = await loadModelAt(local('export-beside-pickle'));
    expect(loaded.file.name).toBe('model.joblib');
    expectScikitLearn(loaded.model.predict(rides), predictions['export-beside-pickle']);
  });

  it('serves the export in place of a pickle it cannot read (a joblib file compressed with bz2)', async () => {
    const loaded = await loadModelAt(local('export-beside-bz2-joblib'));
    expect(loaded.file.name).toBe('model.json');
    expect(loaded.note).toMatch(/model\.json served: it is the export of model\.joblib, which this runtime cannot read \(.*bz2/);
    expectScikitLearn(loaded.model.predict(rides), predictions['export-beside-bz2-joblib']);
  });
});
