/**
 * The MLflow lightgbm flavor: what `mlflow.lightgbm.log_model` writes in MLmodel, and the
 * spec its data file gives. `mlflow.lightgbm.log_model(model, artifact_path)` saves a
 * `lightgbm.Booster` with `model.save_model("model.lgb")` (the text format: only the
 * iterations up to the best one when early stopping set it) and a scikit-learn model
 * (`LGBMRegressor`) as a cloudpickle, model.pkl; it writes
 *
 *     flavors:
 *       python_function: {loader_module: mlflow.lightgbm, data: model.lgb, env: ..., python_version: ...}
 *       lightgbm:
 *         data: model.lgb                        # model.pkl for an LGBMRegressor
 *         model_class: lightgbm.basic.Booster    # or lightgbm.sklearn.LGBMRegressor (MLflow 1.23 on)
 *         lgb_version: 4.7.0
 *         code: null
 *
 * Its loader reads data with `lightgbm.Booster(model_file=...)` when model_class is
 * lightgbm.basic.Booster (or absent), and unpickles it otherwise.
 */
import { ModelFormatError } from '../errors';
import type { PyObject } from '../pickle/python-object';
import { type LightGBMSpec, readLightGBMModel } from './lightgbm-model';
import { lightgbmFromPickle } from './lightgbm-pickle';
import { BOOSTER_CLASSES } from './python-classes';

/** The fields of MLmodel's `flavors.lightgbm`. */
export interface LightGBMFlavor {
  data: string;
  model_class?: string;
  lgb_version?: string;
}

/** Reads a pickle as `pickle.load` does: the loader's own unpickler, given by whoever loads the model (the readers sit below it). */
export type PickleReader = (bytes: Uint8Array) => unknown;

/**
 * The LightGBMSpec of an MLflow lightgbm flavor, from its MLmodel fields and the bytes of its
 * data file: the text format for a Booster, a pickle for an LGBMRegressor (read with `readPickle`).
 *
 * @example
 * const spec = lightgbmFromFlavor({ data: 'model.lgb', model_class: 'lightgbm.basic.Booster' }, bytes, unpickle);
 */
export function lightgbmFromFlavor(flavor: LightGBMFlavor, bytes: Uint8Array, readPickle: PickleReader): LightGBMSpec {
  const modelClass = flavor.model_class ?? BOOSTER_CLASSES.LightGBMBooster;
  const source = `the MLflow lightgbm flavor's ${flavor.data} (${modelClass}${flavor.lgb_version === undefined ? '' : `, lightgbm ${flavor.lgb_version}`})`;
  if (modelClass === BOOSTER_CLASSES.LightGBMBooster) {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new ModelFormatError(`${source} is not LightGBM's text model format (it is not UTF-8 text)`);
    }
    return readLightGBMModel(text, { source });
  }
  if (modelClass !== BOOSTER_CLASSES.LGBMRegressor) {
    throw new ModelFormatError(
      `the MLflow lightgbm flavor's model_class ${modelClass} is not served (served: ${BOOSTER_CLASSES.LightGBMBooster}, ${BOOSTER_CLASSES.LGBMRegressor})`,
    );
  }
  return lightgbmFromPickle(readPickle(bytes) as PyObject);
}
