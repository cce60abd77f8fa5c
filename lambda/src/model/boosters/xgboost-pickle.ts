/**
 * XGBoost models inside a pickle, as the unpickler rebuilds them (PyObjects): an
 * `XGBRegressor` (or `XGBRFRegressor`) holds its `Booster` in `_Booster`; a `Booster` holds
 * its model as raw bytes in `handle` (JSON in xgboost 1.3 to 1.5, UBJSON from 1.6 on) and,
 * in xgboost 1.x, its best iteration as a Python attribute.
 */
import { ModelFormatError } from '../errors';
import { numberOf } from '../pickle/attributes';
import { attributesOf, describePython, PyObject } from '../pickle/python-object';
import { BOOSTER_CLASSES, XGBOOST_SKLEARN_REGRESSORS } from './python-classes';
import { integerOf } from './tree-checks';
import { readXGBoostModel, type XGBoostPredictPath, type XGBoostSpec } from './xgboost-model';

const optionalInteger = (attributes: Map<unknown, unknown>, key: string, where: string): number | undefined => {
  const value = attributes.get(key);
  return value === undefined || value === null ? undefined : integerOf(value, `${where}.${key}`);
};

/** The booster's bytes and its Python-side best iteration. */
function boosterState(booster: PyObject, where: string): { handle: Uint8Array; bestIteration?: number } {
  const attributes = attributesOf(booster);
  const handle = attributes.get('handle');
  if (!(handle instanceof Uint8Array) || handle.length === 0) {
    throw new ModelFormatError(`${where}: the pickled Booster holds no model (its handle is ${describePython(handle)})`);
  }
  return { handle, bestIteration: optionalInteger(attributes, 'best_iteration', `${where} Booster`) };
}

/**
 * The XGBoostSpec of a pickled `XGBRegressor`, `XGBRFRegressor` or `Booster`, predicting as
 * that object's `predict` does: an XGBRegressor stops at its best iteration (early stopping)
 * and goes through inplace_predict; a Booster uses every tree. An XGBRegressor whose
 * `missing` is not NaN is refused: XGBoost then takes every value equal to it as missing.
 *
 * @example
 * const spec = xgboostFromPickle(unpickle(bytes) as PyObject); // the lead's pipeline step
 * const model = new XGBoostEvaluator(spec, { absentIsZero: vectorizer.sparse === false });
 */
export function xgboostFromPickle(object: PyObject): XGBoostSpec {
  if (!(object instanceof PyObject)) throw new ModelFormatError(`expected an XGBoost model, got ${describePython(object)}`);
  if (object.type === BOOSTER_CLASSES.XGBoostBooster) {
    const { handle } = boosterState(object, 'Booster');
    return readXGBoostModel(handle, { api: 'Booster', source: 'the pickled Booster' });
  }
  if (!XGBOOST_SKLEARN_REGRESSORS.includes(object.type)) {
    throw new ModelFormatError(
      `${object.type} is not an XGBoost model this runtime serves (served: XGBRegressor, XGBRFRegressor, Booster)`,
    );
  }
  const name = object.type.split('.').pop() as string;
  const attributes = attributesOf(object);
  const missing = attributes.get('missing');
  if (!(missing === undefined || missing === null || Number.isNaN(numberOf(missing)))) {
    // As Python writes a float: 0.0, not 0.
    const number = numberOf(missing);
    const value = number !== undefined && Number.isInteger(number) ? number.toFixed(1) : describePython(missing);
    throw new ModelFormatError(
      `${name}(missing=${value}) is not served: XGBoost then treats every ${value} ` +
        `(a trip_distance of ${value}, an absent one-hot column) as missing; train with the default missing=nan`,
    );
  }
  const booster = attributes.get('_Booster');
  if (!(booster instanceof PyObject) || booster.type !== BOOSTER_CLASSES.XGBoostBooster) {
    throw new ModelFormatError(
      `${name} holds no fitted Booster (_Booster is ${describePython(booster)}): was it fitted before it was pickled?`,
    );
  }
  const { handle, bestIteration } = boosterState(booster, name);
  // xgboost 1.x before 1.4 chose XGBRegressor.predict's DMatrix path for any predictor, 1.4 to 1.7 for one set explicitly.
  const predictor = attributes.get('predictor');
  const predictPath: XGBoostPredictPath | undefined = typeof predictor === 'string' && predictor !== 'auto' ? 'dmatrix' : undefined;
  return readXGBoostModel(handle, {
    api: 'XGBRegressor',
    bestIteration,
    // xgboost 1.3 and older kept early stopping's tree count on the regressor itself.
    bestNtreeLimit: optionalInteger(attributes, 'best_ntree_limit', name),
    predictPath,
    source: `the pickled ${name}'s booster`,
  });
}
