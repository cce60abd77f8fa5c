/**
 * A fitted scikit-learn pipeline, as the allowlisting unpickler rebuilt it, turned into the
 * runtime's model document: the same document model.json holds, checked by the same code.
 * Reads the fitted attributes sklearn's own `predict` uses, from scikit-learn 1.0 to today.
 */
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelDocument, ModelFormatError, parseModelDocument } from '../format';
import { chargeEstimators, chargeNodes, withLoadBudget } from '../limits';
import { LOSS_LINKS, SKLEARN_ESTIMATORS, SKLEARN_PARTS, SUPPORTED_REGRESSOR_NAMES } from './allowlist';
import { NdArray, NumpyDtype } from './numpy';
import { attributesOf, describePython, isPyGlobal, PyFloat, PyObject } from './python-object';
import {
  checkBoostingPredict,
  checkDenseInput,
  checkForestPredict,
  checkHistBoostingPredict,
  checkTreePredict,
  checkVectorizerTransform,
} from './sklearn-predict';
import { isPredictorNodeLayout } from './sklearn-tree';
import { unpickle } from './unpickle';

const fail = (where: string, problem: string): never => {
  throw new ModelFormatError(`${where}: ${problem}`);
};

const shortName = (type: string) => type.slice(type.lastIndexOf('.') + 1);

/** An estimator or part of the expected class, with its attributes. */
function instanceOf(value: unknown, types: readonly string[], where: string): Map<unknown, unknown> {
  if (!(value instanceof PyObject) || !types.includes(value.type)) {
    fail(where, `expected ${types.map(shortName).join(' or ')}, got ${describePython(value)}`);
  }
  return attributesOf(value as PyObject);
}

/** A fitted attribute; a missing one means the estimator was pickled before fit(). */
function fitted(attributes: Map<unknown, unknown>, name: string, where: string): unknown {
  if (!attributes.has(name)) fail(where, `has no ${name}: it was not fitted`);
  return attributes.get(name);
}

function ndarray(value: unknown, where: string): NdArray {
  if (!(value instanceof NdArray)) fail(where, `expected a numpy array, got ${describePython(value)}`);
  return value as NdArray;
}

/** A number held as a Python number, a numpy scalar, or a numpy array of one element. */
function singleNumber(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  if (value instanceof PyFloat) return value.value;
  if (value instanceof NdArray && value.size === 1) return value.toFloat64Array()[0];
  return fail(where, `expected one number, got ${describePython(value)}`);
}

/** The pipeline's non-empty steps: a Pipeline's, or the course's (dv, model) tuple. */
function pipelineSteps(root: unknown): unknown[] {
  if (root instanceof PyObject && root.type === SKLEARN_ESTIMATORS.Pipeline) {
    const steps = fitted(attributesOf(root), 'steps', 'Pipeline');
    if (!Array.isArray(steps)) fail('Pipeline.steps', `expected a list, got ${describePython(steps)}`);
    return (steps as unknown[])
      .map((step, i) =>
        Array.isArray(step) && step.length === 2 ? step[1] : fail(`Pipeline.steps[${i}]`, 'expected a (name, estimator) pair'),
      )
      .filter((estimator) => estimator !== null && estimator !== 'passthrough');
  }
  if (Array.isArray(root)) return root;
  return fail('model', `expected a Pipeline or a (DictVectorizer, regressor) tuple, got ${describePython(root)}`);
}

function vectorizerSpec(value: unknown, where: string) {
  const a = instanceOf(value, [SKLEARN_ESTIMATORS.DictVectorizer], where);
  const vocabulary = fitted(a, 'vocabulary_', where);
  checkVectorizerTransform(a, where);
  if (!(vocabulary instanceof Map)) return fail(`${where}.vocabulary_`, `expected a dict, got ${describePython(vocabulary)}`);
  const featureNames: string[] = new Array(vocabulary.size);
  for (const [name, index] of vocabulary) {
    if (
      typeof name !== 'string' ||
      !Number.isInteger(index) ||
      index < 0 ||
      index >= vocabulary.size ||
      featureNames[index as number] !== undefined
    ) {
      fail(`${where}.vocabulary_`, `entry ${describePython(name)}: ${describePython(index)} is not a distinct column index`);
    }
    featureNames[index as number] = name as string;
  }
  // The matrix's dtype: anything but float64 would round the features before the model sees them.
  const dtype = a.get('dtype');
  const float64 =
    (isPyGlobal(dtype) && ['numpy.float64', 'builtins.float'].includes(dtype.pythonName)) ||
    (dtype instanceof NumpyDtype && dtype.kind === 'f' && dtype.itemSize === 8);
  if (!float64)
    fail(`${where}.dtype`, `DictVectorizer(dtype=${describePython(dtype)}) is not served; only float64 keeps the features exact`);
  // Python reads both as attributes: a DictVectorizer without them fails in transform.
  return {
    type: 'DictVectorizer',
    separator: fitted(a, 'separator', where),
    sparse: fitted(a, 'sparse', where),
    feature_names: featureNames,
  };
}

/** sklearn's Tree: node records (children, feature, threshold) and one value per node. */
function sklearnTree(value: unknown, where: string) {
  const a = instanceOf(value, [SKLEARN_PARTS.Tree], where);
  const [, , outputs] = (value as PyObject).args;
  if (outputs !== 1) fail(where, `has ${describePython(outputs)} outputs; only single-output regression trees are served`);
  const nodes = ndarray(a.get('nodes'), `${where}.nodes`);
  const values = ndarray(a.get('values'), `${where}.values`);
  const count = nodes.size;
  chargeNodes(count, where);
  if (values.shape[0] !== count || values.size !== count)
    fail(`${where}.values`, `shape (${values.shape.join(', ')}) does not fit ${count} nodes of one output`);
  return {
    children_left: nodes.int32Field('left_child'),
    children_right: nodes.int32Field('right_child'),
    feature: nodes.int32Field('feature'),
    threshold: nodes.field('threshold'),
    value: values.toFloat64Array(),
  };
}

const DECISION_TREES = [SKLEARN_ESTIMATORS.DecisionTreeRegressor, SKLEARN_ESTIMATORS.ExtraTreeRegressor];

function decisionTree(value: unknown, where: string, columns?: unknown) {
  const a = instanceOf(value, DECISION_TREES, where);
  if (columns !== undefined) checkTreePredict(a, columns, where);
  return sklearnTree(fitted(a, 'tree_', where), `${where}.tree_`);
}

/** A histogram gradient boosting's tree: node records with the leaf values and float64 thresholds. */
function predictorTree(value: unknown, where: string) {
  const nodes = ndarray(instanceOf(value, [SKLEARN_PARTS.TreePredictor], where).get('nodes'), `${where}.nodes`);
  if (!isPredictorNodeLayout(nodes.dtype)) fail(`${where}.nodes`, `records of ${nodes.dtype}, not scikit-learn's predictor nodes`);
  chargeNodes(nodes.size, where);
  const isLeaf = nodes.field('is_leaf');
  if (nodes.hasField('is_categorical') && nodes.field('is_categorical').some((c) => c !== 0)) {
    fail(where, 'has categorical splits, which this runtime does not evaluate');
  }
  const leafOr = (column: Int32Array, leafValue: number) => column.map((v, i) => (isLeaf[i] ? leafValue : v));
  return {
    children_left: leafOr(nodes.int32Field('left'), -1),
    children_right: leafOr(nodes.int32Field('right'), -1),
    feature: leafOr(nodes.int32Field('feature_idx'), -2),
    threshold: nodes.field('num_threshold'),
    value: nodes.field('value'),
  };
}

function linearSpec(type: string, a: Map<unknown, unknown>, where: string) {
  const coef = ndarray(fitted(a, 'coef_', where), `${where}.coef_`);
  if (coef.shape.length > 2 || (coef.shape.length === 2 && coef.shape[0] !== 1)) {
    fail(`${where}.coef_`, `shape (${coef.shape.join(', ')}): only single-output regression is served`);
  }
  return { type, coef: coef.toFloat64Array(), intercept: singleNumber(fitted(a, 'intercept_', where), `${where}.intercept_`) };
}

function gradientBoostingSpec(type: string, a: Map<unknown, unknown>, where: string) {
  const stages = ndarray(fitted(a, 'estimators_', where), `${where}.estimators_`);
  if (stages.shape.length !== 2 || stages.shape[1] !== 1)
    fail(`${where}.estimators_`, `shape (${stages.shape.join(', ')}): only single-output regression is served`);
  chargeEstimators(stages.size, `${where}.estimators_`);
  checkBoostingPredict(a, where);
  const init = a.get('init_');
  const initial =
    init === 'zero'
      ? 0
      : singleNumber(
          fitted(instanceOf(init, [SKLEARN_PARTS.DummyRegressor], `${where}.init_`), 'constant_', `${where}.init_`),
          `${where}.init_.constant_`,
        );
  return {
    type,
    init: initial,
    learning_rate: singleNumber(a.get('learning_rate'), `${where}.learning_rate`),
    trees: stages.items().map((tree, i) => decisionTree(tree, `${where}.estimators_[${i}]`, a.get('n_features_in_'))),
  };
}

function histGradientBoostingSpec(type: string, a: Map<unknown, unknown>, where: string) {
  checkHistBoostingPredict(a, where);
  const preprocessor = a.get('_preprocessor');
  if (preprocessor !== undefined && preprocessor !== null)
    fail(where, 'preprocesses categorical features, which this runtime does not evaluate');
  const categorical = a.get('is_categorical_');
  if (categorical instanceof NdArray && categorical.toFloat64Array().some((c) => c !== 0))
    fail(where, 'has categorical features, which this runtime does not evaluate');
  const loss = fitted(a, '_loss', where);
  const link = loss instanceof PyObject ? LOSS_LINKS[loss.type] : undefined;
  if (link === undefined) fail(`${where}._loss`, `${describePython(loss)} is not a regression loss this runtime serves`);
  const iterations = fitted(a, '_predictors', where);
  if (!Array.isArray(iterations)) return fail(`${where}._predictors`, `expected a list, got ${describePython(iterations)}`);
  chargeEstimators(iterations.length, `${where}._predictors`);
  const trees = iterations.map((predictors, i) => {
    if (!Array.isArray(predictors) || predictors.length !== 1)
      fail(`${where}._predictors[${i}]`, 'expected one tree per iteration (single-output regression)');
    return predictorTree(predictors[0], `${where}._predictors[${i}][0]`);
  });
  return { type, baseline: singleNumber(fitted(a, '_baseline_prediction', where), `${where}._baseline_prediction`), link, trees };
}

/**
 * The regressor's spec, with the number of features it was fitted on (sklearn's
 * n_features_in_, set by fit since 0.24), which parseModelDocument checks against the vectorizer.
 */
function regressorSpec(value: unknown, where: string) {
  const supported = SUPPORTED_REGRESSOR_NAMES.map((name) => SKLEARN_ESTIMATORS[name as keyof typeof SKLEARN_ESTIMATORS]);
  const a = instanceOf(value, supported, where);
  const type = shortName((value as PyObject).type);
  const here = `${where} (${type})`;
  const width = a.get('n_features_in_');
  if (width !== undefined && typeof width !== 'number') fail(`${here}.n_features_in_`, `expected an integer, got ${describePython(width)}`);
  return { ...estimatorSpec(type, a, here), ...(width !== undefined && { n_features_in: width }) };
}

function estimatorSpec(type: string, a: Map<unknown, unknown>, here: string) {
  switch (type) {
    case 'LinearRegression':
    case 'Ridge':
    case 'Lasso':
    case 'ElasticNet':
      return linearSpec(type, a, here);
    case 'DecisionTreeRegressor':
      checkTreePredict(a, a.get('n_features_in_'), here);
      return { type, tree: sklearnTree(fitted(a, 'tree_', here), `${here}.tree_`) };
    case 'RandomForestRegressor':
    case 'ExtraTreesRegressor': {
      const trees = fitted(a, 'estimators_', here);
      if (!Array.isArray(trees)) return fail(`${here}.estimators_`, `expected a list, got ${describePython(trees)}`);
      chargeEstimators(trees.length, `${here}.estimators_`);
      checkForestPredict(a, here);
      return { type, trees: trees.map((tree, i) => decisionTree(tree, `${here}.estimators_[${i}]`, a.get('n_features_in_'))) };
    }
    case 'GradientBoostingRegressor':
      return gradientBoostingSpec(type, a, here);
    default:
      return histGradientBoostingSpec(type, a, here);
  }
}

/**
 * The model document of a pickled `Pipeline(DictVectorizer, regressor)` or `(dv, model)`
 * tuple. Throws ModelFormatError naming what the runtime cannot serve.
 */
export function readPickledModel(bytes: Uint8Array): ModelDocument {
  // One budget for the unpickling and the reading: a shared array counts each time it is read.
  return withLoadBudget(() => documentOfPickled(unpickle(bytes)));
}

/** The model document of an unpickled root (a pickle's or a joblib file's). */
export function documentOfPickled(root: unknown): ModelDocument {
  try {
    return documentOf(root);
  } catch (error) {
    // A pickle can hold anything in any attribute: whatever the reading trips on, it is the file's fault.
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`a model pickle this runtime cannot read (${(error as Error).message})`);
  }
}

function documentOf(root: unknown): ModelDocument {
  const steps = pipelineSteps(root);
  if (steps.length !== 2)
    fail('model', `expected a DictVectorizer then one regressor, got ${steps.length} steps (${steps.map(describePython).join(', ')})`);
  const [vectorizer, regressor] = steps;
  checkDenseInput(vectorizer, regressor, 'steps[1]');
  const sklearnVersion = [vectorizer, regressor]
    .map((step) => (step instanceof PyObject ? attributesOf(step).get('_sklearn_version') : undefined))
    .find((v) => typeof v === 'string');
  return parseModelDocument({
    format: MODEL_FORMAT,
    format_version: MODEL_FORMAT_VERSION,
    producer: { tool: 'pickle', sklearn_version: sklearnVersion },
    steps: [vectorizerSpec(vectorizer, 'steps[0]'), regressorSpec(regressor, 'steps[1]')],
  });
}
