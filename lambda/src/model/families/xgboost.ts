/**
 * XGBoost, read natively (lambda/src/model/boosters/): an XGBRegressor or XGBRFRegressor in
 * a pipeline or alone, a pickled Booster, the MLflow xgboost flavor's file, a model.json or
 * model.ubj, and the exporter's version-1 model.json. It predicts as the Python object does
 * (an XGBRegressor stops at its best iteration; a Booster uses every tree), in float32 as
 * XGBoost does. Objectives whose prediction is exp(margin) in float32 are refused: the C
 * library's expf XGBoost calls rounds the last bit its own way (glibc's on about 1 ride in
 * 1,600), so their predictions cannot be matched exactly.
 */

import { isObject } from '../../is-object';
import {
  readXGBoostModel,
  XGBoostEvaluator,
  type XGBoostFlavor,
  type XGBoostSpec as XGBoostModel,
  xgboostFromFlavor,
  xgboostFromPickle,
  xgboostSpecFromDocument,
} from '../boosters';
import { BOOSTER_CLASSES } from '../boosters/python-classes';
import { fail } from '../errors';
import type { PyObject } from '../pickle/python-object';
import { field, integerAt, numberArray, objectAt, oneOf, parameter, stringAt } from '../spec-checks';
import type { SpecBase } from '../stage';
import { boosterSignature, boosterStage, chargeTrees } from './boosters';
import type { Family } from './family';

export interface XGBoostSpec extends SpecBase {
  readonly type: 'xgboost';
  readonly estimator: string;
  /** The checked model, as the boosters' reader makes it. */
  readonly model: XGBoostModel;
}

const CLASSES: Record<string, string> = {
  [BOOSTER_CLASSES.XGBRegressor]: 'XGBRegressor',
  [BOOSTER_CLASSES.XGBRFRegressor]: 'XGBRFRegressor',
  [BOOSTER_CLASSES.XGBoostBooster]: 'XGBoost Booster',
};

/** Refuses what cannot be served exactly, whatever file it came from. */
function servable(model: XGBoostModel, path: string): XGBoostModel {
  if (model.link === 'exp') {
    fail(
      path,
      `XGBoost objective ${JSON.stringify(model.objective)} predicts exp(margin) through the C library's float32 expf, whose last bit ` +
        'differs from one platform to another (glibc rounds it the other way on about 1 ride in 1,600): it cannot be served exactly; ' +
        'train with an identity objective such as reg:squarederror (wrap it in a TransformedTargetRegressor for a log target)',
    );
  }
  return model;
}

function fromPickle(object: PyObject, where: string): Omit<XGBoostSpec, 'type'> {
  return { estimator: CLASSES[object.type], model: servable(xgboostFromPickle(object), where) };
}

/** The exporter's version-1 XGBoost step (tools/export_model.py): gbtree arrays, the margin and the link. */
function fromExport(spec: Record<string, unknown>, path: string): XGBoostModel {
  const trees = field(spec, 'trees', path);
  if (!Array.isArray(trees) || trees.length === 0) fail(`${path}.trees`, 'expected a non-empty array of trees');
  const link = oneOf(field(spec, 'link', path), ['identity', 'exp'] as const, `${path}.link`);
  const numFeatures = spec.n_features_in === undefined ? undefined : integerAt(spec.n_features_in, `${path}.n_features_in`);
  return {
    family: 'xgboost',
    booster: 'gbtree',
    objective: stringAt(field(spec, 'objective', path), `${path}.objective`),
    link,
    baseScore: Number.NaN,
    baseMargin: Math.fround(parameter(field(spec, 'base_margin', path), `${path}.base_margin`)),
    trees: trees.map((value, i) => {
      const here = `${path}.trees[${i}]`;
      const t = objectAt(value, here, 'a tree object');
      const ints = (key: string) => Int32Array.from(numberArray(field(t, key, here), `${here}.${key}`, 'integer'));
      return {
        left: ints('children_left'),
        right: ints('children_right'),
        feature: ints('feature'),
        value: Float32Array.from(numberArray(field(t, 'threshold', here), `${here}.threshold`, 'not NaN')),
        defaultLeft: Uint8Array.from(ints('default_left')),
      };
    }),
    predictPath: 'dmatrix',
    totalTrees: trees.length,
    numFeatures: numFeatures ?? -1,
  };
}

/** Charges the load for the trees (limits.ts). */
function counted(spec: XGBoostSpec, path: string): XGBoostSpec {
  chargeTrees(spec.model.trees, (tree) => tree.left.length, path);
  return spec;
}

const parse = (spec: Record<string, unknown>, path: string): XGBoostSpec => counted(parseModel(spec, path), path);

/**
 * A spec from a model.json: version 2 holds the booster's own JSON document (`document`,
 * with the `api` whose predict it reproduces); version 1, the exporter's arrays. A spec the
 * pickle reader made already holds the checked model.
 */
function parseModel(spec: Record<string, unknown>, path: string): XGBoostSpec {
  const estimator = typeof spec.estimator === 'string' ? spec.estimator : 'XGBoost';
  // Typed arrays: made by this runtime's reader from a pickle, never by JSON.
  const model = spec.model;
  if (
    isObject(model) &&
    model.family === 'xgboost' &&
    Array.isArray(model.trees) &&
    model.trees.every((t) => isObject(t) && t.left instanceof Int32Array)
  ) {
    return { type: 'xgboost', estimator, model: servable(model as unknown as XGBoostModel, path) };
  }
  if (spec.document !== undefined) {
    const api = oneOf(field(spec, 'api', path), ['Booster', 'XGBRegressor'] as const, `${path}.api`);
    return {
      type: 'xgboost',
      estimator,
      model: servable(xgboostSpecFromDocument(objectAt(spec.document, `${path}.document`), { api, source: path }), path),
    };
  }
  return { type: 'xgboost', estimator, model: servable(fromExport(spec, path), path) };
}

export const xgboost: Family<XGBoostSpec> = {
  classes: CLASSES,
  fromPickle,
  parse,
  signature: (spec) => boosterSignature(spec.model.featureNames),
  // XGBoost's predict returns a float32 array.
  build: (spec, input, path) => ({
    float32: true,
    ...boosterStage({
      name: spec.estimator,
      numFeatures: spec.model.numFeatures < 0 && input.kind === 'matrix' ? input.shape.width : spec.model.numFeatures,
      featureNames: spec.model.featureNames,
      input,
      path,
      // A dense matrix gave XGBoost a 0 for every absent one-hot, not a missing value.
      evaluator: (dense) =>
        new XGBoostEvaluator(
          { ...spec.model, numFeatures: Math.max(spec.model.numFeatures, input.kind === 'matrix' ? input.shape.width : 0) },
          { absentIsZero: dense },
        ),
    }),
  }),
};

/** An XGBoost model file (model.json, model.ubj, a UBJSON model.xgb), as a Booster of its own or an XGBRegressor's save_model. */
export function xgboostFile(bytes: Uint8Array, name: string, api: 'Booster' | 'XGBRegressor' = 'Booster'): XGBoostSpec {
  const model = servable(readXGBoostModel(bytes, { api, source: name }), name);
  return counted({ type: 'xgboost', estimator: api === 'Booster' ? 'XGBoost Booster' : 'XGBRegressor', model }, name);
}

/** The MLflow xgboost flavor's data file, predicting as its model_class does. */
export function xgboostFlavorSpec(flavor: XGBoostFlavor, bytes: Uint8Array): XGBoostSpec {
  const model = xgboostFromFlavor(flavor, bytes);
  const estimator = flavor.model_class ? (CLASSES[flavor.model_class] ?? 'XGBoost') : 'XGBoost Booster';
  return counted({ type: 'xgboost', estimator, model: servable(model, flavor.data) }, flavor.data);
}
