/**
 * scikit-learn's linear regressors: every one whose `predict` is `X @ coef_ + intercept_`
 * (LinearModel's and SGD's decision function), and the generalized linear models, whose
 * `predict` passes that through their loss's inverse link (exp for Poisson and Gamma).
 */
import { fail } from '../errors';
import { fitted, instanceOf, singleNumber, singleOutputArray } from '../pickle/attributes';
import type { PyObject } from '../pickle/python-object';
import { field, type NumericArray, oneOf, parameter, parameterArray, stringAt } from '../spec-checks';
import type { Batch, MatrixShape, PredictionStage, SpecBase, StageInput } from '../stage';
import type { Family } from './family';
import { LINKS, type Link, LOSS_CLASSES, linkOfLoss } from './links';
import { matrixInput } from './matrix-input';

export interface LinearSpec extends SpecBase {
  readonly type: 'linear';
  readonly estimator: string;
  readonly coef: NumericArray;
  readonly intercept: number;
  /** How `X @ coef + intercept` becomes a prediction: as it is, or exp() for a log-link GLM. */
  readonly link: Link;
}

/** Where each estimator lives in scikit-learn 1.0 to today: `predict` is X @ coef_ + intercept_ for all of them. */
const MODULES: Record<string, readonly string[]> = {
  'sklearn.linear_model._base': ['LinearRegression'],
  'sklearn.linear_model._ridge': ['Ridge', 'RidgeCV'],
  'sklearn.linear_model._coordinate_descent': ['Lasso', 'LassoCV', 'ElasticNet', 'ElasticNetCV'],
  'sklearn.linear_model._stochastic_gradient': ['SGDRegressor'],
  'sklearn.linear_model._passive_aggressive': ['PassiveAggressiveRegressor'],
  'sklearn.linear_model._huber': ['HuberRegressor'],
  'sklearn.linear_model._least_angle': ['Lars', 'LarsCV', 'LassoLars', 'LassoLarsCV', 'LassoLarsIC'],
  'sklearn.linear_model._bayes': ['BayesianRidge', 'ARDRegression'],
  'sklearn.linear_model._omp': ['OrthogonalMatchingPursuit', 'OrthogonalMatchingPursuitCV'],
  'sklearn.linear_model._quantile': ['QuantileRegressor'],
  'sklearn.linear_model._theil_sen': ['TheilSenRegressor'],
  'sklearn.svm._classes': ['LinearSVR'],
};

/** The generalized linear models: `predict` is the loss's inverse link of X @ coef_ + intercept_. */
const GLM_MODULE = 'sklearn.linear_model._glm.glm';
const GLMS = ['PoissonRegressor', 'GammaRegressor', 'TweedieRegressor'];

const CLASSES: Record<string, string> = Object.fromEntries([
  ...Object.entries(MODULES).flatMap(([module, names]) => names.map((name) => [`${module}.${name}`, name])),
  ...GLMS.map((name) => [`${GLM_MODULE}.${name}`, name]),
]);

function fromPickle(object: PyObject, where: string): Omit<LinearSpec, 'type'> {
  const estimator = CLASSES[object.type];
  const a = instanceOf(object, [object.type], where);
  const coef = singleOutputArray(fitted(a, 'coef_', where), `${where}.coef_`);
  // An intercept_ of 0.0 when fit_intercept=False, one value per output otherwise (SGD's and LinearSVR's are arrays).
  const intercept = singleNumber(fitted(a, 'intercept_', where), `${where}.intercept_`);
  if (GLMS.includes(estimator) && !a.has('_base_loss') && a.has('coef_')) {
    fail(
      where,
      `has no _base_loss: it was pickled by scikit-learn 1.0 or older, whose ${estimator} is not read; save it with scikit-learn 1.1 or later`,
    );
  }
  const link = GLMS.includes(estimator) ? linkOfLoss(fitted(a, '_base_loss', where), `${where}._base_loss`) : 'identity';
  return { estimator, coef, intercept, link };
}

function parse(spec: Record<string, unknown>, path: string): LinearSpec {
  return {
    type: 'linear',
    estimator: stringAt(field(spec, 'estimator', path), `${path}.estimator`),
    coef: parameterArray(field(spec, 'coef', path), `${path}.coef`),
    intercept: parameter(field(spec, 'intercept', path), `${path}.intercept`),
    link: spec.link === undefined ? 'identity' : oneOf(spec.link, LINKS, `${path}.link`),
  };
}

/** X @ coef + intercept over a row's entries, in their order, as scipy's sparse mat-vec sums them. */
function sparseDot(rows: Batch, coef: Float64Array, intercept: number, out: Float64Array): void {
  if ('kind' in rows) return;
  const { offsets, indices, values } = rows;
  for (let r = 0; r < rows.rowCount; r++) {
    let sum = 0;
    for (let k = offsets[r]; k < offsets[r + 1]; k++) sum += values[k] * coef[indices[k]];
    out[r] = sum + intercept;
  }
}

/** The same over every column of a dense row whose absent columns are not 0 (a centering scaler before it). */
function denseDot(rows: Batch, coef: Float64Array, intercept: number, absent: Float64Array, out: Float64Array): void {
  if ('kind' in rows) return;
  const { offsets, indices, values } = rows;
  const row = Float64Array.from(absent);
  for (let r = 0; r < rows.rowCount; r++) {
    for (let k = offsets[r]; k < offsets[r + 1]; k++) row[indices[k]] = values[k];
    let sum = 0;
    for (let j = 0; j < row.length; j++) sum += row[j] * coef[j];
    out[r] = sum + intercept;
    for (let k = offsets[r]; k < offsets[r + 1]; k++) row[indices[k]] = absent[indices[k]];
  }
}

function build(spec: LinearSpec, input: StageInput, path: string): PredictionStage {
  const shape: MatrixShape = matrixInput(input, spec.estimator, path);
  if (shape.float32)
    fail(
      path,
      `${spec.estimator} on float32 one-hots (OneHotEncoder(dtype=np.float32)) was fitted and predicts in float32, which this runtime does not`,
    );
  if (spec.coef.length !== shape.width) fail(`${path}.coef`, `has ${spec.coef.length} entries, expected ${shape.width} (one per feature)`);
  const coef = Float64Array.from(spec.coef);
  const { intercept, link } = spec;
  const absent = shape.absent?.some((v) => v !== 0) ? shape.absent : undefined;
  return {
    output: 'predictions',
    name: spec.estimator,
    inputs: [],
    predict(rows) {
      const out = new Float64Array('kind' in rows ? 0 : rows.rowCount);
      if (absent) denseDot(rows, coef, intercept, absent, out);
      else sparseDot(rows, coef, intercept, out);
      if (link === 'exp') for (let r = 0; r < out.length; r++) out[r] = Math.exp(out[r]);
      return out;
    },
    describe: () => ({ coefficients: coef.length, nonZeroCoefficients: coef.filter((c) => c !== 0).length }),
  };
}

export const linear: Family<LinearSpec> = { classes: CLASSES, parts: LOSS_CLASSES, fromPickle, parse, build };
