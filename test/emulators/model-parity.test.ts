/**
 * The TypeScript runtime against scikit-learn and XGBoost themselves: real models fitted by
 * test/parity/fit_models.py, saved as MLflow logs them (model.pkl) and as the exporter
 * writes them (model.json), predictions compared ride by ride.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DictVectorizerSpec } from '../../lambda/src/model/families/dict-vectorizer';
import type { ForestSpec } from '../../lambda/src/model/families/forest';
import type { PipelineSpec } from '../../lambda/src/model/families/pipeline';
import { parseModelDocument } from '../../lambda/src/model/format';
import { loadModelAt } from '../../lambda/src/model/load-model';
import type { Ride } from '../../lambda/src/rides/ride';
import { worstRelativeDifference } from '../support/parity';
import { runPython } from '../support/python';

const out = mkdtempSync(join(tmpdir(), 'parity-'));
let rides: Ride[];
let expected: Record<string, number[]>;

beforeAll(() => {
  runPython(['test/parity/fit_models.py', out]);
  rides = JSON.parse(readFileSync(join(out, 'rides.json'), 'utf8'));
  expected = JSON.parse(readFileSync(join(out, 'expected.json'), 'utf8'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.each([
  ['linear_regression', 'LinearRegression'],
  ['ridge', 'Ridge'],
  ['lasso', 'Lasso'],
  ['elastic_net', 'ElasticNet'],
  ['decision_tree', 'DecisionTreeRegressor'],
  ['random_forest', 'RandomForestRegressor'],
  ['extra_trees', 'ExtraTreesRegressor'],
  ['gradient_boosting', 'GradientBoostingRegressor'],
  ['gradient_boosting_huber', 'GradientBoostingRegressor'],
  ['gradient_boosting_zero_init', 'GradientBoostingRegressor'],
  ['hist_gradient_boosting', 'HistGradientBoostingRegressor'],
  ['hist_gradient_boosting_poisson', 'HistGradientBoostingRegressor'],
  ['hist_gradient_boosting_early_stopping', 'HistGradientBoostingRegressor'],
  ['xgboost', 'XGBRegressor'],
  ['xgboost_parallel_trees', 'XGBRegressor'],
  ['xgboost_dense_hist', 'XGBRegressor'],
  ['xgboost_dense_approx', 'XGBRegressor'],
  ['xgboost_dense_exact', 'XGBRegressor'],
])('%s', (name, estimator) => {
  it(`served from MLflow's directory, predicts as the fitted ${estimator} does, to 1e-9 relative, on every ride`, async () => {
    const served = await loadModelAt({ kind: 'local', path: join(out, name, 'mlflow') });
    // The pickle is read natively, XGBoost's booster among it; the model.json export beside it is not needed.
    expect(served.format).toBe('pickle');
    expect(served.file.name).toBe('model.pkl');
    expect(served.model.summary().estimator).toBe(estimator);
    expect(rides.length).toBeGreaterThanOrEqual(3000);
    expect(worstRelativeDifference(served.model.predict(rides), expected[name])).toBeLessThanOrEqual(1e-9);
  });

  it(`served from the exporter's model.json, predicts as the fitted ${estimator} does, to 1e-9 relative`, async () => {
    const served = await loadModelAt({ kind: 'local', path: join(out, name, 'model.json') });
    expect(served.format).toBe('json');
    expect(served.model.summary().estimator).toBe(estimator.startsWith('XGB') ? 'XGBoost' : estimator);
    expect(worstRelativeDifference(served.model.predict(rides), expected[name])).toBeLessThanOrEqual(1e-9);
  });
});

describe('an XGBoost objective whose prediction is exp(margin) in float32 (reg:gamma)', () => {
  it.each(['mlflow'])(
    "is refused from %s: the C library's expf rounds its last bit differently by platform (the exporter refuses it too)",
    async (file) => {
      const error = await loadModelAt({ kind: 'local', path: join(out, 'xgboost_gamma', file) }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toContain('XGBoost objective "reg:gamma" predicts exp(margin) through the C library\'s float32 expf');
      expect(error?.message).toContain('train with an identity objective such as reg:squarederror');
    },
  );
});

describe('float32 comparisons in trees', () => {
  it('matter: comparing in float64 would disagree with sklearn on the boundary rides', async () => {
    // Proof that the boundary rides test something: the same tree walked in float64.
    const doc = parseModelDocument(JSON.parse(readFileSync(join(out, 'decision_tree', 'model.json'), 'utf8')));
    const [dv, regressor] = (doc.model as PipelineSpec).steps as [DictVectorizerSpec, ForestSpec];
    if (regressor.estimator !== 'DecisionTreeRegressor') throw new Error('expected a decision tree');
    const [tree] = regressor.trees;
    const column = dv.feature_names.indexOf('trip_distance');
    const walk64 = (x: number) => {
      let node = 0;
      while (tree.children_left[node] !== -1) {
        const value = tree.feature[node] === column ? x : 0;
        node = value <= tree.threshold[node] ? tree.children_left[node] : tree.children_right[node];
      }
      return tree.value[node];
    };
    const boundary = rides.map((r, i) => [r, i] as const).filter(([r]) => r.PULocationID === 132 && r.DOLocationID === 230);
    const pu_do = dv.feature_names.indexOf('PU_DO=132_230');
    expect(pu_do).toBe(-1); // so the only feature the tree sees is the distance
    const disagreements = boundary.filter(([r, i]) => walk64(r.trip_distance) !== expected.decision_tree[i]);
    expect(disagreements.length).toBeGreaterThan(0);
  });
});
