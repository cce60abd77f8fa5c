/**
 * The attributes scikit-learn's `predict` reads beyond the fitted arrays, checked for the
 * values under which it predicts as this runtime does. A pickle that leaves one out, or gives
 * one a value that makes scikit-learn's predict fail (`n_outputs_` of 2, `n_jobs=0`), is one
 * scikit-learn cannot serve: it is refused, rather than served with predictions scikit-learn
 * would never make. Found by the differential test (test/emulators/pickle-differential.test.ts).
 */
import { fail } from '../errors';
import { NdArray } from './numpy';
import { describePython, PyObject } from './python-object';

const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

function attribute(attributes: Map<unknown, unknown>, name: string, where: string): unknown {
  if (!attributes.has(name)) fail(where, `has no ${name}, which scikit-learn's predict reads`);
  return attributes.get(name);
}

/** n_outputs_: scikit-learn's trees and forests shape their output by it; one is all this runtime serves. */
function singleOutput(attributes: Map<unknown, unknown>, where: string): void {
  const outputs = attribute(attributes, 'n_outputs_', where);
  if (outputs !== 1) fail(`${where}.n_outputs_`, `${describePython(outputs)}: only single-output regression is served`);
}

/** n_features_in_, where set, must be the number of columns predict is given (scikit-learn checks it on every estimator it calls). */
function featureCount(attributes: Map<unknown, unknown>, columns: unknown, where: string): void {
  if (!attributes.has('n_features_in_')) return;
  const count = attributes.get('n_features_in_');
  if (count !== columns)
    fail(`${where}.n_features_in_`, `${describePython(count)}, where the model's other steps make ${describePython(columns)} columns`);
}

/** A decision tree as its own predict reads it; `columns` is the forest's n_features_in_ for a forest's tree. */
export function checkTreePredict(attributes: Map<unknown, unknown>, columns: unknown, where: string): void {
  singleOutput(attributes, where);
  featureCount(attributes, columns, where);
}

/** A forest's predict: its trees in parallel (n_jobs, verbose), split by n_estimators, output shaped by n_outputs_. */
export function checkForestPredict(attributes: Map<unknown, unknown>, where: string): void {
  singleOutput(attributes, where);
  const jobs = attribute(attributes, 'n_jobs', where);
  if (jobs !== null && (!isInt(jobs) || jobs === 0))
    fail(`${where}.n_jobs`, `${describePython(jobs)}, which scikit-learn's predict cannot run with`);
  const estimators = attribute(attributes, 'n_estimators', where);
  if (!isInt(estimators) || estimators < 1)
    fail(`${where}.n_estimators`, `${describePython(estimators)}, which scikit-learn's predict cannot split the trees by`);
  const verbose = attribute(attributes, 'verbose', where);
  // joblib's progress reports divide by what they derive from it: a level users set, from 0 to a few.
  if (!((isInt(verbose) && verbose >= 0 && verbose <= 100) || typeof verbose === 'boolean')) {
    fail(`${where}.verbose`, `${describePython(verbose)}, not a verbosity level scikit-learn's predict runs with`);
  }
}

/** DictVectorizer.transform checks both are fitted. */
export function checkVectorizerTransform(attributes: Map<unknown, unknown>, where: string): void {
  if (!Array.isArray(attribute(attributes, 'feature_names_', where))) fail(`${where}.feature_names_`, 'expected a list');
}

/**
 * A gradient boosting's predict: the initial prediction from `init_` (a DummyRegressor's, of
 * one output) or zeros of the loss's width, through `_loss`; then the stages.
 */
export function checkBoostingPredict(attributes: Map<unknown, unknown>, where: string): void {
  const loss = attribute(attributes, '_loss', where);
  const init = attribute(attributes, 'init_', where);
  if (init instanceof PyObject) singleOutput(init.attributes, `${where}.init_`);
  else if (init === 'zero') {
    // scikit-learn before 1.4 sizes the zeros by _loss.K, later ones by n_trees_per_iteration_.
    if (loss instanceof PyObject && loss.attributes.has('K') && loss.attributes.get('K') !== 1)
      fail(`${where}._loss.K`, 'only single-output regression is served');
    if (attributes.has('n_trees_per_iteration_') && attributes.get('n_trees_per_iteration_') !== 1) {
      fail(`${where}.n_trees_per_iteration_`, 'only single-output regression is served');
    }
  }
}

/**
 * A histogram gradient boosting's predict: raw predictions of n_trees_per_iteration_ rows, the
 * binning's known categories (_bin_mapper.is_categorical_, bin_thresholds_), and raw (not
 * binned) inputs unless `_in_fit` says it is fitting.
 */
export function checkHistBoostingPredict(attributes: Map<unknown, unknown>, where: string): void {
  if (attribute(attributes, 'n_trees_per_iteration_', where) !== 1)
    fail(`${where}.n_trees_per_iteration_`, 'only single-output regression is served');
  // Its own check of the columns, against _n_features (set by fit), besides n_features_in_.
  if (attributes.has('_n_features') && attributes.get('_n_features') !== attributes.get('n_features_in_')) {
    fail(
      `${where}._n_features`,
      `${describePython(attributes.get('_n_features'))}, where n_features_in_ is ${describePython(attributes.get('n_features_in_'))}`,
    );
  }
  if (attributes.has('_in_fit') && attributes.get('_in_fit') !== false) fail(`${where}._in_fit`, 'the model was pickled while fitting');
  const binMapper = attribute(attributes, '_bin_mapper', where);
  if (!(binMapper instanceof PyObject)) fail(`${where}._bin_mapper`, `expected a _BinMapper, got ${describePython(binMapper)}`);
  const categorical = attribute(binMapper.attributes, 'is_categorical_', `${where}._bin_mapper`);
  if (categorical !== null && !(categorical instanceof NdArray && categorical.toFloat64Array().every((c) => c === 0))) {
    fail(`${where}._bin_mapper.is_categorical_`, 'has categorical features, which this runtime does not evaluate');
  }
  attribute(binMapper.attributes, 'bin_thresholds_', `${where}._bin_mapper`);
  // predict ends in _loss.link.inverse (scikit-learn 1.1 and later: the common losses of sklearn._loss)
  const loss = attribute(attributes, '_loss', where);
  if (loss instanceof PyObject && loss.type.startsWith('sklearn._loss.')) attribute(loss.attributes, 'link', `${where}._loss`);
}
