/** tools/export_model.py as a user runs it, on pickles and MLflow directories made by sklearn. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelAt } from '../../lambda/src/model/load-model';
import { PYTHON, runPython } from '../support/python';

const dir = mkdtempSync(join(tmpdir(), 'export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Fits small models with sklearn and pickles them the ways users do. */
const MAKE_FIXTURES = `
import json, os, pickle, sys
sys.path.insert(0, 'tools')
import joblib, synthetic_rides
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
out = sys.argv[1]
rides, y = synthetic_rides.generate(800, seed=3)
X = [synthetic_rides.prepare_features(r) for r in rides]
pipeline = make_pipeline(DictVectorizer(), Ridge()).fit(X, y)
os.makedirs(os.path.join(out, 'mlflow'))
with open(os.path.join(out, 'mlflow', 'MLmodel'), 'w') as f:
    f.write('artifact_path: model\\nflavors:\\n  sklearn:\\n    pickled_model: model.pkl\\n    serialization_format: cloudpickle\\n')
with open(os.path.join(out, 'mlflow', 'model.pkl'), 'wb') as f:
    pickle.dump(pipeline, f)
dv = DictVectorizer(); model = Ridge().fit(dv.fit_transform(X), y)
with open(os.path.join(out, 'course.bin'), 'wb') as f:
    pickle.dump((dv, model), f)
joblib.dump(make_pipeline(DictVectorizer(), StandardScaler(with_mean=False), Ridge()).fit(X, y), os.path.join(out, 'scaled.joblib'))
joblib.dump(make_pipeline(DictVectorizer(), SVR()).fit(X[:100], y[:100]), os.path.join(out, 'svr.joblib'))
import xgboost
booster = xgboost.train({'max_depth': 4, 'eta': 0.3}, xgboost.DMatrix(dv.transform(X), label=y), num_boost_round=20)
booster.save_model(os.path.join(out, 'booster.json'))
booster.save_model(os.path.join(out, 'booster.xgb'))  # xgboost 1.7's legacy binary format, which the function does not read
with open(os.path.join(out, 'dv.pkl'), 'wb') as f:
    pickle.dump(dv, f)
joblib.dump(make_pipeline(DictVectorizer(), xgboost.XGBRegressor(booster='gblinear', n_estimators=5)).fit(X, y), os.path.join(out, 'gblinear.joblib'))
joblib.dump(make_pipeline(DictVectorizer(), xgboost.XGBRegressor(booster='dart', n_estimators=5)).fit(X, y), os.path.join(out, 'dart.joblib'))
joblib.dump(make_pipeline(DictVectorizer(), xgboost.XGBRegressor(missing=0.0, n_estimators=5)).fit(X, y), os.path.join(out, 'missing0.joblib'))
joblib.dump(make_pipeline(DictVectorizer(), xgboost.XGBRegressor(objective='count:poisson', n_estimators=5)).fit(X, y), os.path.join(out, 'poisson.joblib'))
early = xgboost.XGBRegressor(n_estimators=300, learning_rate=0.5, early_stopping_rounds=3)
early.fit(dv.transform(X[:600]), y[:600], eval_set=[(dv.transform(X[600:]), y[600:])], verbose=False)
assert early.best_iteration < 299, early.best_iteration
with open(os.path.join(out, 'early.bin'), 'wb') as f:
    pickle.dump((dv, early), f)
json.dump({'rides': rides[:50], 'expected': pipeline.predict(X[:50]).tolist(),
           'booster': booster.predict(xgboost.DMatrix(dv.transform(X[:50]))).tolist(),
           'early': early.predict(dv.transform(X[:50])).tolist(), 'early_trees': early.best_iteration + 1}, open(os.path.join(out, 'expected.json'), 'w'))
`;

beforeAll(() => {
  runPython(['-c', MAKE_FIXTURES, dir]);
});

function exportModel(...args: string[]) {
  const run = spawnSync(PYTHON, ['tools/export_model.py', ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('tools/export_model.py', () => {
  it('exports an MLflow sklearn model directory next to MLmodel, recording the pickle it came from; the runtime matches sklearn', async () => {
    const run = exportModel(join(dir, 'mlflow'));
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^wrote .*mlflow\/model.json \(DictVectorizer -> Ridge, \d+ features\)/);
    const doc = JSON.parse(readFileSync(join(dir, 'mlflow', 'model.json'), 'utf8'));
    expect(doc.producer.source_sha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(dir, 'mlflow', 'model.pkl')))
        .digest('hex'),
    );
    expect(doc.steps[0]).toMatchObject({ type: 'DictVectorizer', sparse: true });
    // In the directory the pickle itself is served; the export is checked on its own.
    expect((await loadModelAt({ kind: 'local', path: join(dir, 'mlflow') })).format).toBe('pickle');
    const model = await loadModelAt({ kind: 'local', path: join(dir, 'mlflow', 'model.json') }).then((m) => m.model);
    const { rides, expected } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    const predictions = model.predict(rides);
    expected.forEach((want: number, i: number) => {
      expect(Math.abs(predictions[i] - want)).toBeLessThanOrEqual(1e-9 * Math.abs(want));
    });
  });

  it("exports the course's (dv, model) tuple to the path given", () => {
    const output = join(dir, 'course.json');
    expect(exportModel(join(dir, 'course.bin'), '-o', output).status).toBe(0);
    const doc = JSON.parse(readFileSync(output, 'utf8'));
    expect(doc).toMatchObject({ format: 'sklearn-pipeline-json', format_version: 1 });
    expect(doc.steps.map((s: { type: string }) => s.type)).toEqual(['DictVectorizer', 'Ridge']);
    // The width the model was fitted on, which the runtime checks against the vectorizer's.
    expect(doc.steps[1].n_features_in).toBe(doc.steps[0].feature_names.length);
  });

  it('exports an XGBoost Booster saved as JSON, with the DictVectorizer it was trained behind', async () => {
    const output = join(dir, 'booster-model', 'model.json');
    mkdirSync(join(dir, 'booster-model'));
    const run = exportModel(join(dir, 'booster.json'), '--vectorizer', join(dir, 'dv.pkl'), '-o', output);
    expect(run.stderr).toBe('');
    const model = await loadModelAt({ kind: 'local', path: join(dir, 'booster-model') }).then((m) => m.model);
    expect(model.summary()).toMatchObject({ estimator: 'XGBoost', trees: 20 });
    const { rides, booster } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    expect(Array.from(model.predict(rides))).toEqual(booster);
  });

  it('exports a legacy binary Booster (model.xgb of xgboost 2.0 and older), which the function refuses as it is', async () => {
    const refused = await loadModelAt({ kind: 'local', path: join(dir, 'booster.xgb') }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(refused).toContain("is in XGBoost's legacy binary format");
    const output = join(dir, 'legacy-model', 'model.json');
    mkdirSync(join(dir, 'legacy-model'));
    expect(exportModel(join(dir, 'booster.xgb'), '--vectorizer', join(dir, 'dv.pkl'), '-o', output).stderr).toBe('');
    const model = await loadModelAt({ kind: 'local', path: join(dir, 'legacy-model') }).then((m) => m.model);
    const { rides, booster } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    expect(Array.from(model.predict(rides))).toEqual(booster);
  });

  it('leaves out the trees after the best iteration of early stopping, as predict does', async () => {
    mkdirSync(join(dir, 'early-model'));
    expect(exportModel(join(dir, 'early.bin'), '-o', join(dir, 'early-model', 'model.json')).status).toBe(0);
    const model = await loadModelAt({ kind: 'local', path: join(dir, 'early-model') }).then((m) => m.model);
    const { rides, early, early_trees } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    expect(model.summary().trees).toBe(early_trees);
    expect(Array.from(model.predict(rides))).toEqual(early);
  });

  it('asks for the DictVectorizer when given a bare Booster', () => {
    const run = exportModel(join(dir, 'booster.json'));
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('an XGBoost Booster file needs --vectorizer');
  });

  it.each([
    ['scaled.joblib', 'unsupported step(s): StandardScaler; supported: DictVectorizer, LinearRegression'],
    ['svr.joblib', 'unsupported step(s): SVR'],
    ['gblinear.joblib', "XGBoost booster 'gblinear' is not supported; only gbtree"],
    ['dart.joblib', "XGBoost booster 'dart' is not supported; only gbtree"],
    ['missing0.joblib', 'XGBRegressor(missing=0.0) is not supported: XGBoost then treats every 0.0'],
    ['poisson.joblib', "XGBoost objective count:poisson predicts exp(margin) through the C library's float32 expf"],
  ])('refuses %s, naming the unsupported step', (file, message) => {
    const run = exportModel(join(dir, file));
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(existsSync(join(dir, 'model.json'))).toBe(false);
  });

  it('refuses a directory that is not an MLflow model', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'notes.txt'), '');
    const run = exportModel(empty);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('not an MLflow model directory (no MLmodel file)');
  });
});
