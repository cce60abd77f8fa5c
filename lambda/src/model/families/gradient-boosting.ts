/**
 * scikit-learn's GradientBoostingRegressor: `init + Σ learning_rate × tree(x)` in stage order,
 * each tree walked on X cast to float32. Every regression loss it has (squared error, absolute
 * error, Huber, quantile) has the identity link, before and after scikit-learn 1.4.
 */
import { fail } from '../errors';
import { checkEstimatorCount } from '../limits';
import { fitted, instanceOf, ndarray, singleNumber } from '../pickle/attributes';
import { describePython, PyObject, pythonClass } from '../pickle/python-object';
import { checkBoostingPredict } from '../pickle/sklearn-predict';
import { field, finiteNumber, parameter, stringAt } from '../spec-checks';
import type { PredictionStage, SpecBase, StageInput } from '../stage';
import type { Family } from './family';
import { DECISION_TREES } from './forest';
import { LOSS_CLASSES, linkOfLoss } from './links';
import { decisionTreeOf, parseTrees, TREE_GLOBAL, type TreeSpec, treeEnsembleStage } from './sklearn-trees';

export interface GradientBoostingSpec extends SpecBase {
  readonly type: 'gradient_boosting';
  /** The constant raw prediction the stages add to (init_'s constant, or 0 for init="zero"). */
  readonly init: number;
  readonly learning_rate: number;
  readonly trees: readonly TreeSpec[];
}

const CLASS = 'sklearn.ensemble._gb.GradientBoostingRegressor';
const DUMMY_REGRESSOR = 'sklearn.dummy.DummyRegressor';
/** GradientBoostingRegressor's losses before scikit-learn 1.4 (after, the common losses of links.ts). */
const OLD_LOSSES = ['LeastSquaresError', 'LeastAbsoluteError', 'HuberLossFunction', 'QuantileLossFunction'].map(
  (loss) => `sklearn.ensemble._gb_losses.${loss}`,
);

/**
 * The loss must be one whose link is the identity: predict returns the raw sum, and (from 1.4)
 * the initial prediction goes through `_loss.link.link`, which another link would change.
 */
function checkLoss(loss: unknown, where: string): void {
  if (loss instanceof PyObject && OLD_LOSSES.includes(loss.type)) return;
  if (!(loss instanceof PyObject) || !loss.type.startsWith('sklearn._loss.loss.')) {
    fail(where, `${describePython(loss)} is not a loss GradientBoostingRegressor predicts with`);
  }
  if (linkOfLoss(loss, where) !== 'identity') {
    fail(
      `${where}.link`,
      `${loss.type} has a log link, which no GradientBoostingRegressor loss has (its predict would be log(init) + trees)`,
    );
  }
}

function fromPickle(object: PyObject, where: string): Omit<GradientBoostingSpec, 'type'> {
  const a = instanceOf(object, [CLASS], where);
  const stages = ndarray(fitted(a, 'estimators_', where), `${where}.estimators_`);
  if (stages.shape.length !== 2 || stages.shape[1] !== 1)
    fail(`${where}.estimators_`, `shape (${stages.shape.join(', ')}): only single-output regression is served`);
  checkEstimatorCount(stages.size, `${where}.estimators_`);
  const init = a.get('init_');
  if (init instanceof PyObject && init.type !== DUMMY_REGRESSOR) {
    fail(`${where}.init_`, `${describePython(init)}: only the default init (a DummyRegressor) and init="zero" are served`);
  }
  checkBoostingPredict(a, where);
  checkLoss(a.get('_loss'), `${where}._loss`);
  const initial =
    init === 'zero'
      ? 0
      : singleNumber(
          fitted(instanceOf(init, [DUMMY_REGRESSOR], `${where}.init_`), 'constant_', `${where}.init_`),
          `${where}.init_.constant_`,
        );
  return {
    estimator: 'GradientBoostingRegressor',
    init: initial,
    learning_rate: singleNumber(a.get('learning_rate'), `${where}.learning_rate`),
    trees: stages.items().map((tree, i) => decisionTreeOf(tree, DECISION_TREES, `${where}.estimators_[${i}]`, a.get('n_features_in_'))),
  };
}

function parse(spec: Record<string, unknown>, path: string): GradientBoostingSpec {
  return {
    type: 'gradient_boosting',
    estimator: spec.estimator === undefined ? 'GradientBoostingRegressor' : stringAt(spec.estimator, `${path}.estimator`),
    init: parameter(field(spec, 'init', path), `${path}.init`),
    learning_rate: finiteNumber(field(spec, 'learning_rate', path), `${path}.learning_rate`),
    trees: parseTrees(field(spec, 'trees', path), `${path}.trees`),
  };
}

function build(spec: GradientBoostingSpec, input: StageInput, path: string): PredictionStage {
  const combine = { kind: 'boosting', init: spec.init, learningRate: spec.learning_rate, link: 'identity' } as const;
  return treeEnsembleStage(spec.trees, combine, { name: 'GradientBoostingRegressor', input, path, inputs: 'float32' });
}

export const gradientBoosting: Family<GradientBoostingSpec> = {
  classes: { [CLASS]: 'GradientBoostingRegressor' },
  parts: [TREE_GLOBAL, ...DECISION_TREES, pythonClass(DUMMY_REGRESSOR, { estimator: true }), ...OLD_LOSSES, ...LOSS_CLASSES],
  fromPickle,
  parse,
  build,
};
