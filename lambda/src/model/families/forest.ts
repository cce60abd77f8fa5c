/**
 * scikit-learn's decision trees and their forests: DecisionTreeRegressor, ExtraTreeRegressor,
 * RandomForestRegressor and ExtraTreesRegressor. `predict` is the mean of the trees, each
 * walked on X cast to float32 (`x <= threshold` goes left).
 */
import { fail } from '../errors';
import { checkEstimatorCount } from '../limits';
import { fitted, instanceOf, sequence } from '../pickle/attributes';
import type { PyObject } from '../pickle/python-object';
import { checkForestPredict } from '../pickle/sklearn-predict';
import { field, oneOf } from '../spec-checks';
import type { PredictionStage, SpecBase, StageInput } from '../stage';
import type { Family } from './family';
import { decisionTreeOf, parseTrees, TREE_GLOBAL, type TreeSpec, treeEnsembleStage } from './sklearn-trees';

const ESTIMATORS = ['DecisionTreeRegressor', 'ExtraTreeRegressor', 'RandomForestRegressor', 'ExtraTreesRegressor'] as const;

export interface ForestSpec extends SpecBase {
  readonly type: 'forest';
  readonly estimator: (typeof ESTIMATORS)[number];
  /** One tree for a single decision tree. */
  readonly trees: readonly TreeSpec[];
}

/** The single trees, as a forest's members are pickled. */
export const DECISION_TREES = ['sklearn.tree._classes.DecisionTreeRegressor', 'sklearn.tree._classes.ExtraTreeRegressor'];

const CLASSES: Record<string, (typeof ESTIMATORS)[number]> = {
  'sklearn.tree._classes.DecisionTreeRegressor': 'DecisionTreeRegressor',
  'sklearn.tree._classes.ExtraTreeRegressor': 'ExtraTreeRegressor',
  'sklearn.ensemble._forest.RandomForestRegressor': 'RandomForestRegressor',
  'sklearn.ensemble._forest.ExtraTreesRegressor': 'ExtraTreesRegressor',
};

function fromPickle(object: PyObject, where: string): Omit<ForestSpec, 'type'> {
  const estimator = CLASSES[object.type];
  const a = instanceOf(object, [object.type], where);
  if (DECISION_TREES.includes(object.type))
    return { estimator, trees: [decisionTreeOf(object, DECISION_TREES, where, a.get('n_features_in_'))] };
  checkForestPredict(a, where);
  const members = sequence(fitted(a, 'estimators_', where), `${where}.estimators_`);
  checkEstimatorCount(members.length, `${where}.estimators_`);
  // Each tree predicts on the forest's columns.
  const columns = a.get('n_features_in_');
  return { estimator, trees: members.map((tree, i) => decisionTreeOf(tree, DECISION_TREES, `${where}.estimators_[${i}]`, columns)) };
}

function parse(spec: Record<string, unknown>, path: string): ForestSpec {
  return {
    type: 'forest',
    estimator: oneOf(field(spec, 'estimator', path), ESTIMATORS, `${path}.estimator`),
    trees: parseTrees(field(spec, 'trees', path), `${path}.trees`),
  };
}

function build(spec: ForestSpec, input: StageInput, path: string): PredictionStage {
  if (spec.trees.length === 0) fail(`${path}.trees`, 'a forest of no trees');
  // scikit-learn casts X to float32 before it walks a tree.
  return treeEnsembleStage(spec.trees, { kind: 'mean' }, { name: spec.estimator, input, path, inputs: 'float32' });
}

export const forest: Family<ForestSpec> = { classes: CLASSES, parts: [TREE_GLOBAL], fromPickle, parse, build };
