/**
 * scikit-learn's HistGradientBoostingRegressor, pickled by scikit-learn 1.0 to today:
 * `link.inverse(baseline + Σ tree(x))` in iteration order, `x <= threshold` in float64, the
 * leaves holding the learning rate already. The link is the one of the loss object as it was
 * pickled, as `predict` calls it; categorical splits, several outputs and a baseline of another
 * dtype than float64 (which scikit-learn would sum in) are refused.
 */
import { fail } from '../errors';
import { checkEstimatorCount } from '../limits';
import { fitted, instanceOf, ndarray, sequence } from '../pickle/attributes';
import { NdArray } from '../pickle/numpy';
import { describePython, PyFloat, PyObject, pythonClass } from '../pickle/python-object';
import { functionValue } from '../pickle/sklearn-globals';
import { checkHistBoostingPredict } from '../pickle/sklearn-predict';
import { isPredictorNodeLayout } from '../pickle/sklearn-tree';
import { field, oneOf, parameter } from '../spec-checks';
import type { PredictionStage, SpecBase, StageInput } from '../stage';
import type { Family } from './family';
import { LINKS, type Link, LOSS_CLASSES, linkOfLoss } from './links';
import { parseTrees, TREE_PREDICTOR, type TreeSpec, treeEnsembleStage } from './sklearn-trees';

export interface HistGradientBoostingSpec extends SpecBase {
  readonly type: 'hist_gradient_boosting';
  readonly baseline: number;
  readonly link: Link;
  readonly trees: readonly TreeSpec[];
}

const CLASS = 'sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor';

/** The losses of scikit-learn 1.0's histogram gradient boosting: each class's own inverse link. */
const OLD_LOSS_LINKS: Readonly<Record<string, Link>> = {
  'sklearn.ensemble._hist_gradient_boosting.loss.LeastSquares': 'identity',
  'sklearn.ensemble._hist_gradient_boosting.loss.LeastAbsoluteDeviation': 'identity',
  'sklearn.ensemble._hist_gradient_boosting.loss.Poisson': 'exp',
};

/** What else its pickle holds, none of it read for predicting: the binning, the early-stopping scorer, random states. */
const INERT_PARTS = [
  pythonClass('sklearn.ensemble._hist_gradient_boosting.binning._BinMapper', { estimator: true }),
  'sklearn.metrics._scorer._PredictScorer',
  'sklearn.metrics._scorer._Scorer',
  'sklearn.metrics._scorer._PassthroughScorer',
  ...[
    'r2_score',
    'mean_squared_error',
    'mean_absolute_error',
    'median_absolute_error',
    'explained_variance_score',
    'max_error',
    'mean_squared_log_error',
    'mean_absolute_percentage_error',
    'mean_poisson_deviance',
    'mean_gamma_deviance',
    'root_mean_squared_error',
    'root_mean_squared_log_error',
  ].map((metric) => functionValue(`sklearn.metrics._regression.${metric}`)),
];

/** A histogram gradient boosting's tree: node records with the leaf values and float64 thresholds. */
function predictorTree(value: unknown, where: string): TreeSpec {
  const nodes = ndarray(instanceOf(value, [TREE_PREDICTOR], where).get('nodes'), `${where}.nodes`);
  // Its Cython predictor reads the records as its struct: any other layout would be read as something else.
  if (!isPredictorNodeLayout(nodes.dtype)) fail(`${where}.nodes`, `records of ${nodes.dtype}, not scikit-learn's predictor nodes`);
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

/** The inverse link `predict` applies: the pickled loss object's (1.1 and later), or its class's (1.0). */
function lossLink(loss: unknown, where: string): Link {
  if (loss instanceof PyObject && Object.hasOwn(OLD_LOSS_LINKS, loss.type)) return OLD_LOSS_LINKS[loss.type];
  return linkOfLoss(loss, where);
}

/** The baseline raw prediction: float64, as scikit-learn sums the trees in its dtype. */
function baselineOf(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  if (value instanceof PyFloat) return value.value;
  if (!(value instanceof NdArray) || value.size !== 1) return fail(where, `expected one number, got ${describePython(value)}`);
  const { dtype } = value;
  if (dtype === undefined || dtype.kind !== 'f' || dtype.itemSize !== 8) {
    fail(where, `has dtype ${dtype}: scikit-learn would add the trees up in it, where this runtime adds in float64`);
  }
  return value.toFloat64Array()[0];
}

function fromPickle(object: PyObject, where: string): Omit<HistGradientBoostingSpec, 'type'> {
  const a = instanceOf(object, [CLASS], where);
  checkHistBoostingPredict(a, where);
  const preprocessor = a.get('_preprocessor');
  if (preprocessor !== undefined && preprocessor !== null)
    fail(where, 'preprocesses categorical features, which this runtime does not evaluate');
  const categorical = a.get('is_categorical_');
  if (categorical instanceof NdArray && categorical.toFloat64Array().some((c) => c !== 0))
    fail(where, 'has categorical features, which this runtime does not evaluate');
  const perIteration = a.get('n_trees_per_iteration_');
  if (perIteration !== undefined && perIteration !== 1)
    fail(where, `has ${describePython(perIteration)} trees per iteration; only single-output regression is served`);
  const link = lossLink(fitted(a, '_loss', where), `${where}._loss`);
  const iterations = sequence(fitted(a, '_predictors', where), `${where}._predictors`);
  checkEstimatorCount(iterations.length, `${where}._predictors`);
  const trees = iterations.map((predictors, i) => {
    if (!Array.isArray(predictors) || predictors.length !== 1)
      fail(`${where}._predictors[${i}]`, 'expected one tree per iteration (single-output regression)');
    return predictorTree(predictors[0], `${where}._predictors[${i}][0]`);
  });
  const baseline = baselineOf(fitted(a, '_baseline_prediction', where), `${where}._baseline_prediction`);
  return { estimator: 'HistGradientBoostingRegressor', baseline, link, trees };
}

function parse(spec: Record<string, unknown>, path: string): HistGradientBoostingSpec {
  return {
    type: 'hist_gradient_boosting',
    estimator: 'HistGradientBoostingRegressor',
    baseline: parameter(field(spec, 'baseline', path), `${path}.baseline`),
    link: oneOf(field(spec, 'link', path), LINKS, `${path}.link`),
    trees: parseTrees(field(spec, 'trees', path), `${path}.trees`),
  };
}

function build(spec: HistGradientBoostingSpec, input: StageInput, path: string): PredictionStage {
  const combine = { kind: 'boosting', init: spec.baseline, learningRate: 1, link: spec.link } as const;
  // Its predictor compares the raw float64 input, and takes dense input only.
  return treeEnsembleStage(spec.trees, combine, { name: 'HistGradientBoostingRegressor', input, path, inputs: 'float64', dense: true });
}

export const histGradientBoosting: Family<HistGradientBoostingSpec> = {
  classes: { [CLASS]: 'HistGradientBoostingRegressor' },
  parts: [TREE_PREDICTOR, ...Object.keys(OLD_LOSS_LINKS), ...LOSS_CLASSES, ...INERT_PARTS],
  fromPickle,
  parse,
  build,
};
