/**
 * LightGBM models inside a pickle, as the unpickler rebuilds them (PyObjects): an
 * `LGBMRegressor` holds its `Booster` in `_Booster`; a `Booster` holds its model as the text
 * format in `_handle` (`model_to_string(num_iteration=-1)`: every iteration), and its
 * `best_iteration`, which `predict` then stops at, and `pandas_categorical` as attributes.
 */
import { ModelFormatError } from '../errors';
import { attributesOf, describePython, PyObject } from '../pickle/python-object';
import { type LightGBMSpec, readLightGBMModel } from './lightgbm-model';
import { BOOSTER_CLASSES } from './python-classes';
import { integerOf } from './tree-checks';

function fromBooster(booster: PyObject, where: string): LightGBMSpec {
  const attributes = attributesOf(booster);
  const text = attributes.get('_handle') ?? attributes.get('handle');
  if (typeof text !== 'string') {
    throw new ModelFormatError(`${where}: the pickled Booster holds no model (its _handle is ${describePython(text)})`);
  }
  const pandasCategorical = attributes.get('pandas_categorical');
  if (Array.isArray(pandasCategorical) && pandasCategorical.length > 0) {
    throw new ModelFormatError(
      `${where}: the model was trained on pandas categorical columns (pandas_categorical), which are not served; one-hot encode them instead`,
    );
  }
  const best = attributes.get('best_iteration');
  return readLightGBMModel(text, {
    bestIteration: best === undefined || best === null ? undefined : integerOf(best, `${where}.best_iteration`),
    source: where,
  });
}

/**
 * The LightGBMSpec of a pickled `LGBMRegressor` or `lightgbm.Booster`, predicting as its
 * `predict` does (stopping at the booster's best iteration when early stopping set one).
 *
 * @example
 * const spec = lightgbmFromPickle(unpickle(bytes) as PyObject);
 * const model = new LightGBMEvaluator(spec);
 */
export function lightgbmFromPickle(object: PyObject): LightGBMSpec {
  if (!(object instanceof PyObject)) throw new ModelFormatError(`expected a LightGBM model, got ${describePython(object)}`);
  if (object.type === BOOSTER_CLASSES.LightGBMBooster) return fromBooster(object, 'the pickled LightGBM Booster');
  if (object.type !== BOOSTER_CLASSES.LGBMRegressor) {
    throw new ModelFormatError(`${object.type} is not a LightGBM model this runtime serves (served: LGBMRegressor, Booster)`);
  }
  const booster = attributesOf(object).get('_Booster');
  if (!(booster instanceof PyObject) || booster.type !== BOOSTER_CLASSES.LightGBMBooster) {
    throw new ModelFormatError(
      `LGBMRegressor holds no fitted Booster (_Booster is ${describePython(booster)}): was it fitted before it was pickled?`,
    );
  }
  return fromBooster(booster, "the pickled LGBMRegressor's booster");
}
