/**
 * The MLflow xgboost flavor: what `mlflow.xgboost.log_model` writes in MLmodel, and the spec
 * its data file gives. `mlflow.xgboost.log_model(model, artifact_path, model_format="xgb")`
 * calls `model.save_model("model.<model_format>")` and writes
 *
 *     flavors:
 *       python_function: {loader_module: mlflow.xgboost, data: model.xgb, env: ..., python_version: ...}
 *       xgboost:
 *         data: model.xgb
 *         model_class: xgboost.core.Booster     # or xgboost.sklearn.XGBRegressor (MLflow 1.22 on)
 *         model_format: xgb                      # or json, ubj (the argument; absent in older MLflow)
 *         xgb_version: 1.7.4
 *         code: null
 *
 * Its loader makes `model_class()` (a Booster when there is no model_class) and calls
 * `load_model(data)`. A Booster predicts through `Booster.predict(DMatrix)`, with every tree;
 * an XGBRegressor through `XGBRegressor.predict` (its best iteration, inplace_predict). The
 * default model.xgb is XGBoost's legacy binary format with xgboost 2.0 and older, UBJSON from
 * 2.1 on: the bytes tell, not the name. An XGBRegressor inside an sklearn pipeline is logged by
 * the sklearn flavor instead, as model.pkl (see xgboost-pickle.ts).
 */
import { ModelFormatError } from '../errors';
import { BOOSTER_CLASSES } from './python-classes';
import { readXGBoostModel, type XGBoostSpec } from './xgboost-model';

/** The fields of MLmodel's `flavors.xgboost`. */
export interface XGBoostFlavor {
  data: string;
  model_class?: string;
  model_format?: string;
  xgb_version?: string;
}

const XGBOOST_FLAVOR_CLASSES: Readonly<Record<string, 'Booster' | 'XGBRegressor'>> = {
  [BOOSTER_CLASSES.XGBoostBooster]: 'Booster',
  [BOOSTER_CLASSES.XGBRegressor]: 'XGBRegressor',
  [BOOSTER_CLASSES.XGBRFRegressor]: 'XGBRegressor',
};

/**
 * The XGBoostSpec of an MLflow xgboost flavor, from its MLmodel fields and the bytes of its
 * data file, predicting as the flavor's model_class does.
 *
 * @example
 * const flavor = { data: 'model.ubj', model_class: 'xgboost.core.Booster', model_format: 'ubj', xgb_version: '2.1.0' };
 * const spec = xgboostFromFlavor(flavor, await readArtifact(`models_mlflow/${flavor.data}`));
 */
export function xgboostFromFlavor(flavor: XGBoostFlavor, bytes: Uint8Array): XGBoostSpec {
  const modelClass = flavor.model_class ?? BOOSTER_CLASSES.XGBoostBooster;
  const api = Object.hasOwn(XGBOOST_FLAVOR_CLASSES, modelClass) ? XGBOOST_FLAVOR_CLASSES[modelClass] : undefined;
  if (api === undefined) {
    throw new ModelFormatError(
      `the MLflow xgboost flavor's model_class ${modelClass} is not served (served: ${Object.keys(XGBOOST_FLAVOR_CLASSES).join(', ')})`,
    );
  }
  const version = flavor.xgb_version === undefined ? '' : `, xgboost ${flavor.xgb_version}`;
  return readXGBoostModel(bytes, { api, source: `the MLflow xgboost flavor's ${flavor.data} (${modelClass}${version})` });
}
