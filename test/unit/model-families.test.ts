/**
 * The model families by themselves, without Python: small specs whose predictions follow by
 * hand from their parameters, and the committed demo model. The parity and coverage tests
 * (test/emulators) hold the same families against scikit-learn on real fitted models.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../lambda/src/model/errors';
import type { DictVectorizerSpec } from '../../lambda/src/model/families/dict-vectorizer';
import type { LinearSpec } from '../../lambda/src/model/families/linear';
import type { PipelineSpec } from '../../lambda/src/model/families/pipeline';
import { numberColumns } from '../../lambda/src/model/families/ride-columns';
import { parseModelDocument } from '../../lambda/src/model/format';
import { LoadBudget, MODEL_LIMITS, type ModelLimits, withLoadBudget } from '../../lambda/src/model/limits';
import { loadModelAt } from '../../lambda/src/model/load-model';
import { readModelFile, readPickledModel } from '../../lambda/src/model/model-files';
import { buildModel, type RideModel } from '../../lambda/src/model/ride-model';
import type { Ride } from '../../lambda/src/rides/schema';
import { DEMO_MODEL_DIR } from '../../models/demo-model';

const ride = (PULocationID: number, DOLocationID: number, trip_distance: number): Ride => ({ PULocationID, DOLocationID, trip_distance });

/** A model.json version 2 document of a spec tree, checked and built as the function builds it. */
function model(spec: object): RideModel {
  return buildModel(parseModelDocument({ format: 'sklearn-pipeline-json', format_version: 2, model: spec }).model);
}

const vectorizer = (names: string[], sparse = true) => ({ type: 'dict_vectorizer', separator: '=', feature_names: names, sparse });
const linear = (coef: number[], intercept: number) => ({ type: 'linear', estimator: 'LinearRegression', coef, intercept });
const pipeline = (...steps: object[]) => ({ type: 'pipeline', steps });
/** A tree of one split on a column: left leaf `low`, right leaf `high`. */
const stump = (column: number, threshold: number, low: number, high: number) => ({
  children_left: [1, -1, -1],
  children_right: [2, -1, -1],
  feature: [column, -2, -2],
  threshold: [threshold, -2, -2],
  value: [0, low, high],
});

describe('features come from the model: its vectorizer names the columns, each matched once to a recipe', () => {
  it("serves the course's PU_DO one-hots and distance: one-hot 1 times its coefficient, plus distance times its own", () => {
    const m = model(pipeline(vectorizer(['PU_DO=130_205', 'PU_DO=1_2', 'trip_distance']), linear([10, 20, 2], 5)));
    expect(m.inputs).toEqual([
      { name: 'PU_DO', as: 'category' },
      { name: 'trip_distance', as: 'number' },
    ]);
    expect(Array.from(m.predict([ride(130, 205, 3), ride(1, 2, 0.5), ride(7, 7, 1)]))).toEqual([10 + 6 + 5, 20 + 1 + 5, 2 + 5]);
  });

  it("serves week 1's zones as string one-hots, and numeric zone ids, in any combination", () => {
    const m = model(
      pipeline(vectorizer(['DOLocationID=205', 'PULocationID=130', 'PULocationID=1', 'trip_distance']), linear([1, 10, 100, 0.5], 0)),
    );
    expect(m.inputs.map((i) => `${i.name} ${i.as}`)).toEqual(['PULocationID category', 'DOLocationID category', 'trip_distance number']);
    expect(Array.from(m.predict([ride(130, 205, 2), ride(1, 9, 4)]))).toEqual([11 + 1, 100 + 2]);
    const numeric = model(pipeline(vectorizer(['PULocationID', 'trip_distance']), linear([2, 3], 1)));
    expect(Array.from(numeric.predict([ride(130, 205, 2)]))).toEqual([260 + 6 + 1]);
  });

  it('refuses a column no recipe fills, naming it and what the handler prepares', () => {
    expect(() => model(pipeline(vectorizer(['PU_DO=130_205', 'passenger_count']), linear([1, 1], 0)))).toThrow(
      /the model was trained on features the handler never prepares: passenger_count; the handler prepares PULocationID=<value> one-hots/,
    );
    // A one-hot of a category the recipe never makes (a float zone id) would stay 0 for every ride.
    expect(() => model(pipeline(vectorizer(['PU_DO=130.0_205']), linear([1], 0)))).toThrow(
      /PU_DO=\* \(1 one-hot, such as PU_DO=130.0_205\)/,
    );
  });

  it('refuses a feature the vectorizer has both as a number and as one-hots: which one a ride sends is not known', () => {
    expect(() => model(pipeline(vectorizer(['PULocationID', 'PULocationID=130']), linear([1, 1], 0)))).toThrow(
      /both as a number and as one-hots/,
    );
  });
});

describe('scalers apply the operations of their own transform', () => {
  it('on a sparse matrix, each stored value times the reciprocal of the scale (inplace_column_scale)', () => {
    const scaler = { type: 'scaler', estimator: 'StandardScaler', center: null, scale: [1, 3], offset: null, clip: null };
    const m = model(pipeline(vectorizer(['PU_DO=1_2', 'trip_distance']), scaler, linear([1, 1], 0)));
    expect(m.predict([ride(1, 2, 0.7)])[0]).toBe(1 * (1 / 1) + 0.7 * (1 / 3));
  });

  it('on a dense matrix, an absent column holds what the scaler makes of 0, and a linear model sums it', () => {
    const scaler = { type: 'scaler', estimator: 'StandardScaler', center: [0.5, 2], scale: [0.5, 4], offset: null, clip: null };
    const m = model(pipeline(vectorizer(['PU_DO=1_2', 'trip_distance'], false), scaler, linear([3, 5], 1)));
    // PU_DO=7_7 is absent: its column is (0 - 0.5) / 0.5 = -1.
    expect(m.predict([ride(7, 7, 6)])[0]).toBe(-1 * 3 + ((6 - 2) / 4) * 5 + 1);
  });

  it('refuses what scikit-learn refuses: centering a sparse matrix', () => {
    const scaler = { type: 'scaler', estimator: 'StandardScaler', center: [0, 0], scale: [1, 1], offset: null, clip: null };
    expect(() => model(pipeline(vectorizer(['PU_DO=1_2', 'trip_distance']), scaler, linear([1, 1], 0)))).toThrow(
      /cannot center a sparse matrix/,
    );
  });

  it('sends a tree node where the absent value goes: a centering scaler moves an absent one-hot below the split', () => {
    const scaler = { type: 'scaler', estimator: 'StandardScaler', center: [0.5, 0], scale: [1, 1], offset: null, clip: null };
    // Split on the one-hot column at -0.25: present (1 - 0.5 = 0.5) goes right, absent (0 - 0.5 = -0.5) goes left.
    const forest = { type: 'forest', estimator: 'DecisionTreeRegressor', trees: [stump(0, -0.25, 10, 20)] };
    const m = model(pipeline(vectorizer(['PU_DO=1_2', 'trip_distance'], false), scaler, forest));
    expect(Array.from(m.predict([ride(1, 2, 3), ride(9, 9, 3)]))).toEqual([20, 10]);
  });
});

describe('a ColumnTransformer on the ride as a DataFrame', () => {
  const encoder = (handleUnknown: string) => ({
    type: 'one_hot_encoder',
    categories: [
      [130, 131],
      ['205', '206'],
    ],
    drop: [null, 0],
    handle_unknown: handleUnknown,
    sparse: true,
  });
  const columns = (handleUnknown: string) => ({
    type: 'column_transformer',
    columns: ['PULocationID', 'DOLocationID', 'trip_distance'],
    blocks: [
      { name: 'zones', columns: ['PULocationID', 'DOLocationID'], transformer: encoder(handleUnknown) },
      { name: 'num', columns: ['trip_distance'], transformer: 'passthrough' },
    ],
    sparse: true,
  });

  it('matches numeric categories by value and string ones as text; a dropped category is all zeros', () => {
    // Columns: PULocationID=130, PULocationID=131, DOLocationID=206 (205 dropped), trip_distance.
    const m = model(pipeline(columns('ignore'), linear([1, 10, 100, 2], 0)));
    expect(m.inputs.map((i) => `${i.name} ${i.as}`)).toEqual(['PULocationID number', 'DOLocationID category', 'trip_distance number']);
    expect(Array.from(m.predict([ride(131, 206, 1), ride(130, 205, 0), ride(999, 206, 1)]))).toEqual([10 + 100 + 2, 1, 100 + 2]);
  });

  it('with handle_unknown="error", refuses the ride with an unknown zone and predicts the others', () => {
    const m = model(pipeline(columns('error'), linear([1, 10, 100, 2], 0)));
    const { values, refusals } = m.predictBatch([ride(131, 206, 1), ride(999, 206, 1)]);
    expect(values[0]).toBe(112);
    expect(Number.isNaN(values[1])).toBe(true);
    expect(refusals.get(1)).toBe(`PULocationID 999 is not a category the model's OneHotEncoder was fitted on (handle_unknown="error")`);
  });
});

describe('composites', () => {
  it('a TransformedTargetRegressor undoes log1p with expm1', () => {
    const m = model({
      type: 'transformed_target',
      regressor: pipeline(vectorizer(['trip_distance']), linear([0.5], 1)),
      target: { kind: 'function', inverse: 'expm1' },
    });
    expect(m.predict([ride(1, 2, 2)])[0]).toBe(Math.expm1(2));
  });

  it('a VotingRegressor takes the weighted mean of its members, as np.average does', () => {
    const m = model(
      pipeline(vectorizer(['trip_distance']), { type: 'voting', estimators: [linear([1], 0), linear([3], 0)], weights: [1, 3] }),
    );
    expect(m.predict([ride(1, 2, 2)])[0]).toBe((2 * 1 + 6 * 3) / 4);
  });

  it('refuses weights that sum to zero, as np.average would fail', () => {
    expect(() =>
      model(pipeline(vectorizer(['trip_distance']), { type: 'voting', estimators: [linear([1], 0), linear([3], 0)], weights: [1, -1] })),
    ).toThrow(/the weights sum to zero/);
  });

  it('refuses a regressor fitted on another width than the steps before it make', () => {
    expect(() => model(pipeline(vectorizer(['trip_distance']), { ...linear([1], 0), n_features_in: 3 }))).toThrow(ModelFormatError);
  });
});

describe('the committed demo model', () => {
  it("is served from its MLflow directory, and predicts the course's ride from its own coefficients", async () => {
    const { model: demo, format, parts } = await loadModelAt({ kind: 'local', path: DEMO_MODEL_DIR });
    expect(format).toBe('pickle');
    expect(parts.map((p) => p.estimator)).toEqual(['Pipeline']);
    expect(demo.inputs.map((i) => i.name)).toEqual(['PU_DO', 'trip_distance']);
    // The same prediction by hand from the pickle's own vocabulary and coefficients, in scipy's order.
    const spec = readPickledModel(readFileSync(join(DEMO_MODEL_DIR, 'model.pkl'))) as PipelineSpec;
    const [dv, lr] = spec.steps as [DictVectorizerSpec, LinearSpec];
    // A column the vocabulary lacks (a pair of zones never seen in training) contributes nothing, as in sklearn.
    const coef = (name: string) => (dv.feature_names.includes(name) ? lr.coef[dv.feature_names.indexOf(name)] : 0);
    expect(dv.feature_names).toContain('trip_distance');
    expect(demo.predict([ride(130, 205, 3.66)])[0]).toBe(1 * coef('PU_DO=130_205') + 3.66 * coef('trip_distance') + lr.intercept);
  });
});

describe("a DataFrame's number column without a value", () => {
  // The validator requires every field the schema does not mark optional; a ride without one stands in for an optional field left out.
  const partial = [{ PULocationID: 1, DOLocationID: 2 } as unknown as Ride, { PULocationID: 1, DOLocationID: 2, trip_distance: 3.5 }];

  it('refuses the ride, naming the column, and fills the others', () => {
    const refusals = new Map<number, string>();
    const rows = numberColumns(['trip_distance'], 'StandardScaler', 'model.steps[0]').fill(partial, refusals);
    expect([...refusals]).toEqual([
      [0, 'the ride has no trip_distance, which StandardScaler takes as a number (the DataFrame would hold NaN)'],
    ]);
    expect(rows.values[1]).toBe(3.5);
  });
});

describe("a booster's trees count against the load's limits, as scikit-learn's do", () => {
  const bytes = new Uint8Array(readFileSync('test/fixtures/lightgbm-4.7.0/booster.lgb'));
  const load = (limits: Partial<ModelLimits>) => () =>
    withLoadBudget(() => readModelFile(bytes, 'booster.lgb'), new LoadBudget({ ...MODEL_LIMITS, ...limits }));

  it('is read within the defaults', () => {
    expect(load({})().format).toBe('lightgbm');
  });

  it('is refused past the tree limit, and past the node limit', () => {
    expect(load({ estimators: 1 })).toThrow("booster.lgb.trees: the model has more than 1 trees, beyond any real model's");
    expect(load({ nodes: 10 })).toThrow("the model's trees come to more than 10 nodes");
  });
});

describe('an XGBoost exp-link objective in a model.json (written by an exporter before it refused them)', () => {
  it('is refused, naming why it cannot be served exactly', () => {
    const tree = { children_left: [-1], children_right: [-1], feature: [0], threshold: [0.5], default_left: [1] };
    const xgboostStep = { type: 'XGBoost', objective: 'reg:gamma', link: 'exp', base_margin: 2.5, trees: [tree] };
    const vectorizer = { type: 'DictVectorizer', separator: '=', feature_names: ['trip_distance'], sparse: true };
    const document = { format: 'sklearn-pipeline-json', format_version: 1, steps: [vectorizer, xgboostStep] };
    expect(() => parseModelDocument(document)).toThrow(
      'XGBoost objective "reg:gamma" predicts exp(margin) through the C library\'s float32 expf',
    );
  });
});
