/**
 * An XGBoost model document (doc/model.schema, any version from 1.3 on) checked and reduced
 * to what its prediction needs: the trees, their float32 split values and leaves, the
 * default direction of each split for a missing value, the base margin, the objective's link
 * and, for dart, each tree's weight. Anything that would not be served exactly is refused
 * with a message that names it.
 */

import { isObject } from '../../is-object';
import { fail, ModelFormatError } from '../errors';
import { checkTree, checkValue, integerOf } from './tree-checks';
import { own, readXGBoostDocument } from './xgboost-document';
import { baseMarginOf, refusedObjective, XGBOOST_OBJECTIVES, type XGBoostLink } from './xgboost-objectives';

/** One tree, as XGBoost walks it: a value goes left when `value < split[node]`, missing goes `defaultLeft`. */
export interface XGBoostTree {
  /** Children of each node; -1 at leaves. */
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  /** Split values at inner nodes, leaf values at leaves: float32, as XGBoost keeps them. */
  value: Float32Array;
  /** 1 where a missing value goes left. */
  defaultLeft: Uint8Array;
}

/**
 * How the trees' leaves add up, which for dart depends on the Python call XGBoost goes
 * through: `Booster.predict(DMatrix)` adds `leaf * weight`; `inplace_predict`, which
 * `XGBRegressor.predict` uses, adds `((base + leaf) - base) * weight`, rounded to float32 at
 * each step, which differs in the last bits. gbtree sums the leaves the same way in both.
 */
export type XGBoostPredictPath = 'dmatrix' | 'inplace';

/** The Python object whose `predict` is reproduced: it decides how many trees are used and, for dart, the path. */
export type XGBoostApi = 'Booster' | 'XGBRegressor';

/** A checked XGBoost model: what the evaluator (XGBoostEvaluator) needs, and what the runtime shows or matches. */
export interface XGBoostSpec {
  family: 'xgboost';
  /** The xgboost version that wrote the document, when it says. */
  version?: readonly number[];
  booster: 'gbtree' | 'dart' | 'gblinear';
  objective: string;
  link: XGBoostLink;
  /** base_score as the model holds it (float32), and the margin the trees add to. */
  baseScore: number;
  baseMargin: number;
  /** The trees predict uses: every tree, or those of the first best_iteration + 1 rounds. */
  trees: XGBoostTree[];
  /** dart: the weight of each of those trees (float32). */
  treeWeights?: Float32Array;
  /** gblinear: a weight per feature and the bias (float32); no trees. */
  linear?: { weights: Float32Array; bias: number };
  predictPath: XGBoostPredictPath;
  /** Trees in the model, and the best iteration predict stopped at (when it did). */
  totalTrees: number;
  bestIteration?: number;
  /** How many features the model was trained on (XGBRegressor's n_features_in_). */
  numFeatures: number;
  /** The names it was trained with (a DataFrame's columns, DMatrix feature_names); undefined when trained on a bare matrix. */
  featureNames?: readonly string[];
  featureTypes?: readonly string[];
}

export interface XGBoostReadOptions {
  /** Whose predict to reproduce: `Booster.predict` uses every tree, `XGBRegressor.predict` stops at best_iteration. */
  api: XGBoostApi;
  /**
   * The best iteration when the Python object holds it outside the document (a 1.x pickle's
   * Booster attributes): it then wins over the document's `attributes.best_iteration`.
   */
  bestIteration?: number;
  /** xgboost 1.3 and older's XGBRegressor.best_ntree_limit: a number of trees, used as it is. */
  bestNtreeLimit?: number;
  /** The dart path, when the caller knows better than the api (an XGBRegressor with an explicit `predictor`). */
  predictPath?: XGBoostPredictPath;
  /** Names the source in messages. */
  source?: string;
}

type Json = Record<string, unknown>;

function object(parent: Json, key: string, where: string): Json {
  const value = own(parent, key);
  if (!isObject(value)) fail(`${where}.${key}`, value === undefined ? 'missing' : 'expected an object');
  return value as Json;
}

function numbers(parent: Json, key: string, where: string, required = true): ArrayLike<number> | undefined {
  const value = own(parent, key);
  if (value === undefined && !required) return undefined;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return value as unknown as ArrayLike<number>;
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value;
  return fail(`${where}.${key}`, value === undefined ? 'missing' : 'expected an array of numbers');
}

/**
 * An array of integers (children, feature indices, default directions), as XGBoost reads one:
 * a fraction is a type error to it, so it is refused here rather than truncated; an integer
 * beyond int32 would wrap.
 */
function integers(parent: Json, key: string, where: string, min = -(2 ** 31), max = 2 ** 31 - 1): Int32Array {
  const values = numbers(parent, key, where) as ArrayLike<number>;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(Number.isInteger(v) && v >= min && v <= max)) fail(`${where}.${key}[${i}]`, `${v} is not an integer from ${min} to ${max}`);
  }
  return Int32Array.from(values);
}

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string') ? value : undefined;

/**
 * A decimal number as XGBoost writes base_score ("5E-1", "1.35423315E1": at most 9 significant
 * digits, a float32's shortest form) and reads it back the same. XGBoost's parameter parser
 * silently keeps the default 0.5 for any other text (" 2.5", "+4", "0x10", "1.500000000"),
 * so no other text is read here as the number it looks like.
 */
const BASE_SCORE_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const significantDigits = (text: string) => (text.split(/[eE]/)[0].replace(/[-.]/g, '').replace(/^0+/, '') || '0').length;

/** base_score: "5E-1" (xgboost 1.x, 2.0) or "[5E-1]" (a vector, later ones); one value, as float32. */
function parseBaseScore(value: unknown, where: string): number {
  if (typeof value !== 'string') return fail(where, `expected a number as text (as XGBoost writes it), got ${JSON.stringify(value)}`);
  const items = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1).split(',') : [value];
  if (items.length !== 1) return fail(where, `${value} holds ${items.length} base scores: models with several outputs are not served`);
  const text = items[0];
  if (!BASE_SCORE_TEXT.test(text) || significantDigits(text) > 9) {
    return fail(
      where,
      `${JSON.stringify(value)} is not a number as XGBoost writes one (digits, at most 9 significant, no spaces or sign "+"): ` +
        'XGBoost would not read it as that number (it keeps base_score 0.5 instead)',
    );
  }
  const score = Number(text);
  if (!Number.isFinite(Math.fround(score))) return fail(where, `${JSON.stringify(value)} is not a finite float32`);
  return Math.fround(score);
}

/** The trees of the first `rounds` boosting rounds: iteration_indptr (xgboost 2.0 on) or rounds of num_parallel_tree trees. */
function treesOfRounds(model: Json, rounds: number, treeCount: number, where: string): number {
  const indptr = numbers(model, 'iteration_indptr', where, false);
  if (indptr !== undefined && indptr.length > 0) {
    if (rounds >= indptr.length) fail(where, `best_iteration ${rounds - 1} is beyond the model's ${indptr.length - 1} rounds`);
    return indptr[rounds];
  }
  const params = isObject(own(model, 'gbtree_model_param')) ? (own(model, 'gbtree_model_param') as Json) : {};
  const parallel =
    own(params, 'num_parallel_tree') === undefined ? 1 : integerOf(own(params, 'num_parallel_tree'), `${where}.num_parallel_tree`);
  const trees = rounds * Math.max(parallel, 1);
  if (trees > treeCount) fail(where, `best_iteration ${rounds - 1} needs ${trees} trees, but the model has ${treeCount}`);
  return trees;
}

function readTree(tree: unknown, where: string, nFeatures: number): XGBoostTree {
  if (!isObject(tree)) return fail(where, 'expected a tree object');
  const param = isObject(own(tree, 'tree_param')) ? (own(tree, 'tree_param') as Json) : {};
  const leafVector = own(param, 'size_leaf_vector');
  if (leafVector !== undefined && integerOf(leafVector, `${where}.tree_param.size_leaf_vector`) > 1) {
    fail(where, 'a tree with vector leaves (a model with several outputs) is not served');
  }
  const splitType = numbers(tree, 'split_type', where, false);
  const categories = numbers(tree, 'categories_nodes', where, false);
  if ((splitType !== undefined && Array.prototype.some.call(splitType, (t: number) => t !== 0)) || (categories?.length ?? 0) > 0) {
    fail(where, 'XGBoost categorical splits (enable_categorical=True) are not served; one-hot encode the categories instead');
  }
  const left = integers(tree, 'left_children', where);
  const right = integers(tree, 'right_children', where);
  const feature = integers(tree, 'split_indices', where);
  const value = Float32Array.from(numbers(tree, 'split_conditions', where) as ArrayLike<number>);
  // XGBoost sends a missing value left only for a 1 (2 or 255 go right): only 0 and 1 are read.
  const defaultLeft = Uint8Array.from(integers(tree, 'default_left', where, 0, 1));
  const nodes = left.length;
  for (const [name, array] of [
    ['right_children', right],
    ['split_indices', feature],
    ['split_conditions', value],
    ['default_left', defaultLeft],
  ] as const) {
    if (array.length !== nodes) fail(`${where}.${name}`, `has ${array.length} entries, expected ${nodes}`);
  }
  const declared = own(param, 'num_nodes');
  if (declared !== undefined && integerOf(declared, `${where}.tree_param.num_nodes`) !== nodes) {
    fail(`${where}.tree_param.num_nodes`, `says ${declared}, but the tree has ${nodes} nodes`);
  }
  checkTree(
    where,
    nodes,
    nFeatures,
    (node) => {
      if (left[node] !== -1) return false;
      if (right[node] !== -1) fail(`${where} node ${node}`, 'has a right child but no left one');
      checkValue(value[node], () => `${where}.split_conditions[${node}] (a leaf)`);
      return true;
    },
    (node, side) => (side === 0 ? left[node] : right[node]),
    (node) => feature[node],
  );
  // Inner nodes: a split value may be infinite, never NaN (no value would go either way).
  for (let node = 0; node < nodes; node++) if (Number.isNaN(value[node])) fail(`${where}.split_conditions[${node}]`, 'is NaN');
  return { left, right, feature, value, defaultLeft };
}

/**
 * The trees in the order XGBoost predicts with them: GBTreeModel::LoadModel puts each tree at
 * the place its `id` says, whatever its place in the array, and that order decides the float32
 * sum, which trees best_iteration keeps and dart's weight of each. The ids must be the trees'
 * places 0 .. n-1, once each, and gbtree_model_param.num_trees their count: XGBoost crashes
 * on a repeated id or a count that is not the array's.
 */
function treesById(listed: unknown[], model: Json, where: string): unknown[] {
  const params = own(model, 'gbtree_model_param');
  const declared = isObject(params) ? own(params, 'num_trees') : undefined;
  if (declared === undefined) fail(`${where}.gbtree_model_param.num_trees`, 'missing');
  if (integerOf(declared, `${where}.gbtree_model_param.num_trees`) !== listed.length) {
    fail(`${where}.gbtree_model_param.num_trees`, `says ${declared}, but the model holds ${listed.length} trees`);
  }
  const ordered: unknown[] = new Array(listed.length);
  listed.forEach((tree, i) => {
    const id = isObject(tree) ? own(tree, 'id') : undefined;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= listed.length) {
      fail(`${where}.trees[${i}].id`, `${JSON.stringify(id)} is not a tree's place, from 0 to ${listed.length - 1}`);
    }
    if (ordered[id as number] !== undefined) fail(`${where}.trees[${i}].id`, `${id} is the id of two trees`);
    ordered[id as number] = tree;
  });
  return ordered;
}

/**
 * gblinear's weights: one per feature then the bias (one output group). Predict always uses
 * them all (XGBRegressor too), through Booster.predict(DMatrix).
 */
function linearModel(model: Json, numFeatures: number, where: string): { weights: Float32Array; bias: number } {
  const weights = Float32Array.from(numbers(model, 'weights', `${where}.gradient_booster.model`) as ArrayLike<number>);
  if (weights.length !== numFeatures + 1) {
    fail(
      `${where}.gradient_booster.model.weights`,
      `has ${weights.length} weights, expected ${numFeatures + 1} (a weight per feature and the bias)`,
    );
  }
  for (let i = 0; i < weights.length; i++) checkValue(weights[i], () => `${where}.gradient_booster.model.weights[${i}]`);
  return { weights: weights.subarray(0, numFeatures), bias: weights[numFeatures] };
}

/** The best iteration the document records (`learner.attributes.best_iteration`), if any. */
function documentBestIteration(learner: Json, where: string): number | undefined {
  const attributes = own(learner, 'attributes');
  const best = isObject(attributes) ? own(attributes, 'best_iteration') : undefined;
  return best === undefined ? undefined : integerOf(best, `${where}.attributes.best_iteration`);
}

/**
 * The scikit-learn parameters `XGBRegressor.save_model` keeps in the document's
 * `attributes.scikit_learn` (a JSON string that Python's json writes with bare NaN, which
 * JSON.parse refuses): what `XGBRegressor.load_model` restores and its predict depends on.
 */
function sklearnParameters(learner: Json): { missing?: string; predictor?: string; estimatorType?: string } | undefined {
  const attributes = own(learner, 'attributes');
  const meta = isObject(attributes) ? own(attributes, 'scikit_learn') : undefined;
  if (typeof meta !== 'string') return undefined;
  const token = (key: string) => new RegExp(`"${key}":\\s*("(?:[^"\\\\]|\\\\.)*"|[^,}\\s]+)`).exec(meta)?.[1];
  const text = (value: string | undefined) => (value?.startsWith('"') ? (JSON.parse(value) as string) : value);
  return { missing: token('missing'), predictor: text(token('predictor')), estimatorType: text(token('_estimator_type')) };
}

/**
 * Checks an XGBoost model document and reduces it to an XGBoostSpec; throws ModelFormatError
 * naming what is not served (categorical splits, several outputs, an objective
 * other than the regression ones).
 *
 * @example
 * const spec = xgboostSpecFromDocument(JSON.parse(readFileSync('model.json', 'utf8')), { api: 'Booster' });
 * const model = new XGBoostEvaluator(spec, { absentIsZero: false });
 */
export function xgboostSpecFromDocument(doc: Json, options: XGBoostReadOptions): XGBoostSpec {
  const where = options.source ?? 'the XGBoost model';
  const learner = object(doc, 'learner', where);
  const version = numbers(doc, 'version', where, false);
  const gbm = object(learner, 'gradient_booster', `${where}.learner`);
  const boosterName = own(gbm, 'name');
  if (boosterName !== 'gbtree' && boosterName !== 'dart' && boosterName !== 'gblinear') {
    throw new ModelFormatError(`${where}: XGBoost booster ${JSON.stringify(boosterName)} is not served`);
  }
  const gbtree = boosterName === 'dart' ? object(gbm, 'gbtree', `${where}.gradient_booster`) : gbm;
  const model = object(gbtree, 'model', `${where}.gradient_booster`);

  const objectiveName = own(object(learner, 'objective', `${where}.learner`), 'name');
  if (typeof objectiveName !== 'string') fail(`${where}.learner.objective.name`, 'expected a string');
  const link = XGBOOST_OBJECTIVES[objectiveName as string];
  if (link === undefined || !Object.hasOwn(XGBOOST_OBJECTIVES, objectiveName as string)) {
    throw new ModelFormatError(`${where}: ${refusedObjective(objectiveName as string)}`);
  }

  const params = object(learner, 'learner_model_param', `${where}.learner`);
  const numClass = own(params, 'num_class') === undefined ? 0 : integerOf(own(params, 'num_class'), `${where}.num_class`);
  const numTarget = own(params, 'num_target') === undefined ? 1 : integerOf(own(params, 'num_target'), `${where}.num_target`);
  if (numClass > 1 || numTarget > 1) {
    throw new ModelFormatError(
      `${where}: an XGBoost model with several outputs (num_class ${numClass}, num_target ${numTarget}) is not served`,
    );
  }
  const numFeatures = integerOf(own(params, 'num_feature'), `${where}.learner_model_param.num_feature`);
  const baseScore = parseBaseScore(own(params, 'base_score'), `${where}.learner_model_param.base_score`);
  if (link === 'exp' && !(baseScore > 0))
    fail(`${where}.learner_model_param.base_score`, `${baseScore} must be positive for ${objectiveName}`);
  const baseMargin = checkValue(baseMarginOf(baseScore, link), () => `${where}.learner_model_param.base_score`);

  const featureTypes = strings(own(learner, 'feature_types'));
  if (featureTypes?.includes('c')) {
    throw new ModelFormatError(
      `${where}: the model has categorical features (feature_types "c"), which are not served; one-hot encode them instead`,
    );
  }

  const common = {
    family: 'xgboost' as const,
    version: version === undefined ? undefined : Array.from(version),
    objective: objectiveName as string,
    link,
    baseScore,
    baseMargin,
    numFeatures,
    featureNames: strings(own(learner, 'feature_names')),
    featureTypes,
  };
  if (boosterName === 'gblinear')
    return {
      ...common,
      booster: 'gblinear',
      trees: [],
      predictPath: 'dmatrix',
      totalTrees: 0,
      linear: linearModel(model, numFeatures, where),
    };

  const listed = own(model, 'trees');
  if (!Array.isArray(listed) || listed.length === 0) fail(`${where}.gradient_booster.model.trees`, 'expected a non-empty array of trees');
  const allTrees = treesById(listed as unknown[], model, `${where}.gradient_booster.model`);
  const treeCount = allTrees.length;
  const treeInfo = numbers(model, 'tree_info', `${where}.gradient_booster.model`) as ArrayLike<number>;
  if (treeInfo.length !== treeCount) fail(`${where}.tree_info`, `has ${treeInfo.length} entries for ${treeCount} trees`);
  if (Array.prototype.some.call(treeInfo, (group: number) => group !== 0)) {
    fail(`${where}.tree_info`, 'trees of several output groups: models with several outputs are not served');
  }

  // A file XGBRegressor.save_model wrote: the parameters XGBRegressor.load_model restores.
  let predictPath = options.predictPath;
  const sklearn = options.api === 'XGBRegressor' ? sklearnParameters(learner) : undefined;
  if (sklearn !== undefined) {
    if (sklearn.estimatorType !== undefined && sklearn.estimatorType !== 'regressor') {
      fail(where, `the model was saved by an XGBoost ${sklearn.estimatorType}, not a regressor`);
    }
    if (sklearn.missing !== undefined && sklearn.missing !== 'NaN' && sklearn.missing !== 'null') {
      fail(
        where,
        `XGBRegressor(missing=${sklearn.missing}) is not served: XGBoost then treats every ${sklearn.missing} ` +
          `(a trip_distance of ${sklearn.missing}, an absent one-hot column) as missing; train with the default missing=nan`,
      );
    }
    if (sklearn.predictor !== undefined && sklearn.predictor !== 'null' && sklearn.predictor !== 'auto') predictPath ??= 'dmatrix';
  }

  // XGBRegressor.predict stops at best_iteration; Booster.predict uses every tree.
  let used = treeCount;
  let bestIteration: number | undefined;
  if (options.api === 'XGBRegressor') {
    if (options.bestNtreeLimit !== undefined && options.bestNtreeLimit > 0) {
      if (options.bestNtreeLimit > treeCount)
        fail(where, `best_ntree_limit ${options.bestNtreeLimit} is beyond the model's ${treeCount} trees`);
      used = options.bestNtreeLimit;
    } else {
      bestIteration = options.bestIteration ?? documentBestIteration(learner, where);
      if (bestIteration !== undefined) {
        if (bestIteration < 0) fail(where, `best_iteration ${bestIteration} is negative`);
        used = treesOfRounds(model, bestIteration + 1, treeCount, `${where}.gradient_booster.model`);
      }
    }
  }

  const trees = allTrees.slice(0, used).map((tree, i) => readTree(tree, `${where} tree ${i}`, numFeatures));
  let treeWeights: Float32Array | undefined;
  if (boosterName === 'dart') {
    const weights = numbers(gbm, 'weight_drop', `${where}.gradient_booster`) as ArrayLike<number>;
    if (weights.length !== treeCount) fail(`${where}.gradient_booster.weight_drop`, `has ${weights.length} weights for ${treeCount} trees`);
    treeWeights = Float32Array.from(weights).subarray(0, used);
    for (let i = 0; i < treeWeights.length; i++) checkValue(treeWeights[i], () => `${where}.gradient_booster.weight_drop[${i}]`);
  }
  const dartPath: XGBoostPredictPath =
    options.api === 'XGBRegressor' && !(version !== undefined && version[0] === 1 && version[1] < 4) ? 'inplace' : 'dmatrix';

  return {
    ...common,
    booster: boosterName,
    trees,
    treeWeights,
    predictPath: predictPath ?? dartPath,
    totalTrees: treeCount,
    bestIteration,
  };
}

/**
 * Reads an XGBoost model file or serialized booster (model.json, model.ubj, a UBJSON
 * model.xgb, a pickle's handle) into an XGBoostSpec; refuses legacy binary ones with how to
 * re-save them.
 *
 * @example
 * const spec = readXGBoostModel(readFileSync('models_mlflow/model.ubj'), { api: 'Booster', source: 'model.ubj' });
 */
export function readXGBoostModel(bytes: Uint8Array, options: XGBoostReadOptions): XGBoostSpec {
  const source = options.source ?? 'the XGBoost model';
  return xgboostSpecFromDocument(readXGBoostDocument(bytes, source), { ...options, source });
}
