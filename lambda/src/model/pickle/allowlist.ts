/**
 * The only Python globals a model pickle may name: the classes the model families read (and
 * the parts they hold), numpy's array rebuilders and a few builtins. Each is matched exactly
 * by module and name, so a subclass (a user's `MyForest(RandomForestRegressor)` that changes
 * `predict`) is refused rather than served as its parent. Anything else stops the unpickling
 * with a message that names it.
 */
import { BOOSTER_GLOBALS } from '../boosters/python-classes';
import { FAMILY_CLASSES, FAMILY_PARTS, SERVED_ESTIMATORS } from '../families';
import { BUILTIN_GLOBALS, NUMPY_GLOBALS } from './numpy';
import { type PyGlobal, pythonClass, pythonDictClass } from './python-object';

/** The dict subclasses a model pickle holds, rebuilt as Maps: scikit-learn's Bunch. */
const DICT_CLASSES = ['sklearn.utils._bunch.Bunch'];

/**
 * The first global of a name wins: the estimators (whose BUILD is BaseEstimator's), then the
 * parts as the families declare them.
 */
const ALLOWED: ReadonlyMap<string, PyGlobal> = (() => {
  const globals = new Map<string, PyGlobal>();
  const add = (global: PyGlobal) => {
    if (!globals.has(global.pythonName)) globals.set(global.pythonName, global);
  };
  for (const name of FAMILY_CLASSES) add(pythonClass(name, { estimator: true }));
  // Parts the families give as globals first: a family that names one only by its name gets the same global.
  for (const part of FAMILY_PARTS) if (typeof part !== 'string') add(part);
  for (const part of FAMILY_PARTS) if (typeof part === 'string' && !DICT_CLASSES.includes(part)) add(pythonClass(part));
  DICT_CLASSES.map(pythonDictClass).forEach(add);
  // numpy's arrays, dtypes, scalars and random states; bytes and float; XGBoost's raw bytes and result dicts.
  [...NUMPY_GLOBALS, ...BUILTIN_GLOBALS, ...BOOSTER_GLOBALS].forEach(add);
  return globals;
})();

/** The names of every allowlisted global (for the differential test's Python side). */
export const allowedGlobalNames = (): readonly string[] => [...ALLOWED.keys()];

/** The allowlisted global of that name, or undefined. */
export function allowedGlobal(module: string, name: string): PyGlobal | undefined {
  return ALLOWED.get(`${module}.${name}`);
}

/** What to say about a refused global, beyond naming it: the well-known cases get advice. */
export function adviceFor(qualifiedName: string): string {
  if (qualifiedName.startsWith('xgboost.')) return "of XGBoost's classes, only XGBRegressor, XGBRFRegressor and Booster are served";
  if (qualifiedName.startsWith('lightgbm.')) return "of LightGBM's classes, only LGBMRegressor and Booster are served";
  if (qualifiedName.startsWith('joblib.'))
    return "a joblib file, which MLflow's pickle.load cannot read either: name the file itself in MODEL_LOCATION (a single file is read as joblib.load reads it), or log the model with mlflow.sklearn.log_model";
  if (qualifiedName.startsWith('__main__.'))
    return "a class defined in the training script: only scikit-learn's own estimators are served, never a subclass";
  return '';
}

/** The estimators a served model may hold, for messages. */
export const supportedEstimators = (): readonly string[] => SERVED_ESTIMATORS;
