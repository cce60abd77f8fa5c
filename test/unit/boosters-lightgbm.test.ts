/**
 * LightGBM models read natively (lambda/src/model/boosters/) against LightGBM 4.7.0's own
 * predictions. CI has no LightGBM: test/fixtures/lightgbm-4.7.0/make_fixtures.py made these
 * models once (LGBMRegressor and Booster pickles, MLflow's cloudpickle, save_model's text
 * files; sparse and dense DictVectorizers, early stopping, the regression objectives, rf,
 * dart, NaN and zero missing types) with LightGBM's predictions on the very CSR rows used here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LightGBMEvaluator,
  type LightGBMSpec,
  lightgbmFromFlavor,
  lightgbmFromPickle,
  readLightGBMModel,
} from '../../lambda/src/model/boosters';
import { MISSING_NAN, MISSING_ZERO, missingType } from '../../lambda/src/model/boosters/lightgbm-model';
import type { PyObject } from '../../lambda/src/model/pickle/python-object';
import { unpickle } from '../../lambda/src/model/pickle/unpickle';
import { type CsrJson, csrRows } from '../support/csr-rows';
import { worstRelativeDifference } from '../support/parity';

const FIXTURES = 'test/fixtures/lightgbm-4.7.0';

interface Case {
  file: string;
  kind: 'pickle' | 'text' | 'flavor';
  rows: 'sparse' | 'dense';
  modelClass?: string;
  expected?: number[];
  refused?: string;
  bestIteration?: number;
  iterations?: number;
  featureNames?: string[];
}

const fixtures = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as { lightgbm: string; cases: Record<string, Case> };
const rows = JSON.parse(readFileSync(join(FIXTURES, 'rows.json'), 'utf8')) as Record<string, CsrJson>;
const cases = fixtures.cases;
const bytesOf = (file: string) => new Uint8Array(readFileSync(join(FIXTURES, file)));

function specOf(c: Case): LightGBMSpec {
  const bytes = bytesOf(c.file);
  switch (c.kind) {
    case 'pickle':
      return lightgbmFromPickle(unpickle(bytes) as PyObject);
    case 'flavor':
      return lightgbmFromFlavor({ data: c.file, model_class: c.modelClass, lgb_version: fixtures.lightgbm }, bytes, unpickle);
    default:
      return readLightGBMModel(new TextDecoder().decode(bytes), { source: c.file });
  }
}

const SERVED = Object.keys(cases).filter((name) => cases[name].refused === undefined);

it('the fixtures are LightGBM 4.7.0 models, most of them served', () => {
  expect(fixtures.lightgbm).toBe('4.7.0');
  expect(SERVED.length).toBeGreaterThanOrEqual(20);
});

describe.each(SERVED)('%s', (name) => {
  it('predicts as LightGBM 4.7.0 does, to 1e-9 relative, on every row', () => {
    const c = cases[name];
    const spec = specOf(c);
    const test = csrRows(rows[c.rows]);
    expect(test.rowCount).toBeGreaterThanOrEqual(500);
    expect(spec.numFeatures).toBe(rows[c.rows].width);
    expect(worstRelativeDifference(new LightGBMEvaluator(spec).predict(test), c.expected as number[])).toBeLessThanOrEqual(1e-9);
  });
});

describe('what predict uses', () => {
  it('a pickled Booster that kept the iterations after the best: predict stops at its best_iteration', () => {
    const c = cases.kept_booster_p4;
    const spec = specOf(c);
    expect(spec.bestIteration).toBe(c.bestIteration);
    expect(spec.trees.length).toBe(c.bestIteration);
    expect(spec.totalIterations).toBe(c.iterations);
    expect(spec.totalIterations).toBeGreaterThan(spec.trees.length);
  });

  it('a saved file after early stopping holds only the iterations up to the best, and serves them all', () => {
    const c = cases.early_stopping_lgb;
    expect(specOf(c).trees.length).toBe(c.iterations);
  });

  it('rf averages its iterations; reg_sqrt squares the raw score back; poisson, gamma and tweedie exponentiate it', () => {
    expect(specOf(cases.rf).averageOutput).toBe(true);
    expect(specOf(cases.regressor_p4).averageOutput).toBe(false);
    expect(specOf(cases.sqrt).link).toBe('signed-square');
    for (const name of ['poisson', 'gamma', 'tweedie']) expect(specOf(cases[name]).link).toBe('exp');
    for (const name of ['l1', 'huber', 'fair', 'quantile', 'mape']) expect(specOf(cases[name]).link).toBe('identity');
  });

  it('the dense models exercise the NaN and the zero missing types, both default directions', () => {
    const types = (name: string) => specOf(cases[name]).trees.flatMap((t) => Array.from(t.decisionType));
    expect(types('regressor_dense_nan').some((d) => missingType(d) === MISSING_NAN && d & 2)).toBe(true);
    expect(types('regressor_dense_nan').some((d) => missingType(d) === MISSING_NAN && !(d & 2))).toBe(true);
    expect(types('zero_as_missing').some((d) => missingType(d) === MISSING_ZERO)).toBe(true);
    expect(rows.dense.data.some((v) => v === null)).toBe(true);
  });

  it('feature names: the Booster trained with names has them, a bare matrix gets Column_<i>', () => {
    const named = specOf(cases.booster_lgb);
    expect(named.featureNames).toEqual(cases.booster_lgb.featureNames);
    expect(named.featureNamesGenerated).toBe(false);
    const bare = specOf(cases.regressor_p4);
    expect(bare.featureNames[0]).toBe('Column_0');
    expect(bare.featureNamesGenerated).toBe(true);
  });
});

describe('refused, with a message that names the cause', () => {
  it.each(Object.keys(cases).filter((name) => cases[name].refused !== undefined))('%s', (name) => {
    expect(() => specOf(cases[name])).toThrow(cases[name].refused as string);
  });

  const text = readFileSync(join(FIXTURES, 'huber.lgb'), 'utf8');
  it.each([
    ['objective=huber', 'objective=lambdarank', `LightGBM objective "lambdarank" is a ranker's`],
    ['objective=huber', 'objective=custom', 'a custom (Python) objective'],
    ['objective=huber', 'objective=mystery', `LightGBM objective "mystery" is not one this runtime evaluates`],
    ['objective=huber\n', '', 'no objective= line'],
    ['objective=huber', 'objective=poisson sqrt', 'sqrt with poisson is not served'],
    ['end of trees', 'end of forest', 'cut short'],
    ['pandas_categorical:null', 'pandas_categorical:[["a", "b"]]', 'pandas categorical columns'],
    // LightGBM 4.7.0 drops sqrt for huber as it loads ("Cannot use sqrt transform in huber Regression"): squaring would be wrong.
    ['objective=huber', 'objective=huber sqrt', 'sqrt with huber is not served'],
    // LightGBM refuses these: "Wrong size of feature_infos", "Model file doesn't contain feature_infos".
    [/^feature_infos=\S+ /m, 'feature_infos=', 'feature_infos: has 1001 entries for 1002 features'],
    [/^feature_infos=.*\n/m, '', 'no feature_infos= line'],
  ])('%s -> %s', (from, to, message) => {
    expect(() => readLightGBMModel(text.replace(from, to))).toThrow(message);
  });

  // LightGBM 4.7.0 finds the trees by tree_sizes: with one size fewer it predicts with one tree fewer; with a block
  // of another length (an edited leaf value, CRLF line ends) it reads from the wrong place and aborts the process.
  const sizes = /^tree_sizes=(.*)$/m.exec(text)?.[1] as string;
  it.each([
    ['one size fewer', text.replace(sizes, sizes.split(' ').slice(0, -1).join(' ')), 'lists 19 trees, but the model holds 20'],
    [
      'a leaf value edited',
      text.replace(/^leaf_value=(\S+)/m, 'leaf_value=$10'),
      'tree_sizes: says tree 0 is 1409 bytes, but its block is 1410',
    ],
    ['CRLF line ends', text.replace(/\n/g, '\r\n'), 'tree_sizes: says tree 0 is 1409 bytes'],
  ])('tree_sizes that are not the trees: %s', (_, edited, message) => {
    expect(() => readLightGBMModel(edited)).toThrow(message);
  });

  it('without tree_sizes, LightGBM reads the blocks one after the other, and so does this reader', () => {
    const c = cases.huber;
    const spec = readLightGBMModel(text.replace(/^tree_sizes=.*\n/m, ''));
    const served = new LightGBMEvaluator(spec).predict(csrRows(rows[c.rows as string]));
    expect(worstRelativeDifference(served, c.expected as number[])).toBeLessThanOrEqual(1e-9);
  });

  it('a decision_type beyond a byte, which LightGBM would read as another byte', () => {
    const withoutSizes = text.replace(/^tree_sizes=.*\n/m, '');
    for (const d of ['258', '-1']) {
      const edited = withoutSizes.replace(/decision_type=(\d+)/, `decision_type=${d}`);
      expect(edited).not.toBe(withoutSizes);
      expect(() => readLightGBMModel(edited)).toThrow(`${d} is not a decision type (one byte of bits)`);
    }
  });

  it('a tree that is no tree: a child reached twice', () => {
    const broken = text.replace(/left_child=(-?\d+) (-?\d+)/, 'left_child=$1 $1');
    expect(() => readLightGBMModel(broken)).toThrow(/reached twice|not a node/);
  });

  it('bytes that are not the text format', () => {
    expect(() => lightgbmFromFlavor({ data: 'model.lgb' }, bytesOf('regressor_p4.pkl'), unpickle)).toThrow('text model format');
    expect(() =>
      lightgbmFromFlavor({ data: 'model.pkl', model_class: 'lightgbm.sklearn.LGBMClassifier' }, bytesOf('regressor_p4.pkl'), unpickle),
    ).toThrow('model_class lightgbm.sklearn.LGBMClassifier is not served');
  });
});
