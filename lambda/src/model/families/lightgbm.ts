/**
 * LightGBM, read natively (lambda/src/model/boosters/): an LGBMRegressor in a pipeline or
 * alone, a pickled Booster, its text model format (`save_model`, the MLflow lightgbm
 * flavor's model.lgb). It predicts as LightGBM's predictor does, in float64, stopping at the
 * booster's best iteration when early stopping set one.
 */

import { isObject } from '../../is-object';
import {
  LightGBMEvaluator,
  type LightGBMFlavor,
  type LightGBMSpec as LightGBMModel,
  lightgbmFromFlavor,
  lightgbmFromPickle,
  type PickleReader,
  readLightGBMModel,
} from '../boosters';
import { BOOSTER_CLASSES } from '../boosters/python-classes';
import type { PyObject } from '../pickle/python-object';
import { field, stringAt } from '../spec-checks';
import type { SpecBase } from '../stage';
import { boosterSignature, boosterStage, chargeTrees } from './boosters';
import type { Family } from './family';

export interface LightGBMSpec extends SpecBase {
  readonly type: 'lightgbm';
  readonly estimator: string;
  readonly model: LightGBMModel;
}

const CLASSES: Record<string, string> = {
  [BOOSTER_CLASSES.LGBMRegressor]: 'LGBMRegressor',
  [BOOSTER_CLASSES.LightGBMBooster]: 'LightGBM Booster',
};

/** Feature names LightGBM made up itself (Column_0, ...) name nothing of the ride. */
const namesOf = (model: LightGBMModel) => (model.featureNamesGenerated ? undefined : model.featureNames);

/** Charges the load for the trees, their splits and leaves (limits.ts). */
function counted(spec: LightGBMSpec, path: string): LightGBMSpec {
  chargeTrees(spec.model.trees, (tree) => 2 * tree.threshold.length + 1, path);
  return spec;
}

const parse = (spec: Record<string, unknown>, path: string): LightGBMSpec => counted(parseModel(spec, path), path);

/** A spec from a model.json (version 2: the model's own text, `text`), or one the pickle reader made. */
function parseModel(spec: Record<string, unknown>, path: string): LightGBMSpec {
  const estimator = typeof spec.estimator === 'string' ? spec.estimator : 'LightGBM Booster';
  // Typed arrays: made by this runtime's reader from a pickle, never by JSON.
  const model = spec.model;
  if (
    isObject(model) &&
    model.family === 'lightgbm' &&
    Array.isArray(model.trees) &&
    model.trees.every((t) => isObject(t) && t.threshold instanceof Float64Array)
  ) {
    return { type: 'lightgbm', estimator, model: model as unknown as LightGBMModel };
  }
  return { type: 'lightgbm', estimator, model: readLightGBMModel(stringAt(field(spec, 'text', path), `${path}.text`), { source: path }) };
}

export const lightgbm: Family<LightGBMSpec> = {
  classes: CLASSES,
  fromPickle: (object: PyObject) => ({ estimator: CLASSES[object.type], model: lightgbmFromPickle(object) }),
  parse,
  signature: (spec) => boosterSignature(namesOf(spec.model)),
  build: (spec, input, path) =>
    boosterStage({
      name: spec.estimator,
      numFeatures: spec.model.numFeatures,
      featureNames: namesOf(spec.model),
      input,
      path,
      evaluator: () => new LightGBMEvaluator(spec.model),
    }),
};

/** LightGBM's text model format, as a Booster's save_model writes it. */
export function lightgbmFile(text: string, name: string): LightGBMSpec {
  return counted({ type: 'lightgbm', estimator: 'LightGBM Booster', model: readLightGBMModel(text, { source: name }) }, name);
}

/** The MLflow lightgbm flavor's data file: a Booster's text model, or a pickled LGBMRegressor (read with `readPickle`). */
export function lightgbmFlavorSpec(flavor: LightGBMFlavor, bytes: Uint8Array, readPickle: PickleReader): LightGBMSpec {
  const estimator = flavor.model_class ? (CLASSES[flavor.model_class] ?? 'LightGBM') : 'LightGBM Booster';
  return counted({ type: 'lightgbm', estimator, model: lightgbmFromFlavor(flavor, bytes, readPickle) }, flavor.data);
}
