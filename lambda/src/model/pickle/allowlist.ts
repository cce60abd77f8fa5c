/**
 * The only Python globals a model pickle may name: the classes the model families read (and
 * the parts they hold), numpy's array rebuilders and a few builtins. Each is matched exactly
 * by module and name, so a subclass (a user's `MyForest(RandomForestRegressor)` that changes
 * `predict`) is refused rather than served as its parent. Anything else stops the unpickling
 * with a message that names it.
 */
import { BOOSTER_GLOBALS } from '../boosters/python-classes';
import { FAMILY_CLASSES, SERVED_ESTIMATORS } from '../families';
import { BUILTIN_GLOBALS, NUMPY_GLOBALS } from './numpy';
import { type PyGlobal, pythonClass, pythonDictClass } from './python-object';

/** The dict subclasses a model pickle holds, rebuilt as Maps: scikit-learn's Bunch. */
const DICT_CLASSES = ['sklearn.utils._bunch.Bunch'];

/**
 * Built on first use: the families' table imports readers that import the unpickler, so at
 * module load the table may not be there yet.
 */
let allowed: ReadonlyMap<string, PyGlobal> | undefined;
const ALLOWED = (): ReadonlyMap<string, PyGlobal> =>
  (allowed ??= new Map(
    [
      ...FAMILY_CLASSES.filter((name) => !DICT_CLASSES.includes(name)).map(pythonClass),
      ...DICT_CLASSES.map(pythonDictClass),
      ...NUMPY_GLOBALS,
      ...BUILTIN_GLOBALS,
      // XGBoost's raw bytes (bytearray) and the dicts of evaluation results (OrderedDict, defaultdict).
      ...BOOSTER_GLOBALS,
    ].map((global) => [global.pythonName, global]),
  ));

/** The allowlisted global of that name, or undefined. */
export function allowedGlobal(module: string, name: string): PyGlobal | undefined {
  return ALLOWED().get(`${module}.${name}`);
}

/** What to say about a refused global, beyond naming it: the well-known cases get advice. */
export function adviceFor(qualifiedName: string): string {
  if (qualifiedName.startsWith('xgboost.')) return "of XGBoost's classes, only XGBRegressor, XGBRFRegressor and Booster are served";
  if (qualifiedName.startsWith('lightgbm.')) return "of LightGBM's classes, only LGBMRegressor and Booster are served";
  if (qualifiedName.startsWith('joblib.'))
    return 'a joblib file stores arrays outside the pickle: save the model with pickle.dump or mlflow.sklearn.log_model';
  if (qualifiedName.startsWith('__main__.'))
    return "a class defined in the training script: only scikit-learn's own estimators are served, never a subclass";
  return '';
}

/** The estimators a served model may hold, for messages. */
export const supportedEstimators = (): readonly string[] => SERVED_ESTIMATORS;
