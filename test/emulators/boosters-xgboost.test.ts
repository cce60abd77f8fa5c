/**
 * XGBoost models read natively (lambda/src/model/boosters/) against Debian's xgboost 1.7.4:
 * test/boosters/make_xgboost_models.py fits them behind sparse and dense DictVectorizers and
 * saves them the ways users do (XGBRegressor pickles at protocols 2 to 5, gbtree, dart and gblinear, Booster.save_model
 * to .json, .ubj and .xgb, XGBRegressor.save_model), with XGBoost's own predictions on the
 * very CSR rows the runtime then predicts. What xgboost 1.7.4 cannot write here (1.3 to 1.5's
 * JSON handles, 2.x documents, 2.1's UBJSON model.xgb) is synthesized from 1.7.4's documents,
 * changed the way those versions write them. For the exp links (gamma, poisson, tweedie) the
 * margins are XGBoost's exactly and the prediction is their exp correctly rounded to float32;
 * glibc's expf, which XGBoost calls here, rounds about 1 input in 1,600 the other way, and
 * there XGBoost's own output is one float32 step away (another platform's libm differs again).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '@shelacek/ubjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeUbjson,
  readXGBoostModel,
  XGBoostEvaluator,
  type XGBoostSpec,
  xgboostFromFlavor,
  xgboostFromPickle,
} from '../../lambda/src/model/boosters';
import { attributesOf, type PyObject } from '../../lambda/src/model/pickle/python-object';
import { unpickle } from '../../lambda/src/model/pickle/unpickle';
import { type CsrJson, csrRows } from '../support/csr-rows';
import { worstRelativeDifference } from '../support/parity';
import { runPython } from '../support/python';

interface Case {
  file: string;
  kind: 'pickle' | 'file';
  api: 'Booster' | 'XGBRegressor';
  absentIsZero: boolean;
  rows: string;
  expected?: number[];
  margins?: number[];
  roundedExp?: number[];
  dmatrixExpected?: number[];
  refused?: string;
  bestIteration?: number;
  rounds?: number;
  featureNames?: string[];
}

const out = mkdtempSync(join(tmpdir(), 'xgboost-models-'));
let cases: Record<string, Case>;
let rows: Record<string, CsrJson>;
afterAll(() => rmSync(out, { recursive: true, force: true }));

beforeAll(() => {
  runPython(['test/boosters/make_xgboost_models.py', out]);
  const written = JSON.parse(readFileSync(join(out, 'cases.json'), 'utf8'));
  expect(written.xgboost).toBe('1.7.4');
  cases = written.cases;
  rows = JSON.parse(readFileSync(join(out, 'rows.json'), 'utf8'));
}, 180_000);

const bytesOf = (file: string) => new Uint8Array(readFileSync(join(out, file)));

function specOf(c: Case): XGBoostSpec {
  const bytes = bytesOf(c.file);
  return c.kind === 'pickle' ? xgboostFromPickle(unpickle(bytes) as PyObject) : readXGBoostModel(bytes, { api: c.api, source: c.file });
}

function served(name: string, spec = specOf(cases[name])) {
  const c = cases[name];
  const model = new XGBoostEvaluator(spec, { absentIsZero: c.absentIsZero });
  return { spec, model, rows: csrRows(rows[c.rows]), c };
}

const SERVED = [
  'regressor_p2',
  'regressor_p3',
  'regressor_p4',
  'regressor_p5',
  'regressor_dense_p4',
  'early_stopping_p5',
  'parallel_trees_p4',
  'dart_p4',
  'dart_dense_gamma_p5',
  'gamma_p4',
  'poisson_p4',
  'tweedie_p4',
  'poisson_base_score_p4',
  'pseudohubererror_p4',
  'absoluteerror_p4',
  'squaredlogerror_p4',
  'random_forest_p4',
  'gblinear_p4',
  'gblinear_dense_gamma_p5',
  'booster_json',
  'booster_ubj',
  'booster_pickle',
  'dart_booster_json',
  'early_stopping_regressor_json',
  'early_stopping_as_booster_json',
  'reordered_trees_regressor_json',
  'reordered_trees_booster_json',
];

/** Two float32 values next to each other (their bit patterns one apart): what a libm's expf rounding the other way changes. */
const bits = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0];
const adjacentFloat32 = (a: number, b: number) => Math.fround(a) === a && Math.fround(b) === b && Math.abs(bits(a) - bits(b)) === 1;

describe.each(SERVED)('%s', (name) => {
  it('predicts as xgboost 1.7.4 does, to 1e-9 relative, on every row', () => {
    const { spec, model, rows: test, c } = served(name);
    expect(test.rowCount).toBeGreaterThanOrEqual(500);
    expect(spec.numFeatures).toBe(rows[c.rows].width);
    const predictions = model.predict(test);
    const expected = c.expected as number[];
    if (c.margins === undefined) {
      expect(worstRelativeDifference(predictions, expected)).toBeLessThanOrEqual(1e-9);
      return;
    }
    // exp links: the margins are XGBoost's exactly, and the prediction is their exp correctly rounded to float32.
    expect(worstRelativeDifference(model.margins(test), c.margins)).toBeLessThanOrEqual(1e-9);
    expect(worstRelativeDifference(predictions, c.roundedExp as number[])).toBeLessThanOrEqual(1e-9);
    // XGBoost's own output is that too, but where this machine's expf (glibc) rounds the other way: one float32 step apart.
    const libm = expected.map((x, i) => x !== (c.roundedExp as number[])[i]);
    expect(
      worstRelativeDifference(
        predictions.filter((_, i) => !libm[i]),
        expected.filter((_, i) => !libm[i]),
      ),
    ).toBeLessThanOrEqual(1e-9);
    expected.forEach((x, i) => {
      if (libm[i]) expect(adjacentFloat32(predictions[i], x)).toBe(true);
    });
    expect(libm.filter(Boolean).length).toBeLessThanOrEqual(expected.length / 100);
  });
});

describe('what XGBRegressor.predict uses', () => {
  it('stops at best_iteration after early stopping: the first best_iteration + 1 rounds', () => {
    for (const name of ['early_stopping_p5', 'early_stopping_regressor_json']) {
      const { spec, c } = served(name);
      expect(spec.bestIteration).toBe(c.bestIteration);
      expect(spec.trees.length).toBe((c.bestIteration as number) + 1);
      expect(spec.totalTrees).toBeGreaterThan(spec.trees.length);
    }
  });

  it('with num_parallel_tree, stops at best_iteration + 1 rounds of that many trees', () => {
    const { spec, c } = served('parallel_trees_p4');
    expect(spec.trees.length).toBe(((c.bestIteration as number) + 1) * 3);
    expect(spec.totalTrees).toBe((c.rounds as number) * 3);
  });

  it("takes the trees in the order of their ids, as XGBoost does, not of the document's array", () => {
    const { spec } = served('reordered_trees_regressor_json');
    expect(spec.trees.length).toBe((cases.early_stopping_p5.bestIteration as number) + 1);
    expect(spec.trees[0].value).toEqual(served('early_stopping_regressor_json').spec.trees[0].value);
  });

  it('a Booster read from the same file uses every tree, as Booster.predict does', () => {
    const { spec } = served('early_stopping_as_booster_json');
    expect(spec.trees.length).toBe(spec.totalTrees);
  });

  it("dart: XGBRegressor.predict's inplace path and Booster.predict(DMatrix)'s add the weighted leaves differently", () => {
    const { spec, model, rows: test, c } = served('dart_p4');
    expect(spec.predictPath).toBe('inplace');
    const dmatrix = new XGBoostEvaluator({ ...spec, predictPath: 'dmatrix' }, { absentIsZero: false }).predict(test);
    expect(worstRelativeDifference(dmatrix, c.dmatrixExpected as number[])).toBeLessThanOrEqual(1e-9);
    // The two paths differ in the last float32 bits: serving one for the other would not be exact.
    expect(worstRelativeDifference(model.predict(test), c.dmatrixExpected as number[])).toBeGreaterThan(1e-9);
  });

  it('feature names and count come from the model, for matching them to the ride without a vectorizer', () => {
    const { spec, c } = served('booster_ubj');
    expect(spec.featureNames).toEqual(c.featureNames);
    expect(served('regressor_p4').spec.featureNames).toBeUndefined();
  });
});

describe('refused, with a message that names the cause', () => {
  it.each([
    ['booster_xgb', "XGBoost's legacy binary format"],
    ['missing_zero', 'XGBRegressor(missing=0.0) is not served'],
    ['missing_zero_json', 'XGBRegressor(missing=0.0) is not served'],
    ['logistic', `XGBoost objective "binary:logistic" is a classifier's`],
    ['two_targets', 'several outputs'],
    // Read as XGBoost does not read them: a missing value would go left, base_score would not be 0.5.
    ['default_left_two', 'default_left[0]: 2 is not an integer from 0 to 1'],
    ['base_score_space', 'base_score: " 2.5" is not a number as XGBoost writes one'],
    ['base_score_digits', 'base_score: "1.500000000" is not a number as XGBoost writes one'],
    ['base_score_hex', 'base_score: "0x10" is not a number as XGBoost writes one'],
    // XGBoost crashes on these.
    ['repeated_tree_id', 'trees[1].id: 0 is the id of two trees'],
    ['num_trees_short', 'num_trees: says 5, but the model holds'],
    ['fractional_split_index', 'is not an integer'],
  ])('%s', (name, message) => {
    expect(cases[name].refused).toBeDefined();
    expect(() => specOf(cases[name])).toThrow(message);
  });

  it('a legacy binary model.xgb says how to re-save it, and is never "not valid JSON"', () => {
    const refuse = () => readXGBoostModel(bytesOf('booster.xgb'), { api: 'Booster', source: 'model.xgb' });
    expect(refuse).toThrow('xgb.Booster(model_file="model.xgb").save_model("model.ubj")');
    expect(refuse).toThrow('mlflow.xgboost.log_model(model, ..., model_format="ubj")');
    expect(refuse).not.toThrow('not valid JSON');
    // Without its "binf" header too, as xgboost before 1.0 wrote it.
    expect(() => readXGBoostModel(bytesOf('booster.xgb').subarray(4), { api: 'Booster' })).toThrow('legacy binary format');
  });

  it('categorical splits and categorical features', () => {
    const doc = JSON.parse(readFileSync(join(out, 'booster.json'), 'utf8'));
    doc.learner.gradient_booster.model.trees[3].split_type[0] = 1;
    expect(() => readXGBoostModel(Buffer.from(JSON.stringify(doc)), { api: 'Booster' })).toThrow('XGBoost categorical splits');
    const typed = JSON.parse(readFileSync(join(out, 'booster.json'), 'utf8'));
    typed.learner.feature_types = typed.learner.feature_names.map((_: string, i: number) => (i === 0 ? 'c' : 'float'));
    expect(() => readXGBoostModel(Buffer.from(JSON.stringify(typed)), { api: 'Booster' })).toThrow('categorical features');
  });

  it('an unknown objective, by name', () => {
    const doc = JSON.parse(readFileSync(join(out, 'booster.json'), 'utf8'));
    doc.learner.objective.name = 'reg:mystery';
    expect(() => readXGBoostModel(Buffer.from(JSON.stringify(doc)), { api: 'Booster' })).toThrow(
      'XGBoost objective "reg:mystery" is not one this runtime evaluates',
    );
  });
});

// biome-ignore lint/suspicious/noExplicitAny: documents are edited the way each xgboost version writes them, field by field.
type XGBoostDocument = Record<string, any>;

/** The booster document inside a pickled XGBRegressor's handle ({"Config", "Model"}), decoded from its UBJSON. */
function pickledRegressor(file: string) {
  const regressor = unpickle(bytesOf(file)) as PyObject;
  const booster = attributesOf(regressor).get('_Booster') as PyObject;
  const state = attributesOf(booster);
  return { regressor, state, document: decodeUbjson(state.get('handle') as Uint8Array) as XGBoostDocument };
}

/** JSON text of a document whose arrays may be typed (as UBJSON decodes them). */
const jsonBytes = (doc: unknown) =>
  Buffer.from(JSON.stringify(doc, (_, v) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v)));

describe('other xgboost versions, synthesized from 1.7.4 documents', () => {
  it("xgboost 1.3 to 1.5's pickles: the handle is JSON text of {Config, Model}", () => {
    const { regressor, state, document } = pickledRegressor('regressor_p4.pkl');
    expect(Object.keys(document)).toEqual(['Config', 'Model']);
    state.set('handle', jsonBytes(document));
    const { model, rows: test, c } = served('regressor_p4', xgboostFromPickle(regressor));
    expect(worstRelativeDifference(model.predict(test), c.expected as number[])).toBeLessThanOrEqual(1e-9);
  });

  it("xgboost 1.3's documents: no split_type, categories, num_target or feature names, and dart through DMatrix", () => {
    const { regressor, state, document } = pickledRegressor('dart_p4.pkl');
    const learner = document.Model.learner;
    document.Model.version = [1, 3, 3];
    delete learner.learner_model_param.num_target;
    delete learner.feature_names;
    delete learner.feature_types;
    for (const tree of learner.gradient_booster.gbtree.model.trees) {
      for (const key of ['split_type', 'categories', 'categories_nodes', 'categories_segments', 'categories_sizes']) delete tree[key];
    }
    state.set('handle', jsonBytes(document));
    const spec = xgboostFromPickle(regressor);
    expect(spec.predictPath).toBe('dmatrix');
    const { model, rows: test, c } = served('dart_p4', spec);
    expect(worstRelativeDifference(model.predict(test), c.dmatrixExpected as number[])).toBeLessThanOrEqual(1e-9);
  });

  it("xgboost 1.3's XGBRegressor kept early stopping's best_ntree_limit on itself", () => {
    const { regressor, state } = pickledRegressor('parallel_trees_p4.pkl');
    const { bestIteration } = cases.parallel_trees_p4;
    state.delete('best_iteration');
    attributesOf(regressor).set('best_ntree_limit', ((bestIteration as number) + 1) * 3);
    const { model, rows: test, c } = served('parallel_trees_p4', xgboostFromPickle(regressor));
    expect(worstRelativeDifference(model.predict(test), c.expected as number[])).toBeLessThanOrEqual(1e-9);
  });

  it("xgboost 2.x's documents: base_score as a vector, iteration_indptr, best_iteration in the attributes only", () => {
    const { regressor, state, document } = pickledRegressor('parallel_trees_p4.pkl');
    const model = document.Model;
    model.version = [2, 1, 3];
    const params = model.learner.learner_model_param;
    params.base_score = `[${params.base_score}]`;
    const trees = model.learner.gradient_booster.model.trees.length;
    model.learner.gradient_booster.model.iteration_indptr = Int32Array.from({ length: trees / 3 + 1 }, (_, i) => i * 3);
    // 2.x's Booster keeps best_iteration in the document's attributes, not as a Python attribute.
    state.delete('best_iteration');
    state.delete('best_ntree_limit');
    expect(model.learner.attributes.best_iteration).toBe(String(cases.parallel_trees_p4.bestIteration));
    state.set('handle', new Uint8Array(encode(document, { optimizeArrays: 'onlyTypedArrays' })));
    const { model: served2x, rows: test, c } = served('parallel_trees_p4', xgboostFromPickle(regressor));
    expect(worstRelativeDifference(served2x.predict(test), c.expected as number[])).toBeLessThanOrEqual(1e-9);
  });

  it("xgboost 2.1's model.xgb is UBJSON, served as such under MLflow's default model_format", () => {
    const document = decodeUbjson(bytesOf('booster.ubj')) as XGBoostDocument;
    document.version = [2, 1, 0];
    document.learner.learner_model_param.base_score = `[${document.learner.learner_model_param.base_score}]`;
    const bytes = new Uint8Array(encode(document, { optimizeArrays: 'onlyTypedArrays' }));
    const flavor = { data: 'model.xgb', model_class: 'xgboost.core.Booster', model_format: 'xgb', xgb_version: '2.1.0' };
    const { model, rows: test, c } = served('booster_ubj', xgboostFromFlavor(flavor, bytes));
    expect(worstRelativeDifference(model.predict(test), c.expected as number[])).toBeLessThanOrEqual(1e-9);
  });

  it("xgboost 1.0 to 1.2's pickles (a binary booster behind a JSON config) are refused with how to re-save them", () => {
    const { regressor, state } = pickledRegressor('regressor_p4.pkl');
    state.set('handle', Buffer.concat([Buffer.from('CONFIG-offset:'), Buffer.alloc(8), bytesOf('booster.xgb')]));
    expect(() => xgboostFromPickle(regressor)).toThrow('serialized by xgboost 1.0 to 1.2');
  });
});

describe('the MLflow xgboost flavor', () => {
  it('model_class XGBRegressor predicts as XGBRegressor.load_model + predict, Booster as Booster.predict', () => {
    const bytes = bytesOf('early_stopping_regressor.ubj');
    const asRegressor = xgboostFromFlavor({ data: 'model.ubj', model_class: 'xgboost.sklearn.XGBRegressor', model_format: 'ubj' }, bytes);
    const { model, rows: test, c } = served('early_stopping_regressor_json', asRegressor);
    expect(worstRelativeDifference(model.predict(test), c.expected as number[])).toBeLessThanOrEqual(1e-9);
    // No model_class: MLflow before 1.22, a Booster.
    const asBooster = xgboostFromFlavor({ data: 'model.ubj' }, bytes);
    const booster = served('early_stopping_as_booster_json', asBooster);
    expect(worstRelativeDifference(booster.model.predict(booster.rows), booster.c.expected as number[])).toBeLessThanOrEqual(1e-9);
  });

  it("the course's mlflow.xgboost.log_model(booster) with xgboost 1.7: a legacy binary model.xgb, refused with how to re-save it", () => {
    const flavor = { data: 'model.xgb', model_class: 'xgboost.core.Booster', model_format: 'xgb', xgb_version: '1.7.4' };
    expect(() => xgboostFromFlavor(flavor, bytesOf('booster.xgb'))).toThrow(
      /model\.xgb \(xgboost\.core\.Booster, xgboost 1\.7\.4\) is in XGBoost's legacy binary format.*model_format="ubj"/,
    );
  });

  it('a classifier flavor is refused by its class', () => {
    expect(() => xgboostFromFlavor({ data: 'model.ubj', model_class: 'xgboost.sklearn.XGBClassifier' }, bytesOf('booster.ubj'))).toThrow(
      'model_class xgboost.sklearn.XGBClassifier is not served',
    );
  });
});
