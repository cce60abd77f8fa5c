/**
 * The only Python globals a model pickle may name. Each is matched exactly by module and
 * name, so a subclass (a user's `MyForest(RandomForestRegressor)` that changes `predict`) is
 * refused rather than served as its parent. Anything else stops the unpickling with a
 * message that names it.
 */
import { BOOSTER_CLASSES, BOOSTER_GLOBALS } from '../boosters/python-classes';
import { BUILTIN_GLOBALS, NUMPY_GLOBALS } from './numpy';
import { type PyGlobal, pythonClass } from './python-object';

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

/** The Cython halves of the common losses, as scikit-learn pickles them. */
const CYTHON_LOSSES = ['HalfSquaredError', 'AbsoluteError', 'HuberLoss', 'PinballLoss', 'HalfPoissonLoss', 'HalfGammaLoss'];

/**
 * Helpers the estimators carry that play no part in predicting: losses, links, the binning
 * of a histogram gradient boosting, an early-stopping scorer. Rebuilt as inert records.
 */
const INERT_HELPERS = [
  ...Object.keys(LOSS_LINKS),
  ...CYTHON_LOSSES.flatMap((loss) => [`sklearn._loss._loss.Cy${loss}`, `sklearn._loss._loss.__pyx_unpickle_Cy${loss}`]),
  'sklearn._loss.link.IdentityLink',
  'sklearn._loss.link.LogLink',
  'sklearn._loss.link.Interval',
  'sklearn.ensemble._hist_gradient_boosting.binning._BinMapper',
  'sklearn.metrics._scorer._PredictScorer',
  'sklearn.metrics._scorer._Scorer',
  'sklearn.metrics._scorer._PassthroughScorer',
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
  ].map((metric) => `sklearn.metrics._regression.${metric}`),
];

/*
 * XGBoost and LightGBM (lambda/src/model/boosters/ reads them): XGBRegressor, XGBRFRegressor
 * and xgboost's Booster (its model as bytes: bytearray), LGBMRegressor and lightgbm's Booster
 * (its model as text), and the dict classes of their evaluation results (OrderedDict,
 * defaultdict), as xgboost 1.7 and lightgbm 4.7 pickle them at protocols 2 to 5.
 */
const BOOSTER_ALLOWED: readonly PyGlobal[] = [...Object.values(BOOSTER_CLASSES).map(pythonClass), ...BOOSTER_GLOBALS];

const ALLOWED: ReadonlyMap<string, PyGlobal> = new Map(
  [
    ...[...Object.values(SKLEARN_ESTIMATORS), ...Object.values(SKLEARN_PARTS), ...INERT_HELPERS].map(pythonClass),
    ...NUMPY_GLOBALS,
    ...BUILTIN_GLOBALS,
    ...BOOSTER_ALLOWED,
  ].map((global) => [global.pythonName, global]),
);

/** The allowlisted global of that name, or undefined. */
export function allowedGlobal(module: string, name: string): PyGlobal | undefined {
  return ALLOWED.get(`${module}.${name}`);
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

/** The estimators a served pipeline may hold, for messages. */
export const SUPPORTED_REGRESSOR_NAMES = Object.keys(SKLEARN_ESTIMATORS).filter(
  (name) => !['Pipeline', 'DictVectorizer', 'ExtraTreeRegressor'].includes(name),
);
