/**
 * XGBoost's gbtree, from a model.json export (its pickle carries the booster as opaque bytes):
 * `link(base_margin + Σ tree(x))`, summed in float32 in tree order, a present feature going
 * left when `x < split` (float32), an absent one missing (sparse matrix) or the 0 it was in
 * training (dense).
 */
import { fail } from '../errors';
import { field, integerAt, numberArray, objectAt, oneOf, parameter, stringAt } from '../spec-checks';
import type { PredictionStage, SpecBase, StageInput } from '../stage';
import { XGBoostTrees } from '../xgboost-trees';
import type { Family } from './family';
import { LINKS, type Link } from './links';
import { matrixInput } from './matrix-input';

/** An XGBoost tree: threshold holds split values at inner nodes and leaf values at leaves. */
export interface XGBoostTreeSpec {
  readonly children_left: ArrayLike<number>;
  readonly children_right: ArrayLike<number>;
  readonly feature: ArrayLike<number>;
  readonly threshold: ArrayLike<number>;
  /** 1 where a missing feature goes left. */
  readonly default_left: ArrayLike<number>;
}

export interface XGBoostSpec extends SpecBase {
  readonly type: 'xgboost';
  readonly objective: string;
  readonly link: Link;
  readonly base_margin: number;
  readonly trees: readonly XGBoostTreeSpec[];
}

function parseTree(value: unknown, path: string): XGBoostTreeSpec {
  const t = objectAt(value, path, 'a tree object');
  const tree = {
    children_left: numberArray(field(t, 'children_left', path), `${path}.children_left`, 'integer'),
    children_right: numberArray(field(t, 'children_right', path), `${path}.children_right`, 'integer'),
    feature: numberArray(field(t, 'feature', path), `${path}.feature`, 'integer'),
    threshold: numberArray(field(t, 'threshold', path), `${path}.threshold`, 'not NaN'),
    default_left: numberArray(field(t, 'default_left', path), `${path}.default_left`, 'integer'),
  };
  const nodes = tree.threshold.length;
  if (nodes === 0) fail(path, 'a tree needs at least one node');
  for (const key of ['children_left', 'children_right', 'feature', 'default_left'] as const) {
    if (tree[key].length !== nodes) fail(`${path}.${key}`, `has ${tree[key].length} entries, expected ${nodes}`);
  }
  const parents = new Uint8Array(nodes);
  for (let node = 0; node < nodes; node++) {
    const left = tree.children_left[node];
    const right = tree.children_right[node];
    if (left === -1 && right === -1) {
      parameter(tree.threshold[node], `${path}.threshold[${node}] (a leaf)`);
      continue;
    }
    if (!(left > node && left < nodes && right > node && right < nodes))
      fail(`${path} node ${node}`, `children ${left}, ${right} are not nodes after it`);
    if (parents[left]++ > 0) fail(`${path} node ${node}`, `child ${left} has another parent too`);
    if (parents[right]++ > 0) fail(`${path} node ${node}`, `child ${right} has another parent too`);
    integerAt(tree.feature[node], `${path}.feature[${node}]`);
  }
  return tree;
}

function parse(spec: Record<string, unknown>, path: string): XGBoostSpec {
  const trees = field(spec, 'trees', path);
  if (!Array.isArray(trees) || trees.length === 0) fail(`${path}.trees`, 'expected a non-empty array of trees');
  return {
    type: 'xgboost',
    estimator: 'XGBoost',
    objective: stringAt(field(spec, 'objective', path), `${path}.objective`),
    link: oneOf(field(spec, 'link', path), LINKS, `${path}.link`),
    base_margin: parameter(field(spec, 'base_margin', path), `${path}.base_margin`),
    trees: trees.map((tree, i) => parseTree(tree, `${path}.trees[${i}]`)),
  };
}

function build(spec: XGBoostSpec, input: StageInput, path: string): PredictionStage {
  const shape = matrixInput(input, 'XGBoost', path);
  if (shape.absent?.some((v) => v !== 0)) fail(path, 'XGBoost behind a centering scaler is not served');
  spec.trees.forEach((tree, t) => {
    for (let node = 0; node < tree.feature.length; node++) {
      if (tree.children_left[node] !== -1 && tree.feature[node] >= shape.width)
        fail(`${path}.trees[${t}].feature[${node}]`, `${tree.feature[node]} is not one of the ${shape.width} features`);
    }
  });
  // A dense matrix gave XGBoost a 0 for every absent one-hot, not a missing value.
  const trees = new XGBoostTrees(spec, { absentIsZero: shape.layout === 'dense' });
  return {
    output: 'predictions',
    name: 'XGBoost',
    inputs: [],
    predict: (rows) => ('kind' in rows ? fail(path, 'trees take a matrix') : trees.predict(rows)),
    describe: () => trees.describe(),
  };
}

export const xgboost: Family<XGBoostSpec> = {
  classes: {},
  fromPickle: (_object, where) => fail(where, 'an XGBoost pickle is not read yet'),
  parse,
  build,
};
