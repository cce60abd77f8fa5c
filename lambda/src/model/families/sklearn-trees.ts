/**
 * scikit-learn's trees as the tree families share them: the node arrays of a spec (from a
 * pickle's `Tree` or `TreePredictor`, or from model.json), their checks, and the ensemble
 * evaluator they are built into (tree-ensemble.ts).
 */
import { fail } from '../errors';
import { chargeEstimators, chargeNodes } from '../limits';
import { fitted, instanceOf, ndarray } from '../pickle/attributes';
import type { PyGlobal, PyObject } from '../pickle/python-object';
import { treeClass } from '../pickle/sklearn-globals';
import { checkTreePredict } from '../pickle/sklearn-predict';
import { checkParameter, field, numberArray, objectAt } from '../spec-checks';
import type { MatrixShape, PredictionStage, StageInput } from '../stage';
import { type Combine, type INPUTS, TreeEnsemble, type TreeSpec } from '../tree-ensemble';

export type { TreeSpec } from '../tree-ensemble';

import { matrixInput } from './matrix-input';

export const SKLEARN_TREE = 'sklearn.tree._tree.Tree';
/** The allowlist's Tree: called with its arguments and checked as scikit-learn checks it when unpickled. */
export const TREE_GLOBAL: PyGlobal = treeClass(SKLEARN_TREE);
export const TREE_PREDICTOR = 'sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor';

/** The arrays of one tree, checked: lengths, children after their parent (no cycle), one parent per node, sane leaves. */
export function parseTree(value: unknown, path: string): TreeSpec {
  const t = objectAt(value, path, 'a tree object');
  const tree: TreeSpec = {
    children_left: numberArray(field(t, 'children_left', path), `${path}.children_left`, 'integer'),
    children_right: numberArray(field(t, 'children_right', path), `${path}.children_right`, 'integer'),
    feature: numberArray(field(t, 'feature', path), `${path}.feature`, 'integer'),
    threshold: numberArray(field(t, 'threshold', path), `${path}.threshold`, 'not NaN'),
    value: numberArray(field(t, 'value', path), `${path}.value`, 'not NaN'),
  };
  const nodes = tree.threshold.length;
  if (nodes === 0) fail(path, 'a tree needs at least one node');
  // Counted per tree read: a pickle can name one tree a thousand times through its memo.
  chargeNodes(nodes, path);
  for (const key of ['children_left', 'children_right', 'feature', 'value'] as const) {
    if (tree[key].length !== nodes) fail(`${path}.${key}`, `has ${tree[key].length} entries, expected ${nodes}`);
  }
  const parents = new Uint8Array(nodes);
  for (let node = 0; node < nodes; node++) {
    const left = tree.children_left[node];
    const right = tree.children_right[node];
    if (left === -1 && right === -1) {
      checkParameter(tree.value[node], () => `${path}.value[${node}] (a leaf)`);
      continue;
    }
    // scikit-learn numbers children after their parent; checking that also rules out cycles.
    if (!(left > node && left < nodes && right > node && right < nodes)) {
      fail(`${path} node ${node}`, `children ${left}, ${right} are not nodes after it`);
    }
    // A tree: no node is reached from two parents (the walk is sized by each node's one depth).
    if (parents[left]++ > 0) fail(`${path} node ${node}`, `child ${left} has another parent too`);
    if (parents[right]++ > 0) fail(`${path} node ${node}`, `child ${right} has another parent too`);
    if (tree.feature[node] < 0) fail(`${path}.feature[${node}]`, `${tree.feature[node]} is not a feature`);
  }
  return tree;
}

export function parseTrees(value: unknown, path: string): TreeSpec[] {
  if (!Array.isArray(value) || value.length === 0) fail(path, 'expected a non-empty array of trees');
  chargeEstimators(value.length, path);
  return value.map((tree, i) => parseTree(tree, `${path}[${i}]`));
}

/** Every split reads a column the matrix has: a tree fitted on a wider matrix would read columns that do not exist. */
export function checkTreeFeatures(trees: readonly TreeSpec[], shape: MatrixShape, path: string): void {
  trees.forEach((tree, t) => {
    for (let node = 0; node < tree.feature.length; node++) {
      if (tree.children_left[node] === -1) continue;
      const feature = tree.feature[node];
      if (feature >= shape.width) fail(`${path}[${t}].feature[${node}]`, `${feature} is not one of the ${shape.width} features`);
    }
  });
}

/** scikit-learn's Tree: node records (children, feature, threshold) and one value per node. */
export function sklearnTree(value: unknown, where: string): TreeSpec {
  const a = instanceOf(value, [SKLEARN_TREE], where);
  const [, , outputs] = (value as PyObject).args;
  if (outputs !== 1) fail(where, `has ${String(outputs)} outputs; only single-output regression trees are served`);
  const nodes = ndarray(a.get('nodes'), `${where}.nodes`);
  const values = ndarray(a.get('values'), `${where}.values`);
  const count = nodes.size;
  if (values.shape[0] !== count || values.size !== count)
    fail(`${where}.values`, `shape (${values.shape.join(', ')}) does not fit ${count} nodes of one output`);
  return {
    children_left: nodes.int32Field('left_child'),
    children_right: nodes.int32Field('right_child'),
    feature: nodes.int32Field('feature'),
    threshold: nodes.field('threshold'),
    value: values.toFloat64Array(),
  };
}

/**
 * The tree of a fitted DecisionTreeRegressor or ExtraTreeRegressor (alone, or an ensemble's
 * member), checked as its predict checks it against the `columns` it is given.
 */
export function decisionTreeOf(value: unknown, classes: readonly string[], where: string, columns: unknown): TreeSpec {
  const a = instanceOf(value, classes, where);
  checkTreePredict(a, columns, where);
  return sklearnTree(fitted(a, 'tree_', where), `${where}.tree_`);
}

/**
 * The stage of a scikit-learn tree ensemble: its trees, checked against the matrix it is
 * given, walked with its inputs compared as `inputs` and combined as `combine`.
 *
 * @example
 * ```typescript
 * return treeEnsembleStage(spec.trees, { kind: 'mean' }, { name: spec.estimator, input, path, inputs: 'float32' });
 * ```
 */
export function treeEnsembleStage(
  trees: readonly TreeSpec[],
  combine: Combine,
  options: { name: string; input: StageInput; path: string; inputs: keyof typeof INPUTS; dense?: boolean },
): PredictionStage {
  const { name, input, path } = options;
  const shape = matrixInput(input, name, path, { dense: options.dense ?? false });
  checkTreeFeatures(trees, shape, `${path}.trees`);
  const ensemble = new TreeEnsemble(trees, combine, shape, options.inputs);
  return {
    output: 'predictions',
    name,
    inputs: [],
    predict: (rows) => ('kind' in rows ? fail(path, 'trees take a matrix') : ensemble.predict(rows)),
    describe: () => ensemble.describe(),
  };
}
