/**
 * XGBoost and LightGBM models read natively, with no Python at serving time: readers from
 * every way users save them (model files, pickles' raw bytes, MLflow flavors) to checked
 * specs, and exact evaluators of those specs behind the runtime's Regressor interface.
 *
 * @example
 * const spec = xgboostFromPickle(pipelineStep);         // or readXGBoostModel(bytes, { api: 'Booster' })
 * const model = new XGBoostEvaluator(spec, { absentIsZero: false });
 * checkFeatureWidth(spec, vectorizerWidth, 'XGBRegressor');
 * model.predict(rows);
 */
import { ModelFormatError } from '../errors';
import type { LightGBMSpec } from './lightgbm-model';
import type { XGBoostSpec } from './xgboost-model';

export { LightGBMEvaluator } from './lightgbm-evaluator';
export { type LightGBMFlavor, lightgbmFromFlavor, type PickleReader } from './lightgbm-flavor';
export {
  LIGHTGBM_OBJECTIVES,
  type LightGBMLink,
  type LightGBMReadOptions,
  type LightGBMSpec,
  type LightGBMTree,
  readLightGBMModel,
} from './lightgbm-model';
export { lightgbmFromPickle } from './lightgbm-pickle';
export { BOOSTER_CLASSES, BOOSTER_GLOBALS } from './python-classes';
export { decodeUbjson } from './ubjson';
export { detectXGBoostEncoding, RESAVE_ADVICE, readXGBoostDocument, type XGBoostEncoding } from './xgboost-document';
export { XGBoostEvaluator, type XGBoostEvaluatorOptions } from './xgboost-evaluator';
export { type XGBoostFlavor, xgboostFromFlavor } from './xgboost-flavor';
export {
  readXGBoostModel,
  type XGBoostApi,
  type XGBoostPredictPath,
  type XGBoostReadOptions,
  type XGBoostSpec,
  type XGBoostTree,
  xgboostSpecFromDocument,
} from './xgboost-model';
export { XGBOOST_OBJECTIVES, type XGBoostLink } from './xgboost-objectives';
export { xgboostFromPickle } from './xgboost-pickle';

/** Either booster's spec. */
export type BoosterSpec = XGBoostSpec | LightGBMSpec;

/**
 * Refuses a booster fitted on another width than the features the runtime prepares (the
 * vectorizer's): its splits would read the wrong columns. XGBoost and LightGBM refuse such a
 * matrix themselves.
 */
export function checkFeatureWidth(spec: BoosterSpec, width: number, what: string): void {
  if (spec.numFeatures !== width) {
    throw new ModelFormatError(
      `${what} was fitted on ${spec.numFeatures} features, but the DictVectorizer makes ${width}: ` +
        'they were not fitted together (was the DictVectorizer fitted again after the model?)',
    );
  }
}
