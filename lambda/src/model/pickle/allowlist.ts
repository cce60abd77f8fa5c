/**
 * The only Python globals a model pickle may name. Each is matched exactly by module and
 * name, so a subclass (a user's `MyForest(RandomForestRegressor)` that changes `predict`) is
 * refused rather than served as its parent. Anything else stops the unpickling with a
 * message that names it.
 */
import { ModelFormatError } from '../format';
import { BUILTIN_GLOBALS, NUMPY_GLOBALS } from './numpy';
import { describePython, isTuple, PyFloat, PyGlobal, PyObject, pythonCallable, pythonClass } from './python-object';
import { checkTreeState } from './sklearn-tree';

/** The estimators the runtime evaluates, by the name scikit-learn gives them in a pickle. */
export const SKLEARN_ESTIMATORS = {
  Pipeline: 'sklearn.pipeline.Pipeline',
  DictVectorizer: 'sklearn.feature_extraction._dict_vectorizer.DictVectorizer',
  LinearRegression: 'sklearn.linear_model._base.LinearRegression',
  Ridge: 'sklearn.linear_model._ridge.Ridge',
  Lasso: 'sklearn.linear_model._coordinate_descent.Lasso',
  ElasticNet: 'sklearn.linear_model._coordinate_descent.ElasticNet',
  DecisionTreeRegressor: 'sklearn.tree._classes.DecisionTreeRegressor',
  ExtraTreeRegressor: 'sklearn.tree._classes.ExtraTreeRegressor',
  RandomForestRegressor: 'sklearn.ensemble._forest.RandomForestRegressor',
  ExtraTreesRegressor: 'sklearn.ensemble._forest.ExtraTreesRegressor',
  GradientBoostingRegressor: 'sklearn.ensemble._gb.GradientBoostingRegressor',
  HistGradientBoostingRegressor: 'sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor',
} as const;

/** The parts of those estimators that the runtime reads: trees, a gradient boosting's initial estimator. */
export const SKLEARN_PARTS = {
  Tree: 'sklearn.tree._tree.Tree',
  TreePredictor: 'sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor',
  DummyRegressor: 'sklearn.dummy.DummyRegressor',
} as const;

/** Loss objects of the regressors, by the link that turns a raw prediction into a prediction. */
export const LOSS_LINKS: Readonly<Record<string, 'identity' | 'exp'>> = {
  // scikit-learn 1.1 and later (the common loss module)
  'sklearn._loss.loss.HalfSquaredError': 'identity',
  'sklearn._loss.loss.AbsoluteError': 'identity',
  'sklearn._loss.loss.HuberLoss': 'identity',
  'sklearn._loss.loss.PinballLoss': 'identity',
  'sklearn._loss.loss.HalfPoissonLoss': 'exp',
  'sklearn._loss.loss.HalfGammaLoss': 'exp',
  // HistGradientBoostingRegressor of scikit-learn 1.0
  'sklearn.ensemble._hist_gradient_boosting.loss.LeastSquares': 'identity',
  'sklearn.ensemble._hist_gradient_boosting.loss.LeastAbsoluteDeviation': 'identity',
  'sklearn.ensemble._hist_gradient_boosting.loss.Poisson': 'exp',
  // GradientBoostingRegressor before scikit-learn 1.4
  'sklearn.ensemble._gb_losses.LeastSquaresError': 'identity',
  'sklearn.ensemble._gb_losses.LeastAbsoluteError': 'identity',
  'sklearn.ensemble._gb_losses.HuberLossFunction': 'identity',
  'sklearn.ensemble._gb_losses.QuantileLossFunction': 'identity',
};

/** The Cython halves of the common losses, as scikit-learn pickles them, with their one parameter where they have one. */
const CYTHON_LOSSES: Readonly<Record<string, string | undefined>> = {
  HalfSquaredError: undefined,
  AbsoluteError: undefined,
  HuberLoss: 'delta',
  PinballLoss: 'quantile',
  HalfPoissonLoss: undefined,
  HalfGammaLoss: undefined,
};

/** The checksums Cython's `__pyx_unpickle_*` accepts, by the parameters of the class (scikit-learn before 1.4 pickled losses so). */
const CYTHON_CHECKSUMS: Readonly<Record<string, readonly number[]>> = {
  '': [0xd41d8cd, 0xe3b0c44, 0xda39a3e],
  quantile: [0x2494662, 0xde00222, 0x2c73eaf],
};

const isNumber = (value: unknown) => typeof value === 'number' || value instanceof PyFloat;

/**
 * A Cython loss, as Python makes it: by REDUCE of the class with its parameter (scikit-learn
 * 1.4 and later), or by `__pyx_unpickle_Cy*(class, checksum, state)` (before), which checks
 * the checksum and reads the parameter from the state tuple.
 */
function cythonLoss(loss: string, parameter: string | undefined): PyGlobal[] {
  const name = `sklearn._loss._loss.Cy${loss}`;
  const arity = parameter === undefined ? 0 : 1;
  const cls = pythonCallable(
    name,
    (...args) => {
      if (args.length !== arity || !args.every(isNumber))
        throw new ModelFormatError(`${name} with arguments ${args.map(describePython).join(', ')}`);
      return new PyObject(name, args);
    },
    'class',
  );
  const unpickle = pythonCallable(`sklearn._loss._loss.__pyx_unpickle_Cy${loss}`, (...args) => {
    const [type, checksum, state] = args;
    const checksums = CYTHON_CHECKSUMS[parameter ?? ''];
    if (args.length !== 3 || type !== cls) throw new ModelFormatError(`__pyx_unpickle_Cy${loss} of ${describePython(type)}`);
    if (checksums === undefined || !checksums.includes(checksum as number))
      throw new ModelFormatError(`__pyx_unpickle_Cy${loss}: incompatible checksums`);
    if (state !== null && !isTuple(state)) throw new ModelFormatError(`__pyx_unpickle_Cy${loss} with a state that is not a tuple`);
    if (arity > 0 && (!isTuple(state) || state.length < 1 || !isNumber(state[0])))
      throw new ModelFormatError(`__pyx_unpickle_Cy${loss} without its ${parameter}`);
    return new PyObject(name, isTuple(state) ? state.slice(0, arity) : []);
  });
  return [cls, unpickle];
}

/** A function used as a value (an early-stopping scorer's metric): Python never calls it while unpickling. */
const functionValue = (name: string) => new PyGlobal(name, 'function', () => undefined, false);

/**
 * Helpers the estimators carry that play no part in predicting: losses, links, the binning
 * of a histogram gradient boosting, an early-stopping scorer. Rebuilt as inert records.
 */
const INERT_HELPERS: readonly PyGlobal[] = [
  ...Object.keys(LOSS_LINKS).map((name) => pythonClass(name)),
  ...Object.entries(CYTHON_LOSSES).flatMap(([loss, parameter]) => cythonLoss(loss, parameter)),
  ...['sklearn._loss.link.IdentityLink', 'sklearn._loss.link.LogLink', 'sklearn._loss.link.Interval'].map((name) => pythonClass(name)),
  pythonClass('sklearn.ensemble._hist_gradient_boosting.binning._BinMapper', { estimator: true }),
  ...['_PredictScorer', '_Scorer', '_PassthroughScorer'].map((name) => pythonClass(`sklearn.metrics._scorer.${name}`)),
  ...[
    'r2_score',
    'mean_squared_error',
    'mean_absolute_error',
    'median_absolute_error',
    'explained_variance_score',
    'max_error',
    'mean_squared_log_error',
    'mean_absolute_percentage_error',
    'mean_poisson_deviance',
    'mean_gamma_deviance',
    'root_mean_squared_error',
    'root_mean_squared_log_error',
  ].map((metric) => functionValue(`sklearn.metrics._regression.${metric}`)),
];

const ALLOWED: ReadonlyMap<string, PyGlobal> = new Map(
  [
    ...Object.values(SKLEARN_ESTIMATORS).map((name) => pythonClass(name, { estimator: true })),
    pythonClass(SKLEARN_PARTS.Tree, { callable: true, checkState: checkTreeState }),
    pythonClass(SKLEARN_PARTS.TreePredictor),
    pythonClass(SKLEARN_PARTS.DummyRegressor, { estimator: true }),
    ...INERT_HELPERS,
    ...NUMPY_GLOBALS,
    ...BUILTIN_GLOBALS,
  ].map((global) => [global.pythonName, global]),
);

/** The names of every allowlisted global (for the differential test's Python side). */
export const ALLOWED_GLOBAL_NAMES: readonly string[] = [...ALLOWED.keys()];

/** The allowlisted global of that name, or undefined. */
export function allowedGlobal(module: string, name: string): PyGlobal | undefined {
  return ALLOWED.get(`${module}.${name}`);
}

/** What to say about a refused global, beyond naming it: the well-known cases get advice. */
export function adviceFor(qualifiedName: string): string {
  if (qualifiedName.startsWith('xgboost.')) {
    return 'an XGBoost model keeps its booster as opaque bytes inside the pickle: export it with tools/export_model.py and serve the model.json it writes';
  }
  if (qualifiedName.startsWith('joblib.'))
    return "a joblib file, which MLflow's pickle.load cannot read either: name the file itself in MODEL_LOCATION (a single file is read as joblib.load reads it), or log the model with mlflow.sklearn.log_model";
  if (qualifiedName.startsWith('__main__.'))
    return "a class defined in the training script: only scikit-learn's own estimators are served, never a subclass";
  return '';
}

/** The estimators a served pipeline may hold, for messages. */
export const SUPPORTED_REGRESSOR_NAMES = Object.keys(SKLEARN_ESTIMATORS).filter(
  (name) => !['Pipeline', 'DictVectorizer', 'ExtraTreeRegressor'].includes(name),
);
